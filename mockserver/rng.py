"""A small deterministic random source, identical on every machine and Python version.

Python's `random` is stable for `random()` but its derived methods have changed between
versions; the records must not, so everything below Faker's vocabulary uses this instead.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Callable, Sequence
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


# A run of mixes computed side by side in one big integer, a lane of 128 bits per value: each
# lane holds a 64-bit value, and a product by a 64-bit constant stays inside its lane, so a
# handful of operations on one integer mix the whole run (some five times faster than one
# `mix` call per value, for the runs of a page).
_LANE_BYTES = 16


@functools.lru_cache(maxsize=64)
def _lanes(
    count: int,
) -> tuple[int, int, int, int, int, int, Callable[[bytes], tuple[int, ...]]]:
    """(0, 1, ..., count - 1) in lanes, the 64-bit mask in every lane, mix's constants in
    every lane, and what reads the lanes back as 64-bit words (two a lane)."""

    def spread(value: int) -> int:
        return int.from_bytes(value.to_bytes(_LANE_BYTES, "little") * count, "little")

    ramp = b"".join(index.to_bytes(_LANE_BYTES, "little") for index in range(count))
    return (
        int.from_bytes(ramp, "little"),
        spread(_MASK),
        spread(0x9E3779B97F4A7C15),
        0xBF58476D1CE4E5B9,
        0x94D049BB133111EB,
        spread(1),
        struct.Struct(f"<{2 * count}Q").unpack,
    )


def _mix_lanes(z: int, mask: int, golden: int, first: int, second: int) -> int:
    z = (z + golden) & mask
    z = ((z ^ (z >> 30)) & mask) * first & mask
    z = ((z ^ (z >> 27)) & mask) * second & mask
    return (z ^ (z >> 31)) & mask


def mixed_run(seed: int, start: int, count: int) -> tuple[int, ...]:
    """`mix(seed ^ mix(value))` for the values start, start + 1, ... (count of them), in order."""
    if count <= 0:
        return ()
    ramp, mask, golden, first, second, ones, unpack = _lanes(count)
    inner = _mix_lanes(ones * (start & _MASK) + ramp, mask, golden, first, second)
    outer = _mix_lanes(inner ^ ones * (seed & _MASK), mask, golden, first, second)
    return unpack(outer.to_bytes(_LANE_BYTES * count, "little"))[::2]
