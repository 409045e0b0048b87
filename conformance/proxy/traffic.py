"""The exchange against the ones seen before: rules no single answer can show.

State is keyed by what a request names, its set of IDs (D7: order, form and duplicates do not
matter): the last and highest `count` of each set, and the pages seen, each as its record ids
and a digest per record. Both live in bounded LRU maps, so a session of any length holds at most
`max_id_sets` counts and `max_page_records` records; what was forgotten is simply not compared.

Data that grows append-only (a request still in progress) is recognised, not reported: a count
that rises, away from a walk, with the records seen before unchanged (decision C33).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from conformance.envelope import SUCCESS
from conformance.proxy.exchange import ProxyExchange
from conformance.proxy.judge import Judgement
from conformance.proxy.lru import BoundedLRU
from conformance.proxy.request import Request
from conformance.semantic import LIMIT_CAP

DIGEST_BYTES = 8
IdSet = tuple[str, ...]


@dataclass(frozen=True)
class CountSeen:
    count: int
    highest: int
    offset: int
    limit: int
    form: str


@dataclass(frozen=True)
class PageSeen:
    count: int
    ids: tuple[Any, ...]
    digests: bytes

    def digest(self, index: int) -> bytes:
        return self.digests[index * DIGEST_BYTES : (index + 1) * DIGEST_BYTES]


def digests(records: Sequence[Mapping[str, Any]]) -> bytes:
    """An 8-byte digest of each record: enough to tell a changed record, at a tenth of its size."""
    return b"".join(
        hashlib.blake2b(
            orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=DIGEST_BYTES
        ).digest()
        for record in records
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Traffic:
    """What the proxy remembers of the traffic, and the rules judged against it."""

    def __init__(self, max_id_sets: int, max_page_records: int) -> None:
        self.counts: BoundedLRU[IdSet, CountSeen] = BoundedLRU(max_id_sets)
        self.pages: BoundedLRU[tuple[IdSet, int, int], PageSeen] = BoundedLRU(
            max_page_records, weight=lambda page: max(1, len(page.ids))
        )
        # ID sets whose data was seen growing append-only: reported in the summary.
        self.growing: BoundedLRU[IdSet, int] = BoundedLRU(max_id_sets)

    def judge(self, exchange: ProxyExchange, request: Request | None, verdict: Judgement) -> None:
        if request is None or request.problem or exchange.forced or exchange.code != SUCCESS:
            return
        count, records = exchange.count, exchange.records
        if count is None or records is None:
            return
        key = request.id_set
        self._count(key, count, request, verdict)
        self._sum(key, count, verdict)
        self._page(key, count, records, exchange.record_ids, request, verdict)

    def _count(self, key: IdSet, count: int, request: Request, verdict: Judgement) -> None:
        seen = self.counts.get(key)
        highest = count if seen is None else max(seen.highest, count)
        self.counts.put(key, CountSeen(count, highest, request.offset, request.limit, request.form))
        if seen is None:
            return
        ids = list(key)
        if count == seen.count:
            verdict.add("multiple_ids" if seen.form != request.form else "count_stable", None)
            return
        if seen.form != request.form:
            verdict.add(
                "multiple_ids",
                f"{ids} answered count {seen.count} {seen.form} and "
                f"{count} {request.form}; all forms are one request (D7)",
            )
        elif count < seen.highest:
            verdict.add(
                "count_stable",
                f"{ids}: count {count} on page {request.offset}, "
                f"{seen.highest} before: a count may only grow",
            )
        elif seen.limit == request.limit and request.offset == seen.offset + 1:
            verdict.add(
                "count_stable",
                f"{ids}: count {count} on page {request.offset}, "
                f"{seen.count} on page {seen.offset} just before (limit "
                f"{request.limit}): the count depends on the page",
            )
        else:
            self.growing.put(key, count)

    def _sum(self, key: IdSet, count: int, verdict: Judgement) -> None:
        """Several IDs answer the sum of their counts (D7), when each was seen alone."""
        if len(key) < 2 or any(item in self.growing for item in [key, *((i,) for i in key)]):
            return
        alone = [self.counts.get((item,)) for item in key]
        if any(seen is None for seen in alone):
            return
        total = sum(seen.count for seen in alone if seen is not None)
        verdict.add(
            "multiple_ids",
            f"{list(key)} together answered count {count}; their counts add up to {total}"
            if count != total
            else None,
        )

    def _page(
        self,
        key: IdSet,
        count: int,
        records: Sequence[Mapping[str, Any]],
        record_ids: list[Any],
        request: Request,
        verdict: Judgement,
    ) -> None:
        limit = min(request.limit, LIMIT_CAP)
        page = PageSeen(count, tuple(record_ids), digests(records))
        before = self.pages.get((key, request.offset, limit))
        if before is not None:
            self._same_page(list(key), request.offset, before, page, verdict)
        for neighbour in (request.offset - 1, request.offset + 1):
            other = self.pages.get((key, neighbour, limit))
            if other is None or other.count != count or not other.ids or not page.ids:
                continue
            first, second = (other, page) if neighbour < request.offset else (page, other)
            self._consecutive(list(key), min(neighbour, request.offset), first, second, verdict)
        self.pages.put((key, request.offset, limit), page)

    def _same_page(
        self, ids: list[str], offset: int, before: PageSeen, now: PageSeen, verdict: Judgement
    ) -> None:
        """The same page twice: the same records, or (data grown) the same ones and more."""
        if now.count < before.count:
            return  # count_stable reports it
        if now.count == before.count and len(now.ids) != len(before.ids):
            verdict.add(
                "determinism",
                f"{ids}: page {offset} held {len(before.ids)} records, "
                f"then {len(now.ids)}, with the same count {now.count}",
            )
            return
        shared = min(len(before.ids), len(now.ids))
        changed = next((i for i in range(shared) if before.digest(i) != now.digest(i)), None)
        verdict.add(
            "determinism",
            None
            if changed is None
            else f"{ids}: page {offset} changed between two identical requests (first differing "
            f"record: {before.ids[changed]!r}, then {now.ids[changed]!r})",
        )

    def _consecutive(
        self, ids: list[str], offset: int, first: PageSeen, second: PageSeen, verdict: Judgement
    ) -> None:
        """Pages `offset` and `offset + 1`: no record on both; ids ascending across them."""
        shared = set(first.ids) & set(second.ids)
        verdict.add(
            "pagination_no_overlap",
            f"{ids}: records {sorted(shared, key=str)[:5]} are on page {offset} and page "
            f"{offset + 1}"
            if shared
            else None,
        )
        if shared or not (_is_int(first.ids[-1]) and _is_int(second.ids[0])):
            return
        verdict.add(
            "ordering",
            f"{ids}: page {offset + 1} starts at id {second.ids[0]}, page {offset} ends at id "
            f"{first.ids[-1]}"
            if first.ids[-1] >= second.ids[0]
            else None,
        )
