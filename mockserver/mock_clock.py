"""The mock's clock, which a test can freeze, set, advance and reset (D69).

The envelope's `date`, the signature window and growing data read it; by default it is the
real clock, unchanged. The journal keeps real arrival times: the gaps between a client's
attempts (back-off) are real time whatever the test did to the mock's clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Clock = Callable[[], float]
_SETTING_KEYS = ("reset", "freeze", "set", "advance")


class ClockError(ValueError):
    """A clock setting that cannot be used; the message names the field and what it accepts."""


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ClockError(f"{name}: must be a number of seconds, got {value!r}")
    return float(value)


def _instant(value: Any) -> float:
    """Epoch seconds, or an ISO 8601 time with its offset (`2026-12-06T04:00:00Z`)."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ClockError(f"set: {value!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise ClockError(f"set: {value!r} has no offset; add Z or +08:00")
        return parsed.timestamp()
    seconds = _seconds(value, "set")
    if seconds < 0:
        raise ClockError(f"set: {value!r} is before 1970")
    return seconds


class MockClock:
    """Real time, frozen or shifted; `now()` is what the mock reads."""

    def __init__(self, real: Clock) -> None:
        self._real = real
        self._frozen_at: float | None = None
        self._offset = 0.0

    def at(self, real: float) -> float:
        """The mock's time at a real instant (the real clock read by the caller)."""
        frozen = self._frozen_at
        return frozen if frozen is not None else real + self._offset

    def now(self) -> float:
        # `at` inlined: the envelope's `date` reads this once per response.
        frozen = self._frozen_at
        return frozen if frozen is not None else self._real() + self._offset

    def reset(self) -> None:
        self._frozen_at, self._offset = None, 0.0

    def freeze(self, frozen: bool) -> None:
        if frozen and self._frozen_at is None:
            self._frozen_at = self.now()
        elif not frozen and self._frozen_at is not None:
            # Running again from where it stood: the offset keeps the time it was frozen at.
            self._offset = self._frozen_at - self._real()
            self._frozen_at = None

    def set(self, seconds: float) -> None:
        if self._frozen_at is not None:
            self._frozen_at = seconds
        else:
            self._offset = seconds - self._real()

    def advance(self, seconds: float) -> None:
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds

    def apply(self, setting: Any) -> None:
        """A `PUT /__mock/clock` body: `reset`, then `freeze`, then `set`, then `advance`.

        Checked whole before any of it applies, so a bad body changes nothing.
        """
        if not isinstance(setting, dict) or not setting:
            raise ClockError(f"body: must be an object with any of {', '.join(_SETTING_KEYS)}")
        for key in setting:
            if key not in _SETTING_KEYS:
                raise ClockError(f"{key}: unknown; known: {', '.join(_SETTING_KEYS)}")
        for key in ("reset", "freeze"):
            if key in setting and not isinstance(setting[key], bool):
                raise ClockError(f"{key}: must be true or false, got {setting[key]!r}")
        instant = _instant(setting["set"]) if "set" in setting else None
        step = _seconds(setting["advance"], "advance") if "advance" in setting else None
        if setting.get("reset"):
            self.reset()
        if "freeze" in setting:
            self.freeze(setting["freeze"])
        if instant is not None:
            self.set(instant)
        if step is not None:
            self.advance(step)

    def to_json(self) -> dict[str, Any]:
        now = self.now()
        return {
            "now": now,
            "iso": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
            "frozen": self._frozen_at is not None,
            "offset_seconds": 0.0 if self._frozen_at is not None else self._offset,
            "real": self._frozen_at is None and self._offset == 0.0,
        }
