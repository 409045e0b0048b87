"""A failure found by a check, with the request that reproduces it."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """One rule broken once: which check, what was seen, and how to see it again."""

    check: str
    message: str
    curl: str
    phase: str


def curl_line(method: str, url: str, headers: Mapping[str, str] | None = None) -> str:
    """A shell command that sends the same request again."""
    parts = ["curl", "-sS", "-i"]
    if method.upper() != "GET":
        parts += ["-X", method.upper()]
    for name, value in (headers or {}).items():
        parts += ["-H", f"{name}: {value}"]
    parts.append(url)
    return " ".join(shlex.quote(part) for part in parts)
