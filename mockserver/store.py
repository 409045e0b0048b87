"""Pages of records over the generator: plans, in a bounded cache, and their records written.

A page's records are written for the page, exactly those (D79): a page asked again comes whole
from `mockserver/pages.py`, so caching its records as well would only cost a fresh page their
copy and its bookkeeping. The plan cache only remembers what the pure generator would compute
again; a page is byte-identical to one computed from scratch (tests/test_store.py shows it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from types import ModuleType
from typing import Generic, TypeVar

from mockserver.errors import UnknownAnnotationRequest
from mockserver.fixtures import FixtureSet
from mockserver.generator import Plan, Vocabulary, make_plan
from mockserver.record_json import COMPILED, RecordWriter

MAX_PAGE_SIZE = 1000

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

    def find(self, key: K) -> V | None:
        """The entry, marked as just used, or None."""
        entries = self._entries
        try:
            entries.move_to_end(key)
        except KeyError:
            return None
        return entries[key]

    def put(self, key: K, value: V) -> V:
        entries = self._entries
        entries[key] = value
        if len(entries) > self._size:
            entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True, slots=True)
class Page:
    """`count`, and the page's records, serialised."""

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
        zone: tzinfo = UTC,
        loop: ModuleType | None = COMPILED,
    ) -> None:
        """`loop`: the record writers' compiled loop, or None (`record_json.writer_loop`)."""
        self._seed = seed
        self._zone = zone
        self._vocabulary = vocabulary
        self._fixtures = fixtures
        self._loop = loop
        # What `is_known` reads, on every fresh page: the IDs that answer 53003, and with
        # --fixtures-only the only IDs known.
        self._unknown = fixtures.unknown
        self._only = fixtures.pinned if fixtures_only else None
        # Plans with their writers (`mockserver/record_json.py`), which serialise their records.
        self._plans: BoundedCache[str, RecordWriter] = BoundedCache(plan_cache_size)

    def cached_plans(self) -> int:
        return len(self._plans)

    def is_known(self, annotation_request_id: str) -> bool:
        if annotation_request_id in self._unknown:
            return False
        return self._only is None or annotation_request_id in self._only

    def plan(self, annotation_request_id: str) -> Plan:
        return self.writer(annotation_request_id).plan

    def writer(self, annotation_request_id: str) -> RecordWriter:
        """The writer of an annotation request's records, with its plan."""
        # On every fresh page: a look-up first, without making a closure for the miss.
        found = self._plans.find(annotation_request_id)
        if found is not None:
            return found
        return self._plans.put(
            annotation_request_id,
            RecordWriter(
                make_plan(
                    self._seed,
                    self._vocabulary,
                    annotation_request_id,
                    self._fixtures.pinned.get(annotation_request_id),
                    self._zone,
                ),
                self._loop,
            ),
        )

    def page(self, annotation_request_ids: Sequence[str], offset: int, limit: int) -> Page:
        """Page `offset` (from 1) of `limit` records (capped at 1000) over all the requests."""
        return Page(*self.count_and_records(annotation_request_ids, offset, limit))

    def count_and_records(
        self, annotation_request_ids: Sequence[str], offset: int, limit: int
    ) -> tuple[int, list[bytes]]:
        """What `page` holds, as a plain tuple: the page cache (`pages.py`) asks on every
        fresh page, and a frozen dataclass's `__init__` costs more than the rest of this."""
        size = limit if limit < MAX_PAGE_SIZE else MAX_PAGE_SIZE
        if len(annotation_request_ids) == 1:
            # The usual query: one ID, no order of requests to find.
            ident = annotation_request_ids[0]
            if ident in self._unknown or (self._only is not None and ident not in self._only):
                raise UnknownAnnotationRequest()
            writer = self._plans.find(ident) or self.writer(ident)
            count = writer.plan.count
            start = (offset - 1) * size
            stop = start + size
            return count, writer.records(start, stop if stop < count else count)
        if not all(map(self.is_known, annotation_request_ids)):
            raise UnknownAnnotationRequest()
        writers = sorted(
            (self.writer(ar) for ar in annotation_request_ids), key=lambda w: w.plan.first_id
        )
        count = sum(writer.plan.count for writer in writers)
        start = (offset - 1) * size
        stop = min(start + size, count)
        records: list[bytes] = []
        before = 0
        for writer in writers:
            if start >= stop:
                break
            end = before + writer.plan.count
            if start < end:
                take_to = min(stop, end)
                records += writer.records(start - before, take_to - before)
                start = take_to
            before = end
        return count, records
