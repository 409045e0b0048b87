"""A failure found by a check, with the request that reproduces it."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class Judged(Protocol):
    """What a failure quotes of the exchange it judged (`exchange.Exchange` is one)."""

    @property
    def curl(self) -> str: ...

    @property
    def quote(self) -> str: ...

    @property
    def attempts(self) -> int: ...


@dataclass(frozen=True)
class Failure:
    """One rule broken once: which check, what was seen, and how to see it again.

    `response` quotes the answer that was judged (status, code, the body's first bytes) and
    `tries` says how often its request was sent (a 5000 is re-sent, C46): a message is read
    next to what the server actually said, never instead of it (C47).
    """

    check: str
    message: str
    curl: str
    phase: str
    response: str = ""
    tries: int = 1

    @classmethod
    def of(cls, check: str, message: str, exchange: Judged, phase: str) -> Failure:
        """A failure judged on `exchange`: its curl line, its response quoted, its tries."""
        return cls(check, message, exchange.curl, phase, exchange.quote, exchange.attempts)

    @property
    def evidence(self) -> str:
        """`tried N times; answered HTTP S, code C: {body...`, or "" when no response was judged."""
        if not self.response:
            return ""
        tried = "tried once" if self.tries == 1 else f"tried {self.tries} times"
        return f"{tried}; answered {self.response}"


def curl_line(method: str, url: str, headers: Mapping[str, str] | None = None) -> str:
    """A shell command that sends the same request again."""
    parts = ["curl", "-sS", "-i"]
    if method.upper() != "GET":
        parts += ["-X", method.upper()]
    for name, value in (headers or {}).items():
        parts += ["-H", f"{name}: {value}"]
    parts.append(url)
    return " ".join(shlex.quote(part) for part in parts)
