"""Pages of records over the generator: plans and serialised records, in bounded caches.

The caches only remember what the pure generator would compute again; a page served from them
is byte-identical to one computed from scratch (tests/test_store.py shows it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import orjson

from mockserver.errors import UnknownAnnotationRequest
from mockserver.fixtures import FixtureSet
from mockserver.generator import Plan, Vocabulary, WalkCache, make_plan, make_record

MAX_PAGE_SIZE = 1000
CHUNK = 32

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Least-recently-used cache with a fixed number of entries."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        entries = self._entries
        try:
            entries.move_to_end(key)
            return entries[key]
        except KeyError:
            value = compute()
            entries[key] = value
            if len(entries) > self._size:
                entries.popitem(last=False)
            return value

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True, slots=True)
class Page:
    count: int
    records: list[bytes]


class RecordStore:
    """The annotation requests the mock knows, and pages of their records."""

    def __init__(
        self,
        seed: int,
        vocabulary: Vocabulary,
        fixtures: FixtureSet,
        fixtures_only: bool = False,
        plan_cache_size: int = 4096,
        chunk_cache_size: int = 2048,
    ) -> None:
        self._seed = seed
        self._vocabulary = vocabulary
        self._fixtures = fixtures
        self._fixtures_only = fixtures_only
        self._plans: BoundedCache[str, Plan] = BoundedCache(plan_cache_size)
        self._chunks: BoundedCache[tuple[str, int], tuple[bytes, ...]] = BoundedCache(
            chunk_cache_size
        )
        self._walks = WalkCache()

    def cached_plans(self) -> int:
        return len(self._plans)

    def cached_chunks(self) -> int:
        return len(self._chunks)

    def is_known(self, annotation_request_id: str) -> bool:
        if annotation_request_id in self._fixtures.unknown:
            return False
        return not self._fixtures_only or annotation_request_id in self._fixtures.pinned

    def plan(self, annotation_request_id: str) -> Plan:
        return self._plans.get(
            annotation_request_id,
            lambda: make_plan(
                self._seed,
                self._vocabulary,
                annotation_request_id,
                self._fixtures.pinned.get(annotation_request_id),
            ),
        )

    def _chunk(self, plan: Plan, index: int) -> tuple[bytes, ...]:
        def compute() -> tuple[bytes, ...]:
            stop = min(plan.count, (index + 1) * CHUNK)
            # orjson's bytes keep the buffer it wrote into (4 kB or more for a 400-byte record):
            # a copy of the exact size is what the cache should hold.
            return tuple(
                bytes(memoryview(orjson.dumps(make_record(plan, position, self._walks))))
                for position in range(index * CHUNK, stop)
            )

        return self._chunks.get((plan.annotation_request_id, index), compute)

    def records(self, plan: Plan, start: int, stop: int) -> list[bytes]:
        """Serialised records at positions [start, stop) of one annotation request."""
        out: list[bytes] = []
        for index in range(start // CHUNK, (stop - 1) // CHUNK + 1):
            chunk = self._chunk(plan, index)
            base = index * CHUNK
            out.extend(chunk[max(start - base, 0) : stop - base])
        return out

    def page(self, annotation_request_ids: Sequence[str], offset: int, limit: int) -> Page:
        """Page `offset` (from 1) of `limit` records (capped at 1000) over all the requests."""
        unknown = [ar for ar in annotation_request_ids if not self.is_known(ar)]
        if unknown:
            raise UnknownAnnotationRequest()
        plans = sorted((self.plan(ar) for ar in annotation_request_ids), key=lambda p: p.first_id)
        count = sum(plan.count for plan in plans)
        size = min(limit, MAX_PAGE_SIZE)
        start = (offset - 1) * size
        stop = min(start + size, count)
        records: list[bytes] = []
        before = 0
        for plan in plans:
            if start >= stop:
                break
            end = before + plan.count
            if start < end:
                take_to = min(stop, end)
                records.extend(self.records(plan, start - before, take_to - before))
                start = take_to
            before = end
        return Page(count=count, records=records)
