"""Whole pages asked before, kept as the envelope's bytes up to `date`, bounded in size.

A page's envelope up to `date` depends only on the page (`count` and its records), so a page
asked again is one look-up: no records to write (`mockserver/store.py` writes a page's records
anew, D79), and no copy of them into a new body (a 1000-record page is about 370 kB, and
copying it cost more than the rest of the request). Like the store's plan cache, this one only
remembers what would be computed again byte for byte (tests/test_pages.py).

A page is kept on its second asking, not its first (D84). A client walking an annotation
request asks each page once: keeping those pages wrote 4 kB of cold memory per 10-record page
and evicted one asked again, and cost a walk about a tenth of its throughput on the wire
(docs/performance.md). A page asked again is what the cache is for, and it is known by its
second asking: until then only its key is remembered.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from mockserver.envelope import success_head
from mockserver.store import MAX_PAGE_SIZE, RecordStore

# 16 MiB: about 45 pages of 1000 records, or 4,000 of 10: what a client paging back and forth,
# or a dashboard polling a few requests, asks again; well inside the memory target
# (docs/mock-data.md).
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
# Keys of pages asked once, forgotten all at once when this many are held (one C loop, as the
# fast door's query memo): a page asked again after as many other first askings is kept on its
# next asking. Each key is the query's own tuple of IDs and two numbers: well under 1 MB for
# single IDs, some 6 MB at worst for 20 IDs each (the memory target's load).
DEFAULT_SEEN_KEYS = 4096

PageKey = tuple[tuple[str, ...], int, int]


class PageHeads:
    """`success_head` of pages of a store asked twice or more (D84), least recently used first
    out, at most `max_bytes`."""

    def __init__(
        self,
        store: RecordStore,
        max_bytes: int = DEFAULT_MAX_BYTES,
        seen_keys: int = DEFAULT_SEEN_KEYS,
    ) -> None:
        self._store = store
        self._max_bytes = max_bytes
        self._seen_keys = seen_keys
        self._seen: set[PageKey] = set()
        self._bytes = 0
        # Each page's head and its `count`, which the journal records (D47).
        self._entries: OrderedDict[PageKey, tuple[bytes, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes held."""
        return self._bytes

    def head(self, annotation_request_ids: Sequence[str], offset: int, limit: int) -> bytes:
        """The page's envelope up to `date`; raises as `RecordStore.page` does."""
        return self.head_and_count(annotation_request_ids, offset, limit)[0]

    def head_and_count(
        self, annotation_request_ids: Sequence[str], offset: int, limit: int
    ) -> tuple[bytes, int]:
        """The page's envelope up to `date`, and the page's `count`."""
        # Limits above the cap serve the capped page: one entry for all of them.
        key = (
            tuple(annotation_request_ids),
            offset,
            limit if limit < MAX_PAGE_SIZE else MAX_PAGE_SIZE,
        )
        entries = self._entries
        found = entries.get(key)
        if found is not None:
            entries.move_to_end(key)
            return found
        count, records = self._store.count_and_records(annotation_request_ids, offset, limit)
        head = success_head(count, records)
        size = len(head)
        found = head, count
        seen = self._seen
        if key not in seen:
            if len(seen) >= self._seen_keys:
                seen.clear()
            seen.add(key)
            return found
        seen.discard(key)
        if size <= self._max_bytes:
            entries[key] = found
            self._bytes += size
            while self._bytes > self._max_bytes:
                _, (evicted, _count) = entries.popitem(last=False)
                self._bytes -= len(evicted)
        return found
