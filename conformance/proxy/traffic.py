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
from dataclasses import dataclass, field, replace
from itertools import count

from conformance.across_exchanges import form, growth, judge_all
from conformance.exchange import ID_PARAMETER, Exchange
from conformance.failures import Failure
from conformance.proxy.lru import BoundedLRU
from conformance.proxy.observed import forced
from conformance.proxy.request import Request

WINDOW_PAGES = 24
# Outcomes that say whether the server knows the IDs: compared between forms of one request.
OUTCOMES = frozenset({2000, 53003})
WINDOW_RECORDS = 3000
# Several IDs in one request: an order or overlap problem is multiple_ids_ordering's, as in the
# suite (checks.py), where one order over all the IDs is what breaks.
MULTI_ID_NAMES = {
    "ordering": "multiple_ids_ordering",
    "pagination_no_overlap": "multiple_ids_ordering",
}
IdSet = frozenset[str]
Entries = tuple[tuple[int, Exchange], ...]


@dataclass(frozen=True)
class Window:
    """The latest pages of one ID set, in order, and what the last of them broke."""

    entries: Entries
    last_failures: tuple[Failure, ...] = ()

    @property
    def records(self) -> int:
        return _records(self.entries)


def _records(entries: Entries) -> int:
    return sum(len(exchange.records or ()) for _, exchange in entries) + 1


@dataclass
class Found:
    """What the traffic showed about one new exchange."""

    judged: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)


class Traffic:
    """The windows of pages seen, and the growth recognised in them."""

    def __init__(self, max_id_sets: int, max_page_records: int, phase: str = "proxy") -> None:
        self.windows: BoundedLRU[IdSet, Window] = BoundedLRU(
            max_page_records, weight=lambda window: window.records, max_entries=max_id_sets
        )
        self.grown: BoundedLRU[tuple[str, ...], str] = BoundedLRU(max_id_sets)
        # The outcome (2000 or 53003) each form of an ID set last got, with its curl line.
        self.outcomes: BoundedLRU[IdSet, dict[tuple[str, ...], tuple[int, str]]] = BoundedLRU(
            max_id_sets
        )
        self.phase = phase
        self._sequence = count()
        # The window judged last and its failures: the next exchange of the same IDs, with
        # nothing forgotten meanwhile, finds them as its "before" without judging again.
        self._last_run: tuple[tuple[int, ...], Counter[tuple[str, str, str]]] | None = None

    def judge(self, exchange: Exchange, request: Request | None) -> Found:
        found = Found()
        if request is None or request.problem or forced(exchange):
            return found
        self._forms_answer_alike(exchange, found)
        if not exchange.is_page:
            return found
        key = exchange.id_set
        related = [key, *(frozenset({item}) for item in key)] if len(key) > 1 else [key]
        prior = sorted(
            (item for name in related for item in _entries(self.windows.get(name))),
            key=lambda item: item[0],
        )
        earlier = _relevant([seen for _, seen in prior], exchange)
        # Added to, not replaced: the forms' comparison above may have judged multiple_ids.
        found.judged |= _exercised(exchange, earlier)
        mine = self.windows.get(key)
        if mine is not None and _same_answer(mine.entries[-1][1], exchange):
            # The answer the last request of these IDs got, again (a client polling): no
            # judgement can find anything new in it, and judging the window costs.
            found.failures = [
                Failure.of(failure.check, failure.message, exchange, failure.phase)
                for failure in mine.last_failures
            ]
            return found
        chosen = {id(seen) for seen in earlier}
        sequence = tuple(number for number, seen in prior if id(seen) in chosen)
        if self._last_run is not None and self._last_run[0] == sequence:
            before = Counter(self._last_run[1])
        else:
            before = Counter(_identity(_flatten(judge_all(earlier, self.phase))))
        after = _flatten(judge_all([*earlier, exchange], self.phase))
        number = next(self._sequence)
        self._last_run = ((*sequence, number), Counter(_identity(after)))
        for failure in after:
            if before[_identity_of(failure)] > 0:
                before[_identity_of(failure)] -= 1
                continue
            if len(key) > 1 and failure.check in MULTI_ID_NAMES:
                failure = replace(failure, check=MULTI_ID_NAMES[failure.check])
            found.failures.append(failure)
        for grew in growth([*earlier, exchange]):
            if grew.form == form(exchange):
                self.grown.put(grew.form, str(grew))
        entries = (*_entries(mine), (number, exchange))
        while len(entries) > 1 and (
            len(entries) > WINDOW_PAGES or _records(entries) > WINDOW_RECORDS
        ):
            entries = entries[1:]
        self.windows.put(key, Window(entries, tuple(found.failures)))
        return found

    def _forms_answer_alike(self, exchange: Exchange, found: Found) -> None:
        """One set of IDs in two forms (`a,b` and `a&b`, `a&a` and `a`) gets one outcome (D7).

        The suite's `forms_agree` compares pages; a form answered 53003 while another form of
        the same IDs got a page (a server taking `a,b` for one ID) is no page to compare.
        """
        code = exchange.code
        if code not in OUTCOMES:
            return
        mine = form(exchange)
        seen = dict(self.outcomes.get(exchange.id_set) or {})
        others = {other: got for other, got in seen.items() if other != mine}
        if others:
            found.judged.add("multiple_ids")
        differing = next(((o, got) for o, got in others.items() if got[0] != code), None)
        if differing is not None:
            other, (other_code, _) = differing
            found.failures.append(
                Failure.of(
                    "multiple_ids",
                    f"{'&'.join(mine)} answered code {code}, {'&'.join(other)} answered code "
                    f"{other_code}: the same IDs in another form are the same request (D7)",
                    exchange,
                    self.phase,
                )
            )
        seen[mine] = (code, exchange.curl)
        self.outcomes.put(exchange.id_set, seen)


def _entries(window: Window | None) -> Entries:
    return window.entries if window is not None else ()


def _relevant(earlier: Sequence[Exchange], now: Exchange) -> list[Exchange]:
    """The pages of the window that a judgement of `now` can compare it with, in order.

    Judging the whole window twice per exchange cost tens of milliseconds; these few give the
    same verdict on `now`: its neighbours and itself asked before (overlap, order, same
    answer), the request's page 1s (a 0-based offset), the highest count and the latest one
    of each form (a count that falls), the same page in another form (D7), and the latest
    page of each ID alone (counts add up).
    """
    mine, limit, offset = form(now), now.served_limit, now.offset
    span = _span(now)
    keep: set[int] = set()
    highest: dict[tuple[str, ...], Exchange] = {}
    latest: dict[tuple[str, ...], Exchange] = {}
    for seen in earlier:
        other = form(seen)
        near = offset is not None and seen.offset is not None and abs(seen.offset - offset) <= 1
        if other == mine and seen.served_limit == limit and near:
            keep.add(id(seen))
        if other == mine and _overlap(_span(seen), span):
            keep.add(id(seen))  # another limit's page over some of the same positions
        if other == mine and seen.offset == 1:
            keep.add(id(seen))
        if other != mine and seen.id_set == now.id_set and seen.offset == offset:
            keep.add(id(seen))
        best = highest.get(other)
        if best is None or (seen.count or 0) > (best.count or 0):
            highest[other] = seen
        latest[other] = seen
    keep |= {id(seen) for seen in [*highest.values(), *latest.values()]}
    return [seen for seen in earlier if id(seen) in keep]


def _span(exchange: Exchange) -> tuple[int, int] | None:
    """The positions a page asks for, [start, stop), or None when its offset or limit is bad."""
    offset, limit = exchange.offset, exchange.served_limit
    if offset is None or limit is None:
        return None
    return (offset - 1) * limit, offset * limit


def _overlap(one: tuple[int, int] | None, other: tuple[int, int] | None) -> bool:
    return one is not None and other is not None and one[0] < other[1] and other[0] < one[1]


def _same_answer(before: Exchange, now: Exchange) -> bool:
    return (
        form(before) == form(now)
        and before.offset == now.offset
        and before.served_limit == now.served_limit
        and before.count == now.count
        and before.records == now.records
    )


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
