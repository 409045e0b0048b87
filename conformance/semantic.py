"""The semantic phase: rules of the contract that need known annotation requests.

Random IDs only ever reach 53003, so these checks send their own requests, on the IDs the user
names as known or unknown: they walk the pages of each known request and look at what came
back. Each check is a named function yielding failures, each with the request that shows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Any, TypeGuard

import httpx
import jsonschema_rs

from conformance.config import ENVELOPE_CHECKS, SEMANTIC_CHECKS, Options
from conformance.envelope import RULES, SUCCESS, is_envelope
from conformance.failures import Failure, curl_line
from conformance.signing import signature_headers
from contract import OPERATION_PATH, schema

PHASE = "semantic"
INVALID_PARAMETER = 4005
UNKNOWN_ANNOTATION_REQUEST = 53003
LIMIT_CAP = 1000
INT32_MAX = 2_147_483_647
# A request's pages are all fetched up to this many records; beyond, a sample of pages.
MAX_WALKED_RECORDS = 3000
TARGET_PAGES = 12
MAX_FAILURES_PER_CHECK = 5
MAX_IDS_TOGETHER = 5
# 255 bytes of UTF-8 made of multi-byte characters, and one byte more.
IDS_OF_255_BYTES = ("é" * 127 + "a", "€" * 85)
IDS_OF_256_BYTES = ("é" * 128, "€" * 85 + "a")
ENUMS = {"status": "Status", "poolType": "PoolType", "actionType": "TaskAction"}


@dataclass(frozen=True)
class Exchange:
    """One request the phase sent and what came back."""

    method: str
    url: str
    headers: Mapping[str, str]
    status: int
    body: Any

    @property
    def curl(self) -> str:
        return curl_line(self.method, self.url, self.headers)

    @property
    def code(self) -> Any:
        return self.body.get("code") if isinstance(self.body, Mapping) else None

    @property
    def page(self) -> Mapping[str, Any] | None:
        data = self.body.get("data") if self.code == SUCCESS else None
        return data if isinstance(data, Mapping) else None

    @property
    def count(self) -> int | None:
        count = self.page.get("count") if self.page is not None else None
        return count if isinstance(count, int) and not isinstance(count, bool) else None

    @property
    def records(self) -> list[Mapping[str, Any]] | None:
        """The page's records, or None when the page is not shaped as the contract says."""
        records = self.page.get("data") if self.page is not None else None
        if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
            return None
        return records

    @property
    def record_ids(self) -> list[Any]:
        return [record.get("id") for record in self.records or []]


class Target:
    """The server under test, as the phase calls it: signed requests, every exchange kept."""

    def __init__(self, options: Options, client: httpx.Client) -> None:
        self.options = options
        self.client = client
        self.exchanges: list[Exchange] = []

    def get(
        self, ids: Sequence[str], offset: int | None = None, limit: int | None = None
    ) -> Exchange:
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("annotationRequestId", item) for item in ids
        ]
        if offset is not None:
            params.append(("offset", offset))
        if limit is not None:
            params.append(("limit", limit))
        headers: dict[str, str] = {}
        if self.options.access_key and self.options.secret_key:
            headers = signature_headers(self.options.access_key, self.options.secret_key)
        url = self.options.base_url.rstrip("/") + OPERATION_PATH
        response = self.client.get(url, params=params, headers=headers)
        try:
            body = response.json()
        except ValueError:
            body = None
        exchange = Exchange("GET", str(response.request.url), headers, response.status_code, body)
        self.exchanges.append(exchange)
        return exchange


@dataclass
class Walk:
    """The pages of one known annotation request, fetched with one `limit`."""

    annotation_request_id: str
    limit: int
    count: int
    probe: Exchange
    pages: list[tuple[int, Exchange]] = field(default_factory=list)
    past_last: list[Exchange] = field(default_factory=list)

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.count / self.limit))

    def expected_size(self, offset: int) -> int:
        return max(0, min(self.limit, self.count - (offset - 1) * self.limit))


def walk(target: Target, annotation_request_id: str) -> Walk | None:
    """Every page of a request (a sample of them when it is large); None if it is not served."""
    probe = target.get([annotation_request_id], offset=1, limit=1)
    if probe.count is None:
        return None
    count = probe.count
    # Enough pages to see page boundaries, few enough to stay fast.
    limit = min(LIMIT_CAP, max(2, math.ceil(count / TARGET_PAGES)))
    result = Walk(annotation_request_id, limit, count, probe)
    last = result.last_page
    if count <= MAX_WALKED_RECORDS:
        offsets = list(range(1, last + 1))
    else:
        offsets = sorted({1, 2, 3, last - 1, last})
    result.pages = [
        (offset, target.get([annotation_request_id], offset, limit)) for offset in offsets
    ]
    result.past_last = [
        target.get([annotation_request_id], last + 1, limit),
        target.get([annotation_request_id], INT32_MAX, limit),
    ]
    return result


Check = Callable[["Phase"], Iterator[Failure]]
CHECKS: dict[str, Check] = {}


def check(function: Check) -> Check:
    name = function.__name__.removeprefix("check_")
    assert name in SEMANTIC_CHECKS, name
    CHECKS[name] = function
    return function


class Phase:
    """One semantic run: the target, the IDs, and the walks shared by the checks."""

    def __init__(self, options: Options, target: Target) -> None:
        self.options = options
        self.target = target

    @cached_property
    def walks(self) -> list[Walk]:
        found = (walk(self.target, item) for item in self.options.known_ids)
        return [result for result in found if result is not None]

    def fail(self, name: str, message: str, exchange: Exchange | None) -> Failure:
        return Failure(name, message, exchange.curl if exchange else "", PHASE)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


@check
def check_known_id_schema(phase: Phase) -> Iterator[Failure]:
    """A known ID answers 2000 with the contract's success envelope, records included."""
    # jsonschema-rs (Schemathesis's own validator): a thousand records in milliseconds. The
    # schema's OpenAPI-only keywords (`nullable`, int formats) are not assertions for it.
    validator = jsonschema_rs.validator_for(schema("SuccessEnvelope"))
    walked = {result.annotation_request_id for result in phase.walks}
    for item in phase.options.known_ids:
        if item in walked:
            continue
        probe = phase.target.get([item], offset=1, limit=1)
        if probe.code != SUCCESS:
            yield phase.fail(
                "known_id_schema",
                f"known ID {item!r} answered code {probe.code!r} (HTTP {probe.status}), "
                "expected 2000",
                probe,
            )
    for result in phase.walks:
        for _, exchange in result.pages:
            if exchange.code != SUCCESS:
                yield phase.fail(
                    "known_id_schema",
                    f"known ID {result.annotation_request_id!r} answered code {exchange.code!r} "
                    f"(HTTP {exchange.status}), expected 2000",
                    exchange,
                )
                continue
            error = next(iter(validator.iter_errors(exchange.body)), None)
            if error is not None:
                where = "/".join(str(part) for part in error.instance_path)
                yield phase.fail(
                    "known_id_schema", f"response does not match SuccessEnvelope at "
                    f"/{where}: {error.message}", exchange)  # fmt: skip


@check
def check_pagination_no_overlap(phase: Phase) -> Iterator[Failure]:
    """No record appears on two pages of one request."""
    for result in phase.walks:
        first_seen: dict[Any, int] = {}
        for offset, exchange in result.pages:
            for record_id in exchange.record_ids:
                if record_id in first_seen:
                    yield phase.fail(
                        "pagination_no_overlap",
                        f"{result.annotation_request_id!r}: record {record_id} is on page "
                        f"{first_seen[record_id]} and page {offset} (limit {result.limit})",
                        exchange,
                    )
                first_seen.setdefault(record_id, offset)


@check
def check_pagination_complete(phase: Phase) -> Iterator[Failure]:
    """Every page is full but the last, and the pages add up to `count`."""
    for result in phase.walks:
        for offset, exchange in result.pages:
            records = exchange.records
            if records is None:
                continue
            expected = result.expected_size(offset)
            if len(records) != expected:
                yield phase.fail(
                    "pagination_complete",
                    f"{result.annotation_request_id!r}: page {offset} of limit {result.limit} "
                    f"holds {len(records)} records; count {result.count} means {expected}",
                    exchange,
                )


@check
def check_count_stable(phase: Phase) -> Iterator[Failure]:
    """`count` is the same on every page, past the last one included."""
    for result in phase.walks:
        pages = [*result.pages, *((None, page) for page in result.past_last)]
        for offset, exchange in pages:
            if exchange.code == SUCCESS and exchange.count != result.count:
                where = f"page {offset}" if offset else "a page past the last"
                yield phase.fail(
                    "count_stable",
                    f"{result.annotation_request_id!r}: count {exchange.count!r} on {where}, "
                    f"{result.count} on page 1",
                    exchange,
                )


@check
def check_past_last_page_empty(phase: Phase) -> Iterator[Failure]:
    """A page past the last answers 2000 with an empty list and the true count."""
    for result in phase.walks:
        for exchange in result.past_last:
            if exchange.code != SUCCESS or exchange.records != [] or exchange.count != result.count:
                shown = exchange.record_ids[:5] if exchange.records else exchange.records
                yield phase.fail(
                    "past_last_page_empty",
                    f"{result.annotation_request_id!r}: past the last page ({result.last_page}) "
                    f"answered code {exchange.code!r}, count {exchange.count!r}, "
                    f"records {shown!r}; expected 2000, count {result.count}, []",
                    exchange,
                )


@check
def check_limit_capped(phase: Phase) -> Iterator[Failure]:
    """A `limit` above 1000 is served as 1000, not rejected."""
    if not phase.walks:
        return
    largest = max(phase.walks, key=lambda result: result.count)
    item = largest.annotation_request_id
    capped = phase.target.get([item], 1, LIMIT_CAP)
    for limit in (LIMIT_CAP + 1, INT32_MAX):
        exchange = phase.target.get([item], 1, limit)
        expected = min(largest.count, LIMIT_CAP)
        if exchange.code != SUCCESS or exchange.records is None:
            yield phase.fail(
                "limit_capped",
                f"{item!r}: limit {limit} answered code {exchange.code!r}; expected 2000 with "
                f"{expected} records",
                exchange,
            )
        elif len(exchange.record_ids) != expected or exchange.record_ids != capped.record_ids:
            yield phase.fail(
                "limit_capped",
                f"{item!r}: limit {limit} gave {len(exchange.record_ids)} records; expected the "
                f"{expected} records of limit {LIMIT_CAP}",
                exchange,
            )


@check
def check_ordering(phase: Phase) -> Iterator[Failure]:
    """Records are ordered by `id` ascending, within and across pages."""
    for result in phase.walks:
        previous: tuple[int, Any] | None = None
        for offset, exchange in result.pages:
            ids = exchange.record_ids
            if not all(_is_int(record_id) for record_id in ids):
                continue
            if any(a >= b for a, b in pairwise(ids)):
                yield phase.fail(
                    "ordering",
                    f"{result.annotation_request_id!r}: page {offset} is not in ascending id "
                    f"order: {ids[:10]}",
                    exchange,
                )
            elif previous and ids and previous[0] == offset - 1 and previous[1] >= ids[0]:
                yield phase.fail(
                    "ordering",
                    f"{result.annotation_request_id!r}: page {offset} starts at id {ids[0]}, "
                    f"page {offset - 1} ends at id {previous[1]}",
                    exchange,
                )
            if ids:
                previous = (offset, ids[-1])


@check
def check_determinism(phase: Phase) -> Iterator[Failure]:
    """The same request twice answers the same records."""
    for result in phase.walks:
        if not result.pages or result.count == 0:
            continue
        for offset, first in (result.pages[0], result.pages[-1]):
            again = phase.target.get([result.annotation_request_id], offset, result.limit)
            if first.code != again.code:
                yield phase.fail(
                    "determinism",
                    f"{result.annotation_request_id!r}: page {offset} answered code "
                    f"{first.code!r}, then {again.code!r} to the same request",
                    again,
                )
            elif first.page != again.page:
                before, after = first.records or [], again.records or []
                differing = next(
                    (a.get("id") for a, b in zip(before, after, strict=False) if a != b), None
                )
                yield phase.fail(
                    "determinism",
                    f"{result.annotation_request_id!r}: page {offset} changed between two "
                    f"identical requests (first differing record: {differing!r})",
                    again,
                )


def _records(phase: Phase) -> Iterator[tuple[Mapping[str, Any], Exchange]]:
    for result in phase.walks:
        for _, exchange in result.pages:
            for record in exchange.records or []:
                yield record, exchange


@check
def check_instance_info_sum(phase: Phase) -> Iterator[Failure]:
    """`instanceInfo` values sum to modifyInstanceNum + modifyAttributesNum ({} when 0)."""
    for record, exchange in _records(phase):
        info = record.get("instanceInfo")
        instances, attributes = record.get("modifyInstanceNum"), record.get("modifyAttributesNum")
        if not isinstance(info, Mapping) or not _is_int(instances) or not _is_int(attributes):
            continue  # a shape error: known_id_schema reports it
        values = list(info.values())
        expected = instances + attributes
        if not all(_is_int(value) and value >= 0 for value in values):
            problem = f"values {values} are not all non-negative integers"
        elif sum(values) != expected:
            problem = (
                f"sums to {sum(values)}; modifyInstanceNum + modifyAttributesNum is {expected}"
            )
        else:
            continue
        yield phase.fail(
            "instance_info_sum", f"record {record.get('id')!r}: instanceInfo {problem}", exchange
        )


@check
def check_enum_membership(phase: Phase) -> Iterator[Failure]:
    """`status`, `poolType` and `actionType` hold values of the contract's enums."""
    allowed = {name: set(schema(component)["enum"]) for name, component in ENUMS.items()}
    for record, exchange in _records(phase):
        for name, values in allowed.items():
            if record.get(name) not in values:
                yield phase.fail(
                    "enum_membership",
                    f"record {record.get('id')!r}: {name} {record.get(name)!r} is not one of "
                    f"{sorted(values)}",
                    exchange,
                )


@check
def check_multiple_ids(phase: Phase) -> Iterator[Failure]:
    """Several IDs in one request: `count` adds theirs up, repeated or comma-separated alike."""
    walks = phase.walks[:MAX_IDS_TOGETHER]
    if len(walks) < 2:
        return
    ids = [result.annotation_request_id for result in walks]
    total = sum(result.count for result in walks)
    repeated = phase.target.get(ids, 1, TARGET_PAGES)
    if repeated.count != total:
        yield phase.fail(
            "multiple_ids",
            f"{ids!r} together answered count {repeated.count!r} (code {repeated.code!r}); "
            f"their counts add up to {total}",
            repeated,
        )
        return
    joined = phase.target.get([",".join(ids)], 1, TARGET_PAGES)
    if joined.count != total or joined.record_ids != repeated.record_ids:
        yield phase.fail(
            "multiple_ids",
            f"{ids!r} comma-separated answered code {joined.code!r}, count {joined.count!r}, "
            f"ids {joined.record_ids}; repeated: count {total}, ids {repeated.record_ids}",
            joined,
        )


@check
def check_id_byte_length(phase: Phase) -> Iterator[Failure]:
    """An ID is limited to 255 bytes of UTF-8, not 255 characters."""
    for item in IDS_OF_255_BYTES:
        exchange = phase.target.get([item])
        if exchange.code not in (SUCCESS, UNKNOWN_ANNOTATION_REQUEST):
            yield phase.fail(
                "id_byte_length",
                f"an ID of 255 bytes ({len(item)} characters) answered code {exchange.code!r}; "
                "expected 2000 or 53003",
                exchange,
            )
    for item in IDS_OF_256_BYTES:
        exchange = phase.target.get([item])
        if exchange.code != INVALID_PARAMETER:
            yield phase.fail(
                "id_byte_length",
                f"an ID of 256 bytes ({len(item)} characters) answered code {exchange.code!r}; "
                "expected 4005",
                exchange,
            )


@check
def check_unknown_id_53003(phase: Phase) -> Iterator[Failure]:
    """An unknown ID answers 53003, alone or named along with a known one."""
    requests = [[item] for item in phase.options.unknown_ids]
    if phase.options.known_ids and phase.options.unknown_ids:
        requests.append([phase.options.known_ids[0], phase.options.unknown_ids[0]])
    for ids in requests:
        exchange = phase.target.get(ids)
        if exchange.code != UNKNOWN_ANNOTATION_REQUEST:
            yield phase.fail(
                "unknown_id_53003",
                f"{ids!r} answered code {exchange.code!r}; expected 53003",
                exchange,
            )


NEEDS_KNOWN_IDS = frozenset(SEMANTIC_CHECKS) - {"id_byte_length", "unknown_id_53003"}


@dataclass(frozen=True)
class Result:
    failures: list[Failure]
    not_run: dict[str, str]


def envelope_failures(options: Options, exchanges: Sequence[Exchange]) -> Iterator[Failure]:
    """The envelope rules on every response the phase received."""
    for name in ENVELOPE_CHECKS:
        if not options.enabled(name):
            continue
        rule, found = RULES[name], 0
        for exchange in exchanges:
            if not is_envelope(exchange.body) or found >= MAX_FAILURES_PER_CHECK:
                continue
            message = rule(exchange.status, exchange.body, options.http_200_errors)
            if message:
                found += 1
                yield Failure(name, message, exchange.curl, PHASE)


def run(options: Options) -> Result:
    """Every enabled semantic check, then the envelope rules on all the responses seen."""
    not_run: dict[str, str] = {}
    failures: list[Failure] = []
    with httpx.Client(timeout=options.timeout_seconds) as http:
        target = Target(options, http)
        phase = Phase(options, target)
        for name, function in CHECKS.items():
            if not options.enabled(name):
                continue
            if name in NEEDS_KNOWN_IDS and not options.known_ids:
                not_run[name] = "no known annotation request ID given (--known-id)"
                continue
            if name == "multiple_ids" and len(options.known_ids) < 2:
                not_run[name] = "needs two known annotation request IDs (--known-id)"
                continue
            if name == "unknown_id_53003" and not options.unknown_ids:
                not_run[name] = "no unknown annotation request ID given (--unknown-id)"
                continue
            try:
                failures += list(function(phase))[:MAX_FAILURES_PER_CHECK]
            except httpx.HTTPError as error:
                # A request that got no answer at all: the check could not be carried out.
                curl = ""
                if isinstance(error, httpx.RequestError):
                    request = error.request
                    signing = {k: v for k, v in request.headers.items() if k.startswith("x-")}
                    curl = curl_line("GET", str(request.url), signing)
                message = f"no answer: {type(error).__name__}: {error}"
                failures.append(Failure(name, message, curl, PHASE))
        failures += envelope_failures(options, target.exchanges)
    return Result(failures, not_run)
