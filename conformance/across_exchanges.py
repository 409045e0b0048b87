"""Judgements across exchanges: what a series of pages of one request must keep, together.

Pure functions of recorded exchanges in the order they happened, whoever chose the requests:
the suite's own walks, or traffic a proxy observed. Pages are grouped by the request's form
(the `annotationRequestId` values as sent); within a group the contract says (D11, D16, D7):

- `count` is one number for the whole request; it may only rise over time, and only when the
  data grows append-only (earlier records unchanged, new ones at higher ids): that is
  recognised and reported as growth, not as a failure (`growth`);
- every page is a slice of one order by id: no record at two positions, no position holding
  two records, ids ascending across consecutive pages;
- the same request twice answers the same records (a page may gain records at its end while
  the data grows);
- several IDs: the comma-separated and repeated forms answer alike, duplicates count once, and
  the counts of the IDs add up.

Each judgement yields failures named after the check it belongs to, one per cause where the
pattern is recognisable (a per-page count, a 0-based offset).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from operator import lt
from typing import Any

from conformance.exchange import ID_PARAMETER, Exchange, pages
from conformance.failures import Failure
from conformance.per_exchange import page_size

Form = tuple[str, ...]


def form(exchange: Exchange) -> Form:
    """The request's IDs exactly as sent: values, commas and duplicates included."""
    return tuple(exchange.values(ID_PARAMETER))


def by_form(exchanges: Sequence[Exchange]) -> dict[Form, list[Exchange]]:
    groups: dict[Form, list[Exchange]] = defaultdict(list)
    for exchange in pages(exchanges):
        groups[form(exchange)].append(exchange)
    return groups


def _within(exchange: Exchange) -> bool:
    """A page that starts before the end of the request (past it, page_sizes judges)."""
    offset, served, count = exchange.offset, exchange.served_limit, exchange.count
    assert offset is not None and served is not None and count is not None
    return (offset - 1) * served < count


def _ascending(group: Sequence[Exchange]) -> bool:
    # map(lt) compares in C: a walk's window holds thousands of ids, judged on every page.
    return all(
        ids is not None and all(map(lt, ids, islice(ids, 1, None)))
        for ids in (exchange.int_record_ids for exchange in group)
    )


def _fail(check: str, message: str, exchange: Exchange, phase: str) -> Failure:
    return Failure(check, message, exchange.curl, phase)


def _where(exchange: Exchange) -> str:
    return f"page {exchange.offset} of limit {exchange.limit}"


def _label(group_form: Form) -> str:
    return (
        "&".join(group_form) if len(group_form) > 1 else repr(group_form[0] if group_form else "")
    )


@dataclass(frozen=True)
class Growth:
    """A request whose count rose during the run, all else consistent with append-only data."""

    form: Form
    first: int
    last: int

    def __str__(self) -> str:
        return f"{_label(self.form)} grew from {self.first} to {self.last} records during the run"


def _counts_fall(group: Sequence[Exchange]) -> tuple[Exchange, Exchange] | None:
    """The first (earlier, later) pair whose count fell: counts may only rise over time."""
    highest = group[0]
    for exchange in group[1:]:
        assert exchange.count is not None and highest.count is not None
        if exchange.count < highest.count:
            return highest, exchange
        if exchange.count > highest.count:
            highest = exchange
    return None


def growth(exchanges: Sequence[Exchange]) -> list[Growth]:
    """Requests whose count only rose during the run (recognised as append-only growth)."""
    found = []
    for group_form, group in by_form(exchanges).items():
        counts = [exchange.count for exchange in group if exchange.count is not None]
        if counts and _counts_fall(group) is None and counts[-1] > counts[0]:
            found.append(Growth(group_form, counts[0], counts[-1]))
    return found


def _count_fall_failure(group_form: Form, group: Sequence[Exchange], phase: str) -> Failure | None:
    fall = _counts_fall(group)
    if fall is None:
        return None  # the same count throughout, or a count that only rose: growth
    earlier, later = fall
    if later.count == len(later.records or []):
        return _fail(
            "count_stable",
            f"{_label(group_form)}: count looks per-page, not total: {_where(later)} answered "
            f"count {later.count}, its own number of records; {_where(earlier)} said "
            f"{earlier.count}. `count` is the number of records of the whole request",
            later,
            phase,
        )
    return _fail(
        "count_stable",
        f"{_label(group_form)}: count {earlier.count} on {_where(earlier)}, then "
        f"{later.count} on {_where(later)}: the count depends on the page (or the data "
        "shrank); it must be the request's total on every page, and may only rise",
        later,
        phase,
    )


def count_stable(exchanges: Sequence[Exchange], phase: str = "observed") -> Iterator[Failure]:
    """`count` is one number for the request on every page; over time it may only rise."""
    for group_form, group in by_form(exchanges).items():
        failure = _count_fall_failure(group_form, group, phase)
        if failure is not None:
            yield failure


def unreliable_counts(exchanges: Sequence[Exchange]) -> set[frozenset[str]]:
    """ID sets whose count fell during the run: judgements built on the count skip them, so
    that a broken count is one failure (count_stable), not one per page."""
    return {
        group[0].id_set
        for group_form, group in by_form(exchanges).items()
        if _count_fall_failure(group_form, group, "") is not None
    }


def page_sizes(exchanges: Sequence[Exchange], phase: str = "observed") -> Iterator[Failure]:
    """Each page's size agrees with its count, its offset and its (capped) limit.

    Requests whose count is unreliable (count_stable reports them), or whose pages overlap
    (pagination_no_overlap reports them), are not judged here: one cause, one failure.
    """
    unreliable = unreliable_counts(exchanges)
    overlapping = {
        exchanges_form for exchanges_form, group in by_form(exchanges).items()
        if any(f.check == "pagination_no_overlap" for f in slices_of_one_order(group))
    }  # fmt: skip
    for group_form, group in by_form(exchanges).items():
        if group[0].id_set in unreliable or group_form in overlapping:
            continue
        for exchange in group:
            found = page_size(exchange)
            if found:
                yield _fail(found[0], f"{_label(form(exchange))}: {found[1]}", exchange, phase)


def _slices(group: Sequence[Exchange]) -> Iterator[tuple[int, Any, Exchange]]:
    """(position in the request's one order, record id, exchange) of every record seen."""
    for exchange in group:
        served, offset = exchange.served_limit, exchange.offset
        assert served is not None and offset is not None
        for index, record_id in enumerate(exchange.record_ids):
            yield (offset - 1) * served + index, record_id, exchange


def _plainly_one_order(group: Sequence[Exchange]) -> bool:
    """True when the pages surely are slices of one order, seen by sets built in C: one limit,
    each page no longer than it, a page asked twice answered alike, and no id on two pages.
    Then no position can hold two records nor a record two positions. False when in doubt:
    the record-by-record pass below then judges (a walk of 1000-record pages through the
    proxy: about 1 ms a page instead of 5)."""
    limits = {exchange.served_limit for exchange in group}
    if len(limits) != 1:
        return False
    (limit,) = limits
    by_offset: dict[int | None, list[Any]] = {}
    for exchange in group:
        ids = exchange.record_ids
        if limit is None or len(ids) > limit:
            return False
        if by_offset.setdefault(exchange.offset, ids) != ids:
            return False
    every = [item for ids in by_offset.values() for item in ids]
    try:
        return len(set(every)) == len(every)
    except TypeError:
        return False  # an id no set can hold: the schema's to report, the loop's to judge


def slices_of_one_order(
    exchanges: Sequence[Exchange], phase: str = "observed"
) -> Iterator[Failure]:
    """Pages are slices of one order: no record at two positions, no position with two records.

    A record at two positions is an overlap (pagination_no_overlap); two records at one
    position is a shift or a skip (pagination_complete). When page 1 itself depends on the
    limit, the likeliest cause is a 0-based offset, reported as such and alone.
    """
    for group_form, all_pages in by_form(exchanges).items():
        group = [exchange for exchange in all_pages if _within(exchange)]
        if not _ascending(group) or _plainly_one_order(group):
            continue  # positions mean nothing on unordered pages: ordering reports them
        label = _label(group_form)
        firsts: dict[Any, Exchange] = {}
        for exchange in group:
            if exchange.offset == 1 and exchange.record_ids:
                firsts.setdefault(exchange.record_ids[0], exchange)
        if len(firsts) > 1:
            (a, first_a), (b, first_b) = sorted(firsts.items(), key=lambda kv: str(kv[0]))[:2]
            yield _fail(
                "pagination_complete",
                f"{label}: page 1 does not start at the first record: {_where(first_a)} starts "
                f"at id {a}, {_where(first_b)} at id {b}; page 1 must start at the first "
                "record whatever the limit: offset looks 0-based (page 1 starts at record "
                "limit+1)",
                first_b,
                phase,
            )
            continue
        # A record twice among pages of one limit is an overlap; among pages of different
        # limits, positions disagree when a page shifts or skips records.
        position_of: dict[tuple[int | None, Any], tuple[int, Exchange]] = {}
        at: dict[int, tuple[Any, Exchange]] = {}
        overlaps: list[Failure] = []
        shifts: list[Failure] = []
        for position, record_id, exchange in _slices(group):
            seen = position_of.setdefault((exchange.served_limit, record_id), (position, exchange))
            if seen[0] != position and len(overlaps) < 5:
                overlaps.append(_fail(
                    "pagination_no_overlap",
                    f"{label}: record {record_id} is on {_where(seen[1])} and on "
                    f"{_where(exchange)} (positions {seen[0] + 1} and {position + 1})",
                    exchange, phase,
                ))  # fmt: skip
            holder = at.setdefault(position, (record_id, exchange))
            if holder[0] != record_id and len(shifts) < 5:
                shifts.append(_fail(
                    "pagination_complete",
                    f"{label}: record {position + 1} of the request is id {holder[0]} on "
                    f"{_where(holder[1])} but id {record_id} on {_where(exchange)}: a page "
                    "skips or shifts records",
                    exchange, phase,
                ))  # fmt: skip
        # A record at two positions also puts two records at one position: one cause.
        yield from overlaps or shifts


def ascending_across_pages(
    exchanges: Sequence[Exchange], phase: str = "observed"
) -> Iterator[Failure]:
    """Ids ascend within each page and from each page to the next (D16)."""
    for group_form, group in by_form(exchanges).items():
        last_of: dict[tuple[int, int], Any] = {}
        for exchange in filter(_within, group):
            ids = exchange.int_record_ids
            served, offset = exchange.served_limit, exchange.offset
            if not ids or served is None or offset is None:
                continue
            before = last_of.get((served, offset - 1))
            # The same record ending one page and starting the next is an overlap (reported
            # by pagination_no_overlap), not a disorder.
            if before is not None and before > ids[0]:
                yield _fail(
                    "ordering",
                    f"{_label(group_form)}: page {offset} starts at id {ids[0]}, page "
                    f"{offset - 1} of the same limit ends at id {before}: ids must ascend "
                    "across pages (one order by id over all the IDs asked for, D16)",
                    exchange,
                    phase,
                )
            last_of[(served, offset)] = ids[-1]


def same_request_same_answer(
    exchanges: Sequence[Exchange], phase: str = "observed"
) -> Iterator[Failure]:
    """The same request again answers the same records (a page may grow at its end)."""
    for group_form, group in by_form(exchanges).items():
        first_of: dict[tuple[int | None, int | None], Exchange] = {}
        for exchange in group:
            key = (exchange.offset, exchange.served_limit)
            first = first_of.setdefault(key, exchange)
            if first is exchange:
                continue
            before, after = first.records or [], exchange.records or []
            changed = next(
                (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), None
            )
            if changed is None and len(after) >= len(before):
                continue
            if changed is None:
                detail = f"it lost records: {len(before)}, then {len(after)}"
            else:
                a, b = before[changed], after[changed]
                fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                detail = f"record {a.get('id')!r} changed its fields {fields}"
            yield _fail(
                "determinism",
                f"{_label(group_form)}: {_where(exchange)} asked twice: {detail}; the same "
                "request must answer the same records",
                exchange,
                phase,
            )


def _plain(exchange: Exchange) -> bool:
    raw = exchange.values(ID_PARAMETER)
    return len(raw) == len(exchange.ids) and not any("," in value for value in raw)


def forms_agree(exchanges: Sequence[Exchange], phase: str = "observed") -> Iterator[Failure]:
    """One set of IDs, sent in several forms, answers alike (D7).

    Duplicates (`a&a`, `a,a`) count once (duplicate_ids_once); the comma-separated form answers
    as the repeated one (multiple_ids). Another form agrees when it answers as any of the plain
    (repeated, no duplicate) requests of the same page: a request sent between two plain ones
    thus passes while the data grows.
    """
    groups: dict[tuple[frozenset[str], int | None, int | None], list[Exchange]] = defaultdict(list)
    for exchange in pages(exchanges):
        groups[(exchange.id_set, exchange.offset, exchange.served_limit)].append(exchange)
    for group in groups.values():
        plain = [e for e in group if _plain(e)]
        answers = {(e.count, tuple(e.record_ids)) for e in plain}
        for exchange in group:
            if not plain or _plain(exchange):
                continue
            if (exchange.count, tuple(exchange.record_ids)) in answers:
                continue
            raw = [p for value in exchange.values(ID_PARAMETER) for p in value.split(",")]
            duplicated = len(raw) > len(exchange.ids)
            check = "duplicate_ids_once" if duplicated else "multiple_ids"
            cause = (
                "duplicates must count once (D7)"
                if duplicated
                else "the comma-separated form must answer as the repeated one (D7)"
            )
            reference = plain[0]
            yield _fail(
                check,
                f"{'&'.join(form(exchange))} answered count {exchange.count} and ids "
                f"{exchange.record_ids[:5]}; {'&'.join(form(reference))} answered count "
                f"{reference.count} and ids {reference.record_ids[:5]}: {cause}",
                exchange,
                phase,
            )


def counts_add_up(exchanges: Sequence[Exchange], phase: str = "observed") -> Iterator[Failure]:
    """Several IDs together: `count` is the sum of their counts.

    Each ID's count is read from the single-ID pages just before and just after the combined
    one: the combined count must lie between the two sums (equal when the data is stable).
    """
    ordered = pages(exchanges)
    unreliable = unreliable_counts(exchanges)
    for index, exchange in enumerate(ordered):
        ids = exchange.ids
        if len(ids) < 2 or not _plain(exchange) or exchange.id_set in unreliable:
            continue
        if any(frozenset([item]) in unreliable for item in ids):
            continue
        before = _single_counts(ordered[:index][::-1], ids)
        after = _single_counts(ordered[index + 1 :], ids)
        if before is None:
            continue
        low = sum(before.values())
        high = sum(after.values()) if after is not None else low
        assert exchange.count is not None
        if low <= exchange.count <= max(low, high):
            continue
        hint = ""
        if exchange.count in set(before.values()):
            hint = ": it looks like only one of the IDs was counted"
        yield _fail(
            "multiple_ids",
            f"{_label(form(exchange))} together answered count {exchange.count}; the IDs' "
            f"counts add up to {low}{hint}",
            exchange,
            phase,
        )


def _single_counts(exchanges: Sequence[Exchange], ids: Sequence[str]) -> dict[str, int] | None:
    """The first count found for each of `ids` alone in `exchanges`; None if one is missing."""
    found: dict[str, int] = {}
    for exchange in exchanges:
        if len(exchange.ids) == 1 and _plain(exchange) and exchange.ids[0] in ids:
            assert exchange.count is not None
            found.setdefault(exchange.ids[0], exchange.count)
    return found if len(found) == len(set(ids)) else None


ACROSS = (
    count_stable,
    page_sizes,
    slices_of_one_order,
    ascending_across_pages,
    same_request_same_answer,
    forms_agree,
    counts_add_up,
)


def judge_all(
    exchanges: Sequence[Exchange], phase: str = "observed"
) -> Mapping[str, list[Failure]]:
    """Every cross-exchange judgement, failures grouped by check name."""
    found: dict[str, list[Failure]] = defaultdict(list)
    for judgement in ACROSS:
        for failure in judgement(exchanges, phase):
            found[failure.check].append(failure)
    return found
