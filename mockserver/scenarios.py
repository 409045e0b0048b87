"""Scenarios a client forces per request (`Prefer`) and faults the server injects for everyone."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from mockserver.errors import FORCEABLE, BusinessError, InvalidParameter, ServiceHiccup

MAX_DELAY_MS = 60_000
# ASCII digits only: str.isdigit() also accepts characters such as "²" (a Latin-1 header byte)
# that int() refuses, which turned a bad header into a 500.
_NUMBER = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True, slots=True)
class Scenario:
    """What one request asked for: an outcome to force and a delay before answering."""

    forced: type[BusinessError] | None = None
    forced_invalid: bool = False
    delay_ms: int = 0


NO_SCENARIO = Scenario()


def parse_prefer(header: str | None) -> Scenario:
    """`Prefer: code=53003, delay=250` in Prism's style; other preferences are ignored."""
    if not header:
        return NO_SCENARIO
    forced: type[BusinessError] | None = None
    forced_invalid = False
    delay_ms = 0
    for token in header.replace(";", ",").split(","):
        name, _, value = token.strip().partition("=")
        name, value = name.strip().lower(), value.strip().strip('"')
        if name not in {"code", "delay"}:
            continue
        if not _NUMBER.fullmatch(value):
            raise InvalidParameter(
                "Prefer", f"{name} must be a non-negative integer, got {value!r}"
            )
        number = int(value)
        if name == "delay":
            if number > MAX_DELAY_MS:
                raise InvalidParameter("Prefer", f"delay must be at most {MAX_DELAY_MS} ms")
            delay_ms = number
        elif number in {4005, 400}:
            forced_invalid = True
        elif number in FORCEABLE:
            forced = FORCEABLE[number]
        elif number not in {2000, 200}:
            raise InvalidParameter("Prefer", f"code={number} is not an outcome of this operation")
    return Scenario(forced=forced, forced_invalid=forced_invalid, delay_ms=delay_ms)


class FaultInjector:
    """Server-wide faults: a share of 5000 answers and added latency, for every client."""

    def __init__(self, rate: float, latency_ms: int, rng: random.Random | None = None) -> None:
        self._rate = rate
        self.latency_ms = latency_ms
        # Faults are deliberately random between requests; only the data are deterministic.
        self._rng = rng or random.Random()

    def maybe_fail(self) -> None:
        if self._rate > 0 and self._rng.random() < self._rate:
            raise ServiceHiccup()
