"""A mapping that forgets its least recently used entries beyond a bound on their total weight.

The proxy remembers what it saw for as long as a session runs, which may be days of traffic;
this is what keeps that memory bounded. Weight is the entry count by default, or any measure
the caller gives (records held by a page).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedLRU(Generic[K, V]):
    """Least recently used entries are dropped once the total weight exceeds `max_weight`, or
    their number `max_entries`. Values are replaced, never changed in place: the weight of an
    entry is taken when it is put."""

    def __init__(
        self,
        max_weight: int,
        weight: Callable[[V], int] | None = None,
        max_entries: int | None = None,
    ) -> None:
        if max_weight < 1:
            raise ValueError(f"max_weight must be positive, got {max_weight}")
        self.max_weight = max_weight
        self.max_entries = max_entries
        self._weight = weight or (lambda _value: 1)
        self._entries: OrderedDict[K, V] = OrderedDict()
        self.total_weight = 0
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def values(self) -> list[V]:
        """The entries' values, least recently used first."""
        return list(self._entries.values())

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.total_weight -= self._weight(old)
        self._entries[key] = value
        self.total_weight += self._weight(value)
        # The newest entry stays even when it alone exceeds the bound: it is the one in use.
        while len(self._entries) > 1 and (
            self.total_weight > self.max_weight
            or (self.max_entries is not None and len(self._entries) > self.max_entries)
        ):
            _, dropped = self._entries.popitem(last=False)
            self.total_weight -= self._weight(dropped)
            self.evicted += 1
