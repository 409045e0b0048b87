"""The exchange against the ones seen before, judged by the suite's cross-exchange judgements.

`conformance/across_exchanges.py` judges a series of exchanges in the order they happened;
the proxy keeps, for each set of IDs asked for (D7: whatever the form), a window of its
latest pages, and judges the new page together with that window and the windows of each of
its IDs alone (their counts must add up). What the window already showed before the new page
came is subtracted: a failure is reported once, with the exchange that brought it.

Memory is bounded: an LRU of windows, at most `max_id_sets` of them and `max_page_records`
records in all, each window at most `WINDOW_PAGES` pages and `WINDOW_RECORDS` records. What
was forgotten is simply not compared (decision C33). Data growing append-only is recognised by
the suite's judgement and noted, not reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import count

from conformance.across_exchanges import form, growth, judge_all
from conformance.exchange import ID_PARAMETER, Exchange
from conformance.failures import Failure
from conformance.proxy.lru import BoundedLRU
from conformance.proxy.observed import forced
from conformance.proxy.request import Request

WINDOW_PAGES = 24
WINDOW_RECORDS = 5000
# Several IDs in one request: an order or overlap problem is multiple_ids_ordering's, as in the
# suite (checks.py), where one order over all the IDs is what breaks.
MULTI_ID_NAMES = {
    "ordering": "multiple_ids_ordering",
    "pagination_no_overlap": "multiple_ids_ordering",
}
IdSet = frozenset[str]
Window = tuple[tuple[int, Exchange], ...]


def _records(window: Window) -> int:
    return sum(len(exchange.records or ()) for _, exchange in window) + 1


@dataclass
class Found:
    """What the traffic showed about one new exchange."""

    judged: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)


class Traffic:
    """The windows of pages seen, and the growth recognised in them."""

    def __init__(self, max_id_sets: int, max_page_records: int, phase: str = "proxy") -> None:
        self.windows: BoundedLRU[IdSet, Window] = BoundedLRU(
            max_page_records, weight=_records, max_entries=max_id_sets
        )
        self.grown: BoundedLRU[tuple[str, ...], str] = BoundedLRU(max_id_sets)
        self.phase = phase
        self._sequence = count()

    def judge(self, exchange: Exchange, request: Request | None) -> Found:
        found = Found()
        if request is None or request.problem or forced(exchange) or not exchange.is_page:
            return found
        key = exchange.id_set
        related = [key, *(frozenset({item}) for item in key)] if len(key) > 1 else [key]
        prior = sorted(
            (item for name in related for item in self.windows.get(name) or ()),
            key=lambda item: item[0],
        )
        earlier = [seen for _, seen in prior]
        found.judged = _exercised(exchange, earlier)
        before = Counter(_identity(_flatten(judge_all(earlier, self.phase))))
        for failure in _flatten(judge_all([*earlier, exchange], self.phase)):
            if before[_identity_of(failure)] > 0:
                before[_identity_of(failure)] -= 1
                continue
            if len(key) > 1 and failure.check in MULTI_ID_NAMES:
                failure = Failure(MULTI_ID_NAMES[failure.check], failure.message, failure.curl,
                                  failure.phase)  # fmt: skip
            found.failures.append(failure)
        for grew in growth([*earlier, exchange]):
            if grew.form == form(exchange):
                self.grown.put(grew.form, str(grew))
        window = (*(self.windows.get(key) or ()), (next(self._sequence), exchange))
        while len(window) > 1 and (len(window) > WINDOW_PAGES or _records(window) > WINDOW_RECORDS):
            window = window[1:]
        self.windows.put(key, window)
        return found


def _flatten(grouped: object) -> list[Failure]:
    assert isinstance(grouped, dict)
    return [failure for failures in grouped.values() for failure in failures]


def _identity_of(failure: Failure) -> tuple[str, str, str]:
    return failure.check, failure.message, failure.curl


def _identity(failures: Iterable[Failure]) -> list[tuple[str, str, str]]:
    return [_identity_of(failure) for failure in failures]


def _exercised(exchange: Exchange, earlier: Sequence[Exchange]) -> set[str]:
    """The cross-exchange checks that the new page, with the ones before, gives a case of."""
    names: set[str] = set()
    mine = form(exchange)
    same_form = [e for e in earlier if form(e) == mine]
    if same_form:
        names.add("count_stable")
    same_limit = [e for e in same_form if e.served_limit == exchange.served_limit]
    if any(e.offset == exchange.offset for e in same_limit):
        names.add("determinism")
    if any(e.offset != exchange.offset for e in same_limit):
        names.update({"pagination_no_overlap", "pagination_complete", "ordering"})
    ids = exchange.ids
    raw = [part for value in exchange.values(ID_PARAMETER) for part in value.split(",")]
    if len(raw) > len(ids) and any(e.id_set == exchange.id_set for e in earlier):
        names.add("duplicate_ids_once")
    if len(ids) > 1:
        alone = {e.ids[0] for e in earlier if len(e.ids) == 1}
        other_form = any(e.id_set == exchange.id_set and form(e) != mine for e in earlier)
        if set(ids) <= alone or other_form:
            names.add("multiple_ids")
        if names & set(MULTI_ID_NAMES):
            names.add("multiple_ids_ordering")
    return names
