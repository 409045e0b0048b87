"""Paging rules: `offset` is a page number (1-based), `limit` a page size capped at 1000 (D5).

Requests are grouped by client (host), IDs asked (as a set: the comma and repeated forms are
one request, D7) and limit asked; only GET requests with a valid offset and limit count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from itertools import pairwise

from clientjudge.exchanges import client_of, succeeded
from clientjudge.findings import ERROR, INFO, WARNING
from clientjudge.registry import Offence, rule
from conformance.exchange import LIMIT_CAP, Exchange

Key = tuple[str, frozenset[str], int]


def _paging(exchange: Exchange) -> bool:
    return (
        exchange.method == "GET"
        and bool(exchange.ids)
        and exchange.offset is not None
        and exchange.limit is not None
        and exchange.limit >= 1
    )


def _key(exchange: Exchange) -> Key:
    return client_of(exchange), exchange.id_set, exchange.limit or 0


def _series(exchanges: Sequence[Exchange]) -> Iterator[tuple[Key, list[Exchange]]]:
    groups: dict[Key, list[Exchange]] = defaultdict(list)
    for exchange in exchanges:
        if _paging(exchange):
            groups[_key(exchange)].append(exchange)
    yield from groups.items()


def _more_after(exchange: Exchange) -> bool:
    """A full page with records after it (`count` says so): not the last page."""
    count, returned, served = exchange.answer_count, exchange.answer_returned, exchange.served_limit
    if count is None or returned is None or served is None or exchange.offset is None:
        return False
    return returned >= served and count > exchange.offset * served


@rule(
    "paging-offset-as-index",
    ERROR,
    "offset is the page number: ask offset=1, 2, 3, ... at the same limit until a page "
    "comes back short",
)
def offset_as_index(exchanges: Sequence[Exchange]) -> list[Offence]:
    """Offset read as a record index: it grew by the limit and skipped the pages in between.

    Consecutive requests of a series whose offset grows by exactly the limit (above 1), or by
    the 1000 records a capped limit gets, with none of the pages in between ever asked: a
    parallel pager asks those pages, in any order.
    """
    offences = []
    for (_, _, limit), series in _series(exchanges):
        if limit <= 1:
            continue
        # The step of a client adding the limit asked, or the records it got (1000 when the
        # limit is capped).
        steps = {limit, min(limit, LIMIT_CAP)}
        asked = {exchange.offset for exchange in series}
        skips = [
            (before, after)
            for before, after in pairwise(series)
            if (after.offset or 0) - (before.offset or 0) in steps
            and asked.isdisjoint(range((before.offset or 0) + 1, after.offset or 0))
        ]
        if skips:
            # One case per series: the first skip quoted, every request of the skips listed.
            first, second = skips[0]
            involved = {id(e): e for pair in skips for e in (pair[1], pair[0])}.values()
            detail = f"offset {first.offset} then {second.offset} at limit {limit}"
            offences.append(Offence(tuple(involved), detail))
    return offences


@rule(
    "paging-short-page-as-end",
    ERROR,
    "a limit above 1000 is served as 1000: read the next page (offset+1) until a page has "
    "fewer records than the limit served, or ask limit=1000",
)
def short_page_as_end(exchanges: Sequence[Exchange]) -> list[Offence]:
    """A capped page taken for the last one: records after it were never read.

    A limit above 1000 was served as 1000 records while `count` said more remained, and the
    client never asked for the next page of the same IDs (offset + 1, served 1000).
    """
    # The pages asked at 1000 records, in one pass: a long walk at limit=5000 (thousands of
    # capped pages) costs its length. Asked before or after: a client paging in parallel may
    # ask page 2 before page 1's answer is in; either way it did not stop at page 1.
    asked = {
        (client_of(exchange), exchange.id_set, exchange.offset or 0)
        for exchange in exchanges
        if _paging(exchange) and exchange.served_limit == LIMIT_CAP
    }
    offences = []
    for exchange in exchanges:
        if not (_paging(exchange) and succeeded(exchange)) or (exchange.limit or 0) <= LIMIT_CAP:
            continue
        if not _more_after(exchange):
            continue
        following = (client_of(exchange), exchange.id_set, (exchange.offset or 0) + 1)
        if following not in asked:
            detail = f"{exchange.answer_returned} of {exchange.answer_count} records"
            offences.append(Offence((exchange,), detail))
    return offences


@rule(
    "limit-over-max",
    INFO,
    "ask limit=1000 or less: the server serves 1000 records at most per page",
)
def limit_over_max(exchanges: Sequence[Exchange]) -> list[Offence]:
    """A limit above 1000 asked: the page is capped at 1000 records."""
    return [
        Offence((exchange,))
        for exchange in exchanges
        if exchange.method == "GET" and (exchange.limit or 0) > LIMIT_CAP
    ]


@rule(
    "paging-refetch",
    WARNING,
    "keep the pages you read during a walk; re-read only page 1 (a poll) or the last, short "
    "page (to see new records)",
)
def refetch(exchanges: Sequence[Exchange]) -> list[Offence]:
    """A page read again in the same walk, after a successful answer and no error since.

    A walk of a series starts at each request for page 1, so a dashboard polling page 1 is
    never a refetch; nor is reading again the last page (short, or ending at `count`), which
    is how a client sees the records appended since (D45).
    """
    offences = []
    walks: dict[Key, dict[int, Exchange]] = defaultdict(dict)
    for exchange in exchanges:
        if not _paging(exchange):
            continue
        key, offset = _key(exchange), exchange.offset or 0
        read = walks[key]
        if not succeeded(exchange):
            read.clear()
            continue
        if offset == 1:
            walks[key] = {1: exchange}
            continue
        earlier = read.get(offset)
        if earlier is not None and _more_after(earlier):
            offences.append(Offence((exchange, earlier), f"page {offset} read as #{earlier.seq}"))
        read[offset] = exchange
    return offences


@rule(
    "paging-limit-changed",
    ERROR,
    "keep one limit for a whole walk: offset counts pages of that limit, so a new limit "
    "means starting again at offset=1",
)
def limit_changed(exchanges: Sequence[Exchange]) -> list[Offence]:
    """A walk continued at another limit: records were skipped or read twice.

    The next page (offset + 1) of the same IDs asked at another limit served than the page
    before it: page 2 at limit 50 after page 1 at limit 10 starts at record 51, and records
    11 to 50 are never read (D45).
    """
    offences = []
    last: dict[tuple[str, frozenset[str]], Exchange] = {}
    for exchange in exchanges:
        if not _paging(exchange):
            continue
        key = (client_of(exchange), exchange.id_set)
        before = last.get(key)
        if (
            before is not None
            and succeeded(before)
            and (exchange.offset or 0) == (before.offset or 0) + 1
            and exchange.served_limit != before.served_limit
        ):
            detail = (
                f"page {before.offset} at limit {before.served_limit}, then page "
                f"{exchange.offset} at limit {exchange.served_limit}"
            )
            offences.append(Offence((exchange, before), detail))
        last[key] = exchange
    return offences
