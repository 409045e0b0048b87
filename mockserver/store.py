"""Pages of records over the generator: plans and serialised records, in bounded caches.

The caches only remember what the pure generator would compute again; a page served from them
is byte-identical to one computed from scratch (tests/test_store.py shows it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from itertools import accumulate
from typing import Generic, TypeVar

from mockserver.errors import UnknownAnnotationRequest
from mockserver.fixtures import FixtureSet
from mockserver.generator import Plan, Vocabulary, make_plan
from mockserver.record_json import RecordWriter

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
class Chunk:
    """Up to CHUNK consecutive records, serialised and joined with commas, and where each ends."""

    body: bytes
    ends: tuple[int, ...]

    @classmethod
    def of(cls, records: Sequence[bytes]) -> Chunk:
        ends = list(accumulate(len(record) + 1 for record in records))
        # One exact-size copy: orjson's bytes keep the buffer they were written into (4 kB or
        # more for a 400-byte record), which the cache would otherwise hold twenty times over.
        return cls(b",".join(records), tuple(end - 1 for end in ends))

    def run(self, first: int, stop: int) -> bytes:
        """Records [first, stop) of the chunk, joined with commas (the whole chunk: no copy)."""
        begin = self.ends[first - 1] + 1 if first else 0
        return self.body[begin : self.ends[stop - 1]]


@dataclass(frozen=True, slots=True)
class Page:
    """`count`, and the page's records as slices of cached chunks."""

    count: int
    spans: tuple[tuple[Chunk, int, int], ...]

    @property
    def runs(self) -> list[bytes]:
        """Runs of consecutive records: joined with commas, they are the page's `data` items.

        A 1000-record page is some thirty runs, most of them whole cached chunks, so the
        envelope joins thirty pieces instead of a thousand.
        """
        return [chunk.run(first, stop) for chunk, first, stop in self.spans]

    @property
    def records(self) -> list[bytes]:
        """The page's records one by one."""
        return [
            chunk.run(index, index + 1)
            for chunk, first, stop in self.spans
            for index in range(first, stop)
        ]


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
        zone: tzinfo = UTC,
    ) -> None:
        self._seed = seed
        self._zone = zone
        self._vocabulary = vocabulary
        self._fixtures = fixtures
        self._fixtures_only = fixtures_only
        # Plans with their writers (`mockserver/record_json.py`), which serialise their records.
        self._plans: BoundedCache[str, RecordWriter] = BoundedCache(plan_cache_size)
        self._chunks: BoundedCache[tuple[str, int], Chunk] = BoundedCache(chunk_cache_size)

    def cached_plans(self) -> int:
        return len(self._plans)

    def cached_chunks(self) -> int:
        return len(self._chunks)

    def is_known(self, annotation_request_id: str) -> bool:
        if annotation_request_id in self._fixtures.unknown:
            return False
        return not self._fixtures_only or annotation_request_id in self._fixtures.pinned

    def plan(self, annotation_request_id: str) -> Plan:
        return self.writer(annotation_request_id).plan

    def writer(self, annotation_request_id: str) -> RecordWriter:
        """The writer of an annotation request's records, with its plan."""
        return self._plans.get(
            annotation_request_id,
            lambda: RecordWriter(
                make_plan(
                    self._seed,
                    self._vocabulary,
                    annotation_request_id,
                    self._fixtures.pinned.get(annotation_request_id),
                    self._zone,
                )
            ),
        )

    def _make_chunks(self, writer: RecordWriter, first: int, stop: int) -> list[Chunk]:
        """Chunks [first, stop) of a request: one run of records, so that what a run shares
        (its tasks, their holders) is worked out once for a whole page, not once per chunk."""
        count = writer.plan.count
        records = writer.records(first * CHUNK, min(count, stop * CHUNK))
        return [Chunk.of(records[at : at + CHUNK]) for at in range(0, len(records), CHUNK)]

    def spans(self, writer: RecordWriter, start: int, stop: int) -> list[tuple[Chunk, int, int]]:
        """The records at positions [start, stop) of one annotation request, chunk by chunk."""
        # A 1000-record page visits some thirty chunks: this loop is on the request path.
        chunks = self._chunks
        ar = writer.plan.annotation_request_id
        first, last = start // CHUNK, (stop - 1) // CHUNK
        found = [chunks.find((ar, index)) for index in range(first, last + 1)]
        missing = [index for index, chunk in enumerate(found) if chunk is None]
        if missing:
            # Made in one run from the first missing chunk to the last (a fresh page's usual
            # case is all of them); the ones cached already are kept as they are.
            made = self._make_chunks(writer, first + missing[0], first + missing[-1] + 1)
            for index in missing:
                found[index] = chunks.put((ar, first + index), made[index - missing[0]])
        out: list[tuple[Chunk, int, int]] = []
        for index, chunk in enumerate(found, start=first):
            assert chunk is not None
            base = index * CHUNK
            out.append(
                (chunk, start - base if start > base else 0, min(stop - base, len(chunk.ends)))
            )
        return out

    def page(self, annotation_request_ids: Sequence[str], offset: int, limit: int) -> Page:
        """Page `offset` (from 1) of `limit` records (capped at 1000) over all the requests."""
        unknown = [ar for ar in annotation_request_ids if not self.is_known(ar)]
        if unknown:
            raise UnknownAnnotationRequest()
        writers = sorted(
            (self.writer(ar) for ar in annotation_request_ids), key=lambda w: w.plan.first_id
        )
        count = sum(writer.plan.count for writer in writers)
        size = min(limit, MAX_PAGE_SIZE)
        start = (offset - 1) * size
        stop = min(start + size, count)
        spans: list[tuple[Chunk, int, int]] = []
        before = 0
        for writer in writers:
            if start >= stop:
                break
            end = before + writer.plan.count
            if start < end:
                take_to = min(stop, end)
                spans.extend(self.spans(writer, start - before, take_to - before))
                start = take_to
            before = end
        return Page(count=count, spans=tuple(spans))
