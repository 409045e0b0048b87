"""A small deterministic random source, identical on every machine and Python version.

Python's `random` is stable for `random()` but its derived methods have changed between
versions; the records must not, so everything below Faker's vocabulary uses this instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_MASK = (1 << 64) - 1


def mix(value: int) -> int:
    """SplitMix64's finaliser: a well-spread 64-bit value from any integer."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def derive(*parts: int | str) -> int:
    """A 64-bit seed from labelled parts, independent of PYTHONHASHSEED."""
    text = "\x1f".join(str(part) for part in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


class Rng:
    """SplitMix64 stream: cheap to create, so every task gets its own."""

    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        self._state = seed & _MASK

    def next(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & _MASK
        return mix(self._state)

    def uniform(self) -> float:
        """A float in [0, 1)."""
        return (self.next() >> 11) / 9007199254740992.0

    def below(self, bound: int) -> int:
        """An integer in [0, bound); bound > 0."""
        return self.next() % bound

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return low + self.below(high - low + 1)

    def chance(self, probability: float) -> bool:
        return self.uniform() < probability

    def weighted(self, options: Sequence[tuple[T, float]]) -> T:
        """One of the options, drawn with probability proportional to its weight."""
        total = sum(weight for _, weight in options)
        point = self.uniform() * total
        for option, weight in options:
            point -= weight
            if point < 0:
                return option
        return options[-1][0]

    def pick(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]
