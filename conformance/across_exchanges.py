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


def count_stable(exchanges: Sequence[Exchange], phase: str = "observed") -> Iterator[Failure]:
    """`count` is one number for the request on every page; over time it may only rise."""
    for group_form, group in by_form(exchanges).items():
        fall = _counts_fall(group)
        counts = {exchange.count for exchange in group if exchange.count is not None}
        per_page = [e for e in group if e.count == len(e.records or []) and e.count != max(counts)]
        if per_page and len(counts) > 1:
            shown = per_page[0]
            yield _fail(
                "count_stable",
                f"{_label(group_form)}: count looks per-page, not total: {_where(shown)} "
                f"answered count {shown.count}, its own number of records; other pages of "
                f"the same request say {max(counts)}",
                shown,
                phase,
            )
        elif fall is not None:
            earlier, later = fall
            yield _fail(
                "count_stable",
                f"{_label(group_form)}: count {earlier.count} on {_where(earlier)}, then "
                f"{later.count} on {_where(later)}: the count depends on the page (or the data "
                "shrank); it must be the request's total on every page, and may only rise",
                later,
                phase,
            )


def _trusted_counts(group: Sequence[Exchange]) -> int | None:
    """The count to judge page sizes against when the pages disagree: the first page 1's."""
    if _counts_fall(group) is None and not any(
        e.count == len(e.records or []) and e.offset and e.offset > 1 for e in group
    ):
        return None
    firsts = [e.count for e in group if e.offset == 1 and e.count is not None]
    return max(firsts) if firsts else None


def page_sizes(exchanges: Sequence[Exchange], phase: str = "observed") -> Iterator[Failure]:
    """Each page's size agrees with the count, its offset and its (capped) limit.

    A page is judged against its own count, unless the pages of its request disagree on the
    count (count_stable reports that): then against page 1's, so that one bug is one failure.
    """
    for group in by_form(exchanges).values():
        trusted = _trusted_counts(group)
        for exchange in group:
            found = page_size(exchange, trusted)
            if found:
                yield _fail(found[0], f"{_label(form(exchange))}: {found[1]}", exchange, phase)


def _slices(group: Sequence[Exchange]) -> Iterator[tuple[int, Any, Exchange]]:
    """(position in the request's one order, record id, exchange) of every record seen."""
    for exchange in group:
        served, offset = exchange.served_limit, exchange.offset
        assert served is not None and offset is not None
        for index, record_id in enumerate(exchange.record_ids):
            yield (offset - 1) * served + index, record_id, exchange


def slices_of_one_order(
    exchanges: Sequence[Exchange], phase: str = "observed"
) -> Iterator[Failure]:
    """Pages are slices of one order: no record at two positions, no position with two records.

    A record at two positions is an overlap (pagination_no_overlap); two records at one
    position is a shift or a skip (pagination_complete). When page 1 itself depends on the
    limit, the likeliest cause is a 0-based offset, reported as such and alone.
    """
    for group_form, group in by_form(exchanges).items():
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
        position_of: dict[Any, tuple[int, Exchange]] = {}
        at: dict[int, tuple[Any, Exchange]] = {}
        overlaps: list[Failure] = []
        shifts: list[Failure] = []
        for position, record_id, exchange in _slices(group):
            seen = position_of.setdefault(record_id, (position, exchange))
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
        for exchange in group:
            ids = exchange.int_record_ids
            served, offset = exchange.served_limit, exchange.offset
            if not ids or served is None or offset is None:
                continue
            before = last_of.get((served, offset - 1))
            if before is not None and before >= ids[0]:
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


def _by_ids(
    exchanges: Sequence[Exchange],
) -> dict[tuple[frozenset[str], int | None, int | None], list[Exchange]]:
    groups: dict[tuple[frozenset[str], int | None, int | None], list[Exchange]] = defaultdict(list)
    for exchange in pages(exchanges):
        groups[(exchange.id_set, exchange.offset, exchange.served_limit)].append(exchange)
    return groups


def forms_agree(exchanges: Sequence[Exchange], phase: str = "observed") -> Iterator[Failure]:
    """One set of IDs, sent in several forms, answers alike (D7).

    Duplicates (`a&a`, `a,a`) count once (duplicate_ids_once); the comma-separated and the
    repeated forms answer the same page (multiple_ids). Judged only between exchanges whose
    counts agree elsewhere: growing data is compared at equal counts.
    """
    for (ids, _, _), group in _by_ids(exchanges).items():
        plain = [
            e
            for e in group
            if len(e.values(ID_PARAMETER)) == len(ids)
            and "," not in "".join(e.values(ID_PARAMETER))
        ]
        if not plain:
            continue
        reference = plain[0]
        for exchange in group:
            raw = [p for value in exchange.values(ID_PARAMETER) for p in value.split(",")]
            if exchange.count == reference.count and exchange.record_ids == reference.record_ids:
                continue
            check = "duplicate_ids_once" if len(raw) > len(ids) else "multiple_ids"
            if check == "multiple_ids" and len(ids) < 2:
                continue
            cause = (
                "duplicates must count once (D7)"
                if check == "duplicate_ids_once"
                else "the comma-separated form must answer as the repeated one (D7)"
            )
            yield _fail(
                check,
                f"{'&'.join(form(exchange))} answered count {exchange.count} and ids "
                f"{exchange.record_ids[:5]}; {'&'.join(form(reference))} answered count "
                f"{reference.count} and ids {reference.record_ids[:5]}: {cause}",
                exchange,
                phase,
            )


def counts_add_up(exchanges: Sequence[Exchange], phase: str = "observed") -> Iterator[Failure]:
    """Several IDs together: `count` is the sum of their counts (when none of them grew)."""
    grown = {g.form for g in growth(exchanges)}
    single: dict[str, int] = {}
    for group_form, group in by_form(exchanges).items():
        ids = group[0].ids
        if len(ids) == 1 and len(group_form) == 1 and group_form not in grown:
            assert group[-1].count is not None
            single[ids[0]] = group[-1].count
    for group_form, group in by_form(exchanges).items():
        ids = group[0].ids
        if len(ids) < 2 or not all(item in single for item in ids) or group_form in grown:
            continue
        total = sum(single[item] for item in ids)
        exchange = group[0]
        if exchange.count != total:
            hint = ""
            if exchange.count in {single[item] for item in ids}:
                hint = ": it looks like only one of the IDs was counted"
            yield _fail(
                "multiple_ids",
                f"{_label(group_form)} together answered count {exchange.count}; the IDs' "
                f"counts add up to {total}{hint}",
                exchange,
                phase,
            )


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
