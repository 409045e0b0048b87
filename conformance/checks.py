"""The semantic checks: which requests each sends, judged by the pure judgements.

Each check is a function `(phase, outcome)` registered under its own name; its docstring's first
paragraph is its `--list-checks` description and the decorators under `@register` say what it needs.
A check sends requests through `phase.target` (or reuses the shared walks), hands the recorded
exchanges to `per_exchange`/`across_exchanges`, and keeps the failures named after itself. It
counts what it could judge: a check that judged nothing is reported not run, never passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import cached_property
from urllib.parse import quote

from conformance import across_exchanges as across
from conformance import per_exchange as rules
from conformance.client import INT32_MAX, Target, Walk, walk
from conformance.config import Options
from conformance.envelope import SUCCESS
from conformance.exchange import LIMIT_CAP, Exchange
from conformance.failures import Failure
from conformance.registry import (
    SEMANTIC,
    NotRun,
    Outcome,
    needs_known_ids,
    needs_request_over,
    needs_unknown_id,
    register,
)

PHASE = "semantic"
UNKNOWN_ANNOTATION_REQUEST = 53003
MAX_IDS_TOGETHER = 5
TOGETHER_LIMIT = 12
# Schema errors at these places are another check's to report (one cause, one failure): the
# envelope rules' fields, and the enums' values (enum_membership says which value).
OWNED_ELSEWHERE = (
    "at /requestId:",
    "at /date:",
    "at /success:",
    "/status:",
    "/poolType:",
    "/actionType:",
)
# 255 bytes of UTF-8 made of multi-byte characters, and one byte more.
IDS_OF_255_BYTES = ("é" * 127 + "a", "€" * 85)
IDS_OF_256_BYTES = ("é" * 128, "€" * 85 + "a")
# Values of `offset`/`limit` that D10 makes invalid: zero, negative, fraction, empty, int32+1;
# then the forms other stacks' integer parsers accept by default, which D56 refuses: a sign
# (Java, Go, .NET), blanks (.NET, JavaScript's parseInt), an exponent and trailing text
# (parseInt reads `1e1` and `10abc` as 1 and 10), Go's base prefixes, digit separators and
# non-ASCII digits (Python's int, Java's parseInt), an overflow of 64 bits.
INVALID_INTEGERS: tuple[str, ...] = ("0", "-1", "1.5", "", "2147483648", "ten")
INVALID_INTEGERS += ("+1", "-0", "1e1", "10abc", " 10", "10 ", "0x10", "1_0", "\u0661\u0660")
INVALID_INTEGERS += ("\uff11\uff10", "99999999999999999999")
# A valid integer with leading zeros: decimal, 10 records, not octal's 8 (D56).
LEADING_ZEROS = "010"
# Repetitions of `offset`/`limit`, each order (D24, D58): differing values, the same value twice
# (a server that keeps distinct values sees one), and an empty one beside a value (a server
# that drops blank values sees one).
REPEATED_VALUES = (("1", "2"), ("2", "1"), ("1", "1"), ("", "1"), ("1", ""))


def near_misses(name: str) -> tuple[str, ...]:
    """Names other stacks' query parsers take for `name` by default, which D57 does not:
    Express's qs reads `name[]` and `name[0]` as `name` (and `name.0` with allowDots),
    ASP.NET Core matches names case-insensitively."""
    capitalised = name[:1].upper() + name[1:]
    found = (f"{name}[]", f"{name}[0]", f"{name}.0", name.lower(), name.upper(), capitalised)
    return tuple(dict.fromkeys(other for other in found if other != name))


# Methods the contract does not document; QUERY is one a server may not know at all (501).
OTHER_METHODS = ("POST", "PUT", "PATCH", "DELETE", "QUERY")


class Phase:
    """One semantic run: the target, the IDs, and the walks shared by the checks."""

    def __init__(self, options: Options, target: Target) -> None:
        self.options = options
        self.target = target

    @property
    def known_ids(self) -> tuple[str, ...]:
        return self.options.known_ids

    @property
    def unknown_ids(self) -> tuple[str, ...]:
        return self.options.unknown_ids

    @cached_property
    def _walked_ids(self) -> tuple[list[Walk], dict[str, Exchange]]:
        walks: list[Walk] = []
        unanswered: dict[str, Exchange] = {}
        for item in self.options.known_ids:
            probe = self.target.get([item], offset=1, limit=LIMIT_CAP)
            result = walk(self.target, [item], probe=probe)
            if result is None:
                unanswered[item] = probe
            else:
                walks.append(result)
        return walks, unanswered

    @property
    def walks(self) -> list[Walk]:
        """The pages of each known ID that answered a page."""
        return self._walked_ids[0]

    @property
    def unanswered(self) -> dict[str, Exchange]:
        """Known IDs whose first page (offset 1, limit 1000) was no page: that very answer.

        The one `known_id_schema` judges: asking again with other parameters and blaming the
        first answer on the second made one run say "answered code 2000, expected 2000 with a
        page" (issue 28, C47)."""
        return self._walked_ids[1]

    def largest_request(self) -> tuple[str, int] | None:
        if not self.walks:
            return None
        largest = max(self.walks, key=lambda result: result.count)
        return largest.ids[0], largest.count

    @cached_property
    def walked(self) -> list[Exchange]:
        return [exchange for result in self.walks for exchange in result.exchanges]

    @cached_property
    def combined(self) -> list[Walk]:
        """Several known IDs in one request, repeated and comma-separated (D7)."""
        ids = [result.ids[0] for result in self.walks if result.count > 0][:MAX_IDS_TOGETHER]
        if len(ids) < 2:
            return []
        # The comma form names the IDs in the other order: one order by id whatever the order
        # named (D58), which a server serving each ID's records in turn breaks in one of them.
        found = [walk(self.target, ids), walk(self.target, ids[::-1], joined=True)]
        return [result for result in found if result is not None]

    def fail(self, name: str, message: str, exchange: Exchange) -> Failure:
        return Failure.of(name, message, exchange, PHASE)


def _keep(outcome: Outcome, name: str, failures: Iterable[Failure]) -> None:
    outcome.failures += [failure for failure in failures if failure.check == name]


def _pages(exchanges: Sequence[Exchange]) -> list[Exchange]:
    return [exchange for exchange in exchanges if exchange.is_page]


@register(SEMANTIC)
@needs_known_ids(1)
def known_id_schema(phase: Phase, outcome: Outcome) -> None:
    """A known ID answers 2000 with the contract's success envelope, records included."""
    past = {id(exchange) for result in phase.walks for exchange in result.past_last}
    for exchange in phase.walked:
        if id(exchange) in past:
            continue  # past the last page: past_last_page_empty judges those answers
        outcome.saw()
        if exchange.code != SUCCESS:
            outcome.failures.append(phase.fail(
                "known_id_schema",
                f"known ID(s) {list(exchange.ids)} answered code {exchange.code!r} (HTTP "
                f"{exchange.status}), expected 2000",
                exchange,
            ))  # fmt: skip
            continue
        message = rules.response_schema_conformance(exchange, False)
        if message and not any(owned in message for owned in OWNED_ELSEWHERE):
            outcome.failures.append(phase.fail("known_id_schema", message, exchange))
    for item, probe in phase.unanswered.items():
        outcome.saw()
        outcome.failures.append(phase.fail(
            "known_id_schema",
            f"known ID {item!r}: its first page (offset 1, limit 1000) answered "
            f"{_answer(probe)}; expected code 2000 with a page",
            probe,
        ))  # fmt: skip


def _answer(exchange: Exchange) -> str:
    """What an answer was, in words: the code and status, or that it was no envelope."""
    if exchange.code is not None:
        return f"code {exchange.code!r} (HTTP {exchange.status})"
    if exchange.body is None:
        return f"HTTP {exchange.status} with a body that is not JSON"
    return f"HTTP {exchange.status} without the envelope's code"


def _walk_pages(phase: Phase) -> list[Exchange]:
    return _pages(phase.walked)


@register(SEMANTIC)
@needs_known_ids(1)
def pagination_no_overlap(phase: Phase, outcome: Outcome) -> None:
    """No record appears on two pages of one request."""
    pages = _walk_pages(phase)
    outcome.saw(len(pages))
    _keep(outcome, "pagination_no_overlap", across.slices_of_one_order(pages, PHASE))


@register(SEMANTIC)
@needs_known_ids(1)
def pagination_complete(phase: Phase, outcome: Outcome) -> None:
    """Every page is full but the last, pages skip nothing, page 1 starts at the first record."""
    pages = _walk_pages(phase)
    outcome.saw(len(pages))
    shifts = [
        f for f in across.slices_of_one_order(pages, PHASE) if f.check == "pagination_complete"
    ]
    zero_based = [f for f in shifts if "0-based" in f.message]
    # A 0-based offset makes every page the wrong size: its diagnosis is the one failure.
    _keep(outcome, "pagination_complete", zero_based or [*shifts, *across.page_sizes(pages, PHASE)])


@register(SEMANTIC)
@needs_known_ids(1)
def count_stable(phase: Phase, outcome: Outcome) -> None:
    """`count` is the request's total on every page; it may only rise (append-only growth)."""
    pages = _walk_pages(phase)
    outcome.saw(len(pages))
    _keep(outcome, "count_stable", across.count_stable(pages, PHASE))


@register(SEMANTIC)
@needs_known_ids(1)
def past_last_page_empty(phase: Phase, outcome: Outcome) -> None:
    """A page past the last answers 2000 with an empty list and the true count."""
    for result in phase.walks:
        for exchange in result.past_last:
            outcome.saw()
            if not exchange.is_page:
                outcome.failures.append(phase.fail(
                    "past_last_page_empty",
                    f"{list(result.ids)}: page {exchange.offset}, past the last page "
                    f"({result.last_page}), answered code {exchange.code!r} (HTTP "
                    f"{exchange.status}); expected 2000 with an empty list and count "
                    f"{result.count} (D11)",
                    exchange,
                ))  # fmt: skip
    _keep(outcome, "past_last_page_empty", across.page_sizes(_walk_pages(phase), PHASE))


@register(SEMANTIC)
@needs_known_ids(1)
@needs_request_over(LIMIT_CAP)
def limit_capped(phase: Phase, outcome: Outcome) -> None:
    """A `limit` above 1000 is served as 1000, not rejected."""
    largest = max(phase.walks, key=lambda result: result.count)
    item = largest.ids[0]
    # Page 1, and page 2: its first record is the 1001st, whatever limit above 1000 was asked
    # (a server applying `offset` with the limit asked for, then the cap, skips records).
    for offset in (1, 2):
        _capped_page(phase, outcome, largest.count, item, offset)


def _capped_page(phase: Phase, outcome: Outcome, count: int, item: str, offset: int) -> None:
    capped = phase.target.get([item], offset, LIMIT_CAP)
    for limit in (LIMIT_CAP + 1, INT32_MAX):
        exchange = phase.target.get([item], offset, limit)
        outcome.saw()
        if not exchange.is_page:
            outcome.failures.append(phase.fail(
                "limit_capped",
                f"{item!r}: limit {limit} answered code {exchange.code!r}; a limit above 1000 "
                f"is served as 1000 (D5), not rejected: expected 2000 with 1000 records",
                exchange,
            ))  # fmt: skip
            continue
        found = rules.page_size(exchange, count)
        if found and found[0] == "limit_capped":
            outcome.failures.append(phase.fail("limit_capped", f"{item!r}: {found[1]}", exchange))
        elif exchange.record_ids != capped.record_ids:
            outcome.failures.append(phase.fail(
                "limit_capped",
                f"{item!r}: page {offset} of limit {limit} gave {len(exchange.record_ids)} "
                f"records, of limit 1000 {len(capped.record_ids)}: a limit above 1000 must "
                "answer limit 1000's page",
                exchange,
            ))  # fmt: skip


@register(SEMANTIC)
@needs_known_ids(1)
def ordering(phase: Phase, outcome: Outcome) -> None:
    """Records are ordered by `id` ascending, within and across pages."""
    pages = _walk_pages(phase)
    for exchange in pages:
        outcome.saw()
        message = rules.ordering(exchange, False)
        if message:
            outcome.failures.append(
                phase.fail("ordering", f"{list(exchange.ids)}: {message}", exchange)
            )
    _keep(outcome, "ordering", across.ascending_across_pages(pages, PHASE))


@register(SEMANTIC)
@needs_known_ids(1)
def determinism(phase: Phase, outcome: Outcome) -> None:
    """The same request twice answers the same records."""
    for result in phase.walks:
        outcome.saw(len(result.again))
    _keep(outcome, "determinism", across.same_request_same_answer(_walk_pages(phase), PHASE))


def _per_record(phase: Phase, outcome: Outcome, name: str, rule: rules.Judgement) -> None:
    for exchange in _walk_pages(phase):
        outcome.saw(len(exchange.records or []))
        message = rule(exchange, False)
        if message:
            outcome.failures.append(phase.fail(name, message, exchange))


@register(SEMANTIC)
@needs_known_ids(1)
def instance_info_sum(phase: Phase, outcome: Outcome) -> None:
    """`instanceInfo` values sum to modifyInstanceNum + modifyAttributesNum ({} when 0)."""
    _per_record(phase, outcome, "instance_info_sum", rules.instance_info_sum)


@register(SEMANTIC)
@needs_known_ids(1)
def enum_membership(phase: Phase, outcome: Outcome) -> None:
    """`status`, `poolType` and `actionType` hold values of the contract's enums."""
    _per_record(phase, outcome, "enum_membership", rules.enum_membership)


def _ids_with_records(phase: Phase, outcome: Outcome) -> list[str]:
    """Known IDs that answered records (up to 5); says why when fewer than two did."""
    ids = [result.ids[0] for result in phase.walks if result.count > 0][:MAX_IDS_TOGETHER]
    if len(ids) < 2:
        unanswered = len(phase.unanswered)
        why = f"; {unanswered} answered no page (known_id_schema says what)" if unanswered else ""
        outcome.not_run = NotRun(
            f"needs two known IDs with records; {len(ids)} of the {len(phase.known_ids)} "
            f"known IDs answered any{why}",
            "pass another --known-id of a request with records",
        )
    return ids


@register(SEMANTIC)
@needs_known_ids(2)
def multiple_ids(phase: Phase, outcome: Outcome) -> None:
    """Several IDs: `count` adds theirs up; `a,b` (literal comma) answers as `a&b`."""
    ids = _ids_with_records(phase, outcome)
    if len(ids) < 2:
        return
    target = phase.target
    # Each ID alone, then together in both forms, then alone again: growing data is compared
    # with what it was just before and just after.
    sent = [target.get([item], 1, 1) for item in ids]
    together = [target.get(ids, 1, TOGETHER_LIMIT), target.get(ids, 1, TOGETHER_LIMIT, joined=True)]
    sent += [*together, target.get(ids, 1, TOGETHER_LIMIT)]
    sent += [target.get([item], 1, 1) for item in ids]
    for exchange in together:
        outcome.saw()
        if exchange.count is None:
            outcome.failures.append(phase.fail(
                "multiple_ids",
                f"{'&'.join(exchange.values('annotationRequestId'))} answered code "
                f"{exchange.code!r}; several known IDs answer one page of all their records (D7)",
                exchange,
            ))  # fmt: skip
    found = list(across.forms_agree(sent, PHASE))
    # A count broken alone (count_stable reports it) cannot be added up.
    if not across.unreliable_counts(_walk_pages(phase)) & {frozenset([item]) for item in ids}:
        found += across.counts_add_up(sent, PHASE)
    _keep(outcome, "multiple_ids", found)


@register(SEMANTIC)
@needs_known_ids(2)
def multiple_ids_ordering(phase: Phase, outcome: Outcome) -> None:
    """Several IDs: one order by id over all of them, pages slices of it (not concatenated)."""
    if len(_ids_with_records(phase, outcome)) < 2:
        return
    pages = _pages([e for result in phase.combined for e in result.exchanges])
    outcome.saw(len(pages))
    if any(rules.ordering(exchange, False) for exchange in _walk_pages(phase)):
        return  # one ID's pages are already out of order: `ordering` reports that cause
    found = list(across.ascending_across_pages(pages, PHASE))
    for exchange in pages:
        message = rules.ordering(exchange, False)
        if message:
            found.append(phase.fail("ordering", f"{list(exchange.ids)}: {message}", exchange))
    outcome.failures += [replace(failure, check="multiple_ids_ordering") for failure in found][:5]


@register(SEMANTIC)
@needs_known_ids(1)
def duplicate_ids_once(phase: Phase, outcome: Outcome) -> None:
    """A duplicated ID (`a&a`, `a,a`) counts once (D7); `a, a` and `a;a` are other IDs."""
    result = next((r for r in phase.walks if r.count > 0), None)
    if result is None:
        return
    item = result.ids[0]
    # Between two plain requests: growing data is compared with what it was around them.
    plain = phase.target.get([item], 1, result.limit)
    sent = [
        phase.target.get([item, item], 1, result.limit),
        phase.target.get([item, item], 1, result.limit, joined=True),
    ]
    again = phase.target.get([item], 1, result.limit)
    outcome.saw(len(sent))
    _keep(outcome, "duplicate_ids_once", across.forms_agree([plain, *sent, again], PHASE))
    for exchange in sent:
        if exchange.count is None:
            outcome.failures.append(phase.fail(
                "duplicate_ids_once",
                f"{'&'.join(exchange.values('annotationRequestId'))} answered code "
                f"{exchange.code!r}; a duplicated ID counts once (D7), it is not an error",
                exchange,
            ))  # fmt: skip
    # Not a duplicate: blanks around a comma belong to the ID (` a` is another ID), and `;`
    # separates nothing (D58). Spring trims list items and older parsers split pairs at `;`:
    # both answer `a` alone; Go's net/url drops a pair holding a `;`: the ID is missing. A
    # server knowing only real IDs answers 53003, one generating data for any ID a page of
    # both; neither answers as `a` alone, nor 4005.
    # The `;` literal, as a client's URL holds it: percent-encoded, it would be data anyway.
    alone = {(e.count, tuple(e.record_ids)) for e in (plain, again)}
    for joined in (f"{item}, {item}", f"{item} ,{item}", f"{item};{item}"):
        exchange = phase.target.send_raw(
            f"annotationRequestId={quote(joined, safe=',;')}&offset=1&limit={result.limit}"
        )
        outcome.saw()
        taken_alone = exchange.is_page and (exchange.count, tuple(exchange.record_ids)) in alone
        if taken_alone or exchange.code == rules.INVALID_PARAMETER:
            outcome.failures.append(phase.fail(
                "duplicate_ids_once",
                f"annotationRequestId={joined} answered code {exchange.code!r}"
                f"{' with the page of ' + repr(item) + ' alone' if taken_alone else ''}; blanks "
                "around a comma are part of an ID and `;` separates nothing (D58): it names "
                "another ID (53003, or its records too)",
                exchange,
            ))  # fmt: skip


@register(SEMANTIC)
def repeated_offset_limit_rejected(phase: Phase, outcome: Outcome) -> None:
    """A repeated `offset` or `limit` answers 4005 (D24)."""
    item = (phase.options.known_ids or ("conformance-any-id",))[0]
    for name in ("offset", "limit"):
        for first, second in REPEATED_VALUES:
            pairs = [("annotationRequestId", item), (name, first), (name, second)]
            exchange = phase.target.send(pairs)
            outcome.saw()
            message = rules.repeated_offset_limit_rejected(exchange, False)
            if message:
                outcome.failures.append(
                    phase.fail("repeated_offset_limit_rejected", message, exchange)
                )


@register(SEMANTIC)
@needs_known_ids(1)
def invalid_offset_limit_rejected(phase: Phase, outcome: Outcome) -> None:
    """An `offset` or `limit` out of 1..2147483647, or not an integer, answers 4005 (D10)."""
    # A known ID, so that a server checking the ID first cannot hide behind 53003.
    item = phase.options.known_ids[0]
    for name in ("offset", "limit"):
        for value in INVALID_INTEGERS:
            exchange = phase.target.send([("annotationRequestId", item), (name, value)])
            outcome.saw()
            message = rules.invalid_offset_limit_rejected(exchange, False)
            if message:
                outcome.failures.append(
                    phase.fail("invalid_offset_limit_rejected", message, exchange)
                )
    # Leading zeros are decimal (D56): a page of 10 records where the request has them.
    result = next((r for r in phase.walks if r.count > 8), None)  # 8: octal's reading
    if result is not None:
        item = result.ids[0]
        exchange = phase.target.send([("annotationRequestId", item), ("limit", LEADING_ZEROS)])
        outcome.saw()
        found = rules.page_size(exchange, result.count) if exchange.is_page else None
        if not exchange.is_page or found:
            outcome.failures.append(phase.fail(
                "invalid_offset_limit_rejected",
                f"limit={LEADING_ZEROS} answered code {exchange.code!r} with "
                f"{len(exchange.record_ids)} records; leading zeros are decimal (D56): "
                f"{min(10, result.count)} records, as limit=10",
                exchange,
            ))  # fmt: skip


@register(SEMANTIC)
@needs_known_ids(1)
def too_many_ids_rejected(phase: Phase, outcome: Outcome) -> None:
    """More than 100 ID values, duplicates included, answer 4005 (D9)."""
    item = phase.options.known_ids[0]
    for joined in (False, True):
        exchange = phase.target.get([item] * 101, joined=joined)
        outcome.saw()
        message = rules.too_many_ids_rejected(exchange, False)
        if message:
            outcome.failures.append(phase.fail("too_many_ids_rejected", message, exchange))


@register(SEMANTIC)
def id_characters_rejected(phase: Phase, outcome: Outcome) -> None:
    """An ID with a control character (U+0000-U+001F, U+007F) answers 4005 (D22)."""
    for item in ("conformance\x00id", "conformance\nid", "conformance\x7fid"):
        exchange = phase.target.get([item])
        outcome.saw()
        message = rules.id_characters_rejected(exchange, False)
        if message:
            outcome.failures.append(phase.fail("id_characters_rejected", message, exchange))


@register(SEMANTIC)
def bad_encoding_rejected(phase: Phase, outcome: Outcome) -> None:
    """A query that is not valid percent-encoded UTF-8 answers 4005 (D25)."""
    for query in ("annotationRequestId=%FF%FE", "annotationRequestId=conformance%C3"):
        exchange = phase.target.send_raw(query)
        outcome.saw()
        message = rules.bad_encoding_rejected(exchange, False)
        if message:
            outcome.failures.append(phase.fail("bad_encoding_rejected", message, exchange))


@register(SEMANTIC)
@needs_known_ids(1)
def unknown_parameters_ignored(phase: Phase, outcome: Outcome) -> None:
    """A parameter the contract does not name is ignored: the same page as without it (D23)."""
    result = phase.walks[0] if phase.walks else None
    item = result.ids[0] if result else phase.options.known_ids[0]
    limit = result.limit if result else 10
    plain: list[tuple[str, str | int]] = [("annotationRequestId", item), ("offset", 1)]
    plain.append(("limit", limit))
    before = phase.target.send(plain)
    extra = phase.target.send([*plain, ("traceId", "conformance-1"), ("utm_source", "ci")])
    after = phase.target.send(plain)
    # Near-misses of `limit` are unknown parameters too (D57): the page keeps the default
    # limit, between two requests without any.
    default: list[tuple[str, str | int]] = [("annotationRequestId", item), ("offset", 1)]
    around = [phase.target.send(default)]
    near = [(phase.target.send([*default, (name, 1)]), name) for name in near_misses("limit")]
    around.append(phase.target.send(default))
    outcome.saw()
    for exchange, unknown, alike in (
        (extra, "traceId and utm_source", (before, after)),
        *((exchange, name, around) for exchange, name in near),
    ):
        answers = {(e.code, e.count, tuple(e.record_ids)) for e in alike}
        if (exchange.code, exchange.count, tuple(exchange.record_ids)) not in answers:
            outcome.failures.append(phase.fail(
                "unknown_parameters_ignored",
                f"with the unknown parameter(s) {unknown} the request answered code "
                f"{exchange.code!r}, count {exchange.count!r}, {len(exchange.record_ids)} "
                f"records; without them code {alike[0].code!r}, count {alike[0].count!r}, "
                f"{len(alike[0].record_ids)} records: parameters the contract does not name "
                "are ignored (D23), and names are matched exactly (D57)",
                exchange,
            ))  # fmt: skip
    # A near-miss of the ID's name alone names no ID: the required parameter is missing.
    for name in near_misses("annotationRequestId"):
        exchange = phase.target.send([(name, item)])
        outcome.saw()
        if exchange.code != rules.INVALID_PARAMETER:
            outcome.failures.append(phase.fail(
                "unknown_parameters_ignored",
                f"{name}={item} alone answered code {exchange.code!r}; expected 4005: "
                "annotationRequestId is missing, names are matched exactly (D57), and other "
                "names are ignored (D23)",
                exchange,
            ))  # fmt: skip


@register(SEMANTIC)
@needs_known_ids(1)
def clock_and_zone(phase: Phase, outcome: Outcome) -> None:
    """`date` is the answer's time in the deployment's zone (UTC unless --timezone), and no
    `createdTime` is later than it (D15)."""
    for exchange in _walk_pages(phase):
        outcome.saw()
        message = rules.clock_and_zone(exchange, phase.options.timezone)
        if message:
            outcome.failures.append(phase.fail("clock_and_zone", message, exchange))
            return  # one zone, one cause


@register(SEMANTIC)
def id_byte_length(phase: Phase, outcome: Outcome) -> None:
    """An ID is 1 to 255 bytes of UTF-8: not 255 characters, and never empty."""
    sent = [phase.target.get([item]) for item in (*IDS_OF_255_BYTES, *IDS_OF_256_BYTES)]
    # Empty IDs in each place a list can hold one (D8, D58), beside a known ID when one is
    # given: a server that drops them (JavaScript's `split(",").filter(Boolean)`) serves a page.
    item = (phase.options.known_ids or ("conformance-any-id",))[0]
    for query in (f"{item},", f",{item}", f"{item},,{item}"):
        sent.append(phase.target.send([("annotationRequestId", query)]))
    sent.append(phase.target.send([("annotationRequestId", item), ("annotationRequestId", "")]))
    sent.append(phase.target.send_raw(f"annotationRequestId={quote(item)}&annotationRequestId"))
    for exchange in sent:
        outcome.saw()
        message = rules.id_byte_length(exchange, False)
        if message:
            outcome.failures.append(phase.fail("id_byte_length", message, exchange))


@register(SEMANTIC)
@needs_unknown_id
def unknown_id_53003(phase: Phase, outcome: Outcome) -> None:
    """An unknown ID answers 53003, alone or named along with a known one."""
    requests = [[item] for item in phase.options.unknown_ids]
    if phase.options.known_ids:
        requests.append([phase.options.known_ids[0], phase.options.unknown_ids[0]])
    for ids in requests:
        exchange = phase.target.get(ids)
        outcome.saw()
        if exchange.code != UNKNOWN_ANNOTATION_REQUEST:
            outcome.failures.append(phase.fail(
                "unknown_id_53003",
                f"{ids!r} answered code {exchange.code!r}; expected 53003 (D12: one unknown "
                "ID makes the whole request 53003)",
                exchange,
            ))  # fmt: skip


@register(SEMANTIC)
def other_methods_refused(phase: Phase, outcome: Outcome) -> None:
    """Other methods answer any 4xx or 501 (a 405 names GET in `Allow`); never a success."""
    item = (phase.options.known_ids or ("conformance-any-id",))[0]
    for method in OTHER_METHODS:
        exchange = phase.target.send([("annotationRequestId", item)], method=method)
        outcome.saw()
        message = rules.other_methods_refused(exchange, False)
        if message:
            outcome.failures.append(phase.fail("other_methods_refused", message, exchange))
