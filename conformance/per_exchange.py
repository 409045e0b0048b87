"""Judgements of one exchange on its own: pure functions of a recorded request and response.

Each returns None when the exchange keeps the rule, or a message saying what the server did and
what the contract wants. They need no knowledge of the server's data, so they apply as well to
traffic a proxy observes as to the suite's own requests. `judge` runs them all and names each
failure after the check it belongs to (the names of the registry, `--list-checks`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from functools import cache, lru_cache
from itertools import pairwise
from operator import itemgetter
from typing import Any, TypeGuard
from urllib.parse import unquote_to_bytes
from zoneinfo import ZoneInfo

import jsonschema_rs

from conformance.envelope import HTTP_STATUS_OF_CODE, RULES, is_envelope
from conformance.exchange import ID_PARAMETER, LIMIT_CAP, Exchange
from conformance.failures import Failure
from contract import OPERATION_PATH, operation, schema

INVALID_PARAMETER = 4005
SERVICE_HICCUP = 5000
MAX_ID_BYTES = 255
ENUMS = {"status": "Status", "poolType": "PoolType", "actionType": "TaskAction"}

Judgement = Callable[[Exchange, bool], str | None]


def json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema says it: `null` among the types."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    result = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True and "type" in result:
        kinds = result["type"] if isinstance(result["type"], list) else [result["type"]]
        result["type"] = [*kinds, "null"]
    return result


@cache
def _documented() -> frozenset[str]:
    """The documented statuses: resolving the contract costs a few ms, so once per process."""
    return frozenset(operation()["responses"])


@cache
def _validator(status: str) -> Any:
    """jsonschema-rs validator of the documented body of `status` (Schemathesis's validator:
    a thousand records in milliseconds), with `nullable` read as OpenAPI 3.0 means it."""
    content = operation()["responses"][status]["content"]["application/json"]
    return jsonschema_rs.validator_for(json_schema(content["schema"]))


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _on_operation(exchange: Exchange) -> bool:
    return exchange.path.endswith(OPERATION_PATH)


def _documented_status(exchange: Exchange, http_200: bool) -> str | None:
    """The status the body's outcome is documented under (the HTTP-200 style maps it back)."""
    if http_200 and exchange.status == 200 and isinstance(exchange.code, int):
        mapped = HTTP_STATUS_OF_CODE.get(exchange.code)
        return str(mapped) if mapped else None
    return str(exchange.status)


def status_code_conformance(exchange: Exchange, http_200: bool) -> str | None:
    if exchange.method != "GET":
        return None
    documented = set(_documented())
    if str(exchange.status) not in documented:
        return (
            f"HTTP {exchange.status} is not documented; the contract documents {sorted(documented)}"
        )
    return None


def content_type_conformance(exchange: Exchange, http_200: bool) -> str | None:
    if exchange.method != "GET" or str(exchange.status) not in _documented():
        return None
    media = exchange.content_type.split(";")[0].strip().lower()
    if media != "application/json":
        shown = media or "none"
        return f"HTTP {exchange.status} answered Content-Type {shown!r}, not application/json"
    return None


def response_schema_conformance(exchange: Exchange, http_200: bool) -> str | None:
    if exchange.method != "GET":
        return None
    status = _documented_status(exchange, http_200)
    if status not in _documented():
        return None  # status_code_conformance reports it
    if exchange.body is None:
        return f"HTTP {exchange.status}: the body is not JSON: {exchange.text[:200]!r}"
    error = next(iter(_validator(status).iter_errors(exchange.body)), None)
    if error is None:
        return None
    where = "/".join(str(part) for part in error.instance_path)
    return f"HTTP {exchange.status} body does not match the contract at /{where}: {error.message}"


def not_a_server_error(exchange: Exchange, http_200: bool) -> str | None:
    if exchange.method == "GET" and exchange.code == SERVICE_HICCUP:
        return "answered 5000 (service hiccup)"
    if exchange.status >= 500 and exchange.status != 501 and exchange.code != SERVICE_HICCUP:
        return f"HTTP {exchange.status}: a server error"
    return None


def other_methods_refused(exchange: Exchange, http_200: bool) -> str | None:
    """Methods other than GET and HEAD: any 4xx, or 501; a 405 names GET in `Allow`."""
    if exchange.method in ("GET", "HEAD") or not _on_operation(exchange):
        return None
    status = exchange.status
    if not (400 <= status < 500 or status == 501):
        return (
            f"{exchange.method} answered HTTP {status}; the contract documents only GET: "
            "expected a 4xx (405 is usual) or 501"
        )
    if status == 405:
        allow = {m.strip().upper() for m in exchange.response_headers.get("allow", "").split(",")}
        if "GET" not in allow:
            named = sorted(allow - {""})
            return f"{exchange.method} answered 405 with Allow {named}: it must name GET"
    return None


def repeated_offset_limit_rejected(exchange: Exchange, http_200: bool) -> str | None:
    """D24: a repeated `offset` or `limit` answers 4005, not one of the values."""
    repeated = [name for name in ("offset", "limit") if len(exchange.values(name)) > 1]
    if exchange.method != "GET" or not repeated or exchange.code == INVALID_PARAMETER:
        return None
    return (
        f"{' and '.join(repeated)} sent twice answered code {exchange.code!r}; expected 4005 "
        "(D24): the server silently took one of the values"
    )


INT32_MAX = 2_147_483_647


def invalid_offset_limit_rejected(exchange: Exchange, http_200: bool) -> str | None:
    """D10: an `offset` or `limit` that is not an integer from 1 to 2147483647 (0, negative,
    a fraction, empty, out of int32) answers 4005, never a page."""
    if exchange.method != "GET" or exchange.code == INVALID_PARAMETER:
        return None
    for name in ("offset", "limit"):
        values = exchange.values(name)
        if len(values) != 1:
            continue  # absent (the default), or repeated (D24's check)
        text = values[0]
        valid = text.isascii() and text.isdigit() and 1 <= int(text) <= INT32_MAX
        if not valid:
            return (
                f"{name}={text!r} answered code {exchange.code!r}; expected 4005 naming "
                f"{name} (D10: an integer from 1 to {INT32_MAX}, an empty value included)"
            )
    return None


MAX_IDS = 100


def _raw_ids(exchange: Exchange) -> list[str]:
    return [part for value in exchange.values(ID_PARAMETER) for part in value.split(",")]


def too_many_ids_rejected(exchange: Exchange, http_200: bool) -> str | None:
    """D9: more than 100 ID values as sent, duplicates included, answer 4005."""
    sent = len(_raw_ids(exchange))
    if exchange.method != "GET" or sent <= MAX_IDS or exchange.code == INVALID_PARAMETER:
        return None
    return f"{sent} IDs in one request answered code {exchange.code!r}; at most 100 (D9): 4005"


def id_characters_rejected(exchange: Exchange, http_200: bool) -> str | None:
    """D22: an ID with a control character (U+0000-U+001F, U+007F) answers 4005."""
    if exchange.method != "GET" or exchange.code == INVALID_PARAMETER:
        return None
    bad = [item for item in _raw_ids(exchange) if any(ord(c) < 32 or ord(c) == 127 for c in item)]
    if not bad:
        return None
    return (
        f"the ID {bad[0]!r}, with a control character, answered code {exchange.code!r}; "
        "expected 4005 (D22)"
    )


def bad_encoding_rejected(exchange: Exchange, http_200: bool) -> str | None:
    """D25: a query that is not valid percent-encoded UTF-8 answers 4005."""
    if exchange.method != "GET" or exchange.code == INVALID_PARAMETER:
        return None
    try:
        unquote_to_bytes(exchange.raw_query).decode("utf-8")
    except UnicodeDecodeError:
        return (
            f"a query that is not valid UTF-8 once percent-decoded answered code "
            f"{exchange.code!r}; expected 4005 naming the parameter (D25), not a guess at "
            "the ID meant"
        )
    return None


def id_byte_length(exchange: Exchange, http_200: bool) -> str | None:
    """D8: an ID of up to 255 bytes of UTF-8 is accepted, a longer or an empty one answers
    4005."""
    raw = [part for value in exchange.values(ID_PARAMETER) for part in value.split(",")]
    if exchange.method != "GET" or not raw:
        return None
    if "" in raw and exchange.code != INVALID_PARAMETER:
        sent = "&".join(f"{ID_PARAMETER}={value}" for value in exchange.values(ID_PARAMETER))
        return (
            f"an empty ID ({sent}) answered code {exchange.code!r}; expected 4005 (D8, D58: "
            "an ID is 1 to 255 bytes; an empty one between commas or repeated is not dropped)"
        )
    longest = max(raw, key=lambda item: len(item.encode()))
    size = len(longest.encode())
    if size > MAX_ID_BYTES and exchange.code != INVALID_PARAMETER:
        return (
            f"an ID of {size} bytes ({len(longest)} characters) answered code "
            f"{exchange.code!r}; expected 4005 (IDs are limited to 255 bytes of UTF-8)"
        )
    other_problem = (
        len(raw) > 100  # D9
        or any(not item or any(ord(c) < 32 or ord(c) == 127 for c in item) for item in raw)
        or exchange.offset is None
        or exchange.limit is None
        or exchange.offset < 1
        or exchange.limit < 1
    )
    rejected = exchange.code == INVALID_PARAMETER and not other_problem
    if size == MAX_ID_BYTES and len(longest) < size and rejected:
        return (
            f"an ID of 255 bytes ({len(longest)} characters) answered 4005; IDs are "
            "limited to 255 bytes, not 255 characters: 255 bytes must be accepted"
        )
    return None


def _page_size_problem(exchange: Exchange, count: int) -> tuple[str, str] | None:
    """(check, message) when the page's size disagrees with `count`, its offset and limit."""
    offset, limit, served = exchange.offset, exchange.limit, exchange.served_limit
    records = exchange.records
    if offset is None or limit is None or served is None or records is None:
        return None
    before = (offset - 1) * served
    expected = max(0, min(served, count - before))
    where = f"page {offset} of limit {limit}"
    if len(records) == expected:
        return None
    if limit > LIMIT_CAP and len(records) > LIMIT_CAP:
        return (
            "limit_capped",
            f"{where} answered {len(records)} records: the cap is 1000 (D5), a larger limit "
            "is served as 1000",
        )
    if before >= count:
        return (
            "past_last_page_empty",
            f"{where} is past the last page (count {count}) but holds {len(records)} records "
            f"(ids {exchange.record_ids[:5]}...); expected an empty list (D11)",
        )
    return (
        "pagination_complete",
        f"{where} holds {len(records)} records; count {count} means {expected}",
    )


def page_size(exchange: Exchange, count: int | None = None) -> tuple[str, str] | None:
    """The page-size judgement, against `count` (the request's true count when the caller
    knows it, else the page's own)."""
    if not exchange.is_page:
        return None
    total = exchange.count if count is None else count
    return None if total is None else _page_size_problem(exchange, total)


def ordering(exchange: Exchange, http_200: bool) -> str | None:
    ids = exchange.int_record_ids if exchange.is_page else None
    if not ids or all(a < b for a, b in pairwise(ids)):
        return None
    return f"the page is not in ascending id order (D16): {ids[:10]}"


def instance_info_sum(exchange: Exchange, http_200: bool) -> str | None:
    records = exchange.records or []
    if _sums_hold(records):
        return None
    for record in records:
        problem = instance_info_problem(record)
        if problem:
            return problem
    return None


_INT = frozenset({int})


def _sums_hold(records: list[Mapping[str, Any]]) -> bool:
    """Every record surely keeps D3, by a pass in C over what a JSON parser gives (exact ints
    and dicts); False when in doubt, and `instance_info_problem` then judges record by record
    (a page of 1000 records: about 0.2 ms instead of 1.4)."""
    for record in records:
        info = record.get("instanceInfo")
        instances, attributes = record.get("modifyInstanceNum"), record.get("modifyAttributesNum")
        if type(info) is not dict or type(instances) is not int or type(attributes) is not int:
            return False
        if info:
            values = info.values()
            if not _INT.issuperset(map(type, values)) or min(values) < 0:
                return False
            if sum(values) != instances + attributes:
                return False
        elif instances + attributes != 0:
            return False
    return True


def instance_info_problem(record: Mapping[str, Any]) -> str | None:
    info = record.get("instanceInfo")
    instances, attributes = record.get("modifyInstanceNum"), record.get("modifyAttributesNum")
    if not isinstance(info, Mapping) or not _is_int(instances) or not _is_int(attributes):
        return None  # a shape error: the schema judgement reports it
    values = list(info.values())
    expected = instances + attributes
    if not all(_is_int(value) and value >= 0 for value in values):
        problem = f"values {values} are not all non-negative integers"
    elif sum(values) != expected:
        problem = f"sums to {sum(values)}; modifyInstanceNum + modifyAttributesNum is {expected}"
    else:
        return None
    return f"record {record.get('id')!r}: instanceInfo {problem} (D3)"


@cache
def _enums() -> dict[str, frozenset[Any]]:
    return {name: frozenset(schema(component)["enum"]) for name, component in ENUMS.items()}


def _enums_hold(records: list[Mapping[str, Any]]) -> bool:
    """Every record's enums are members, by sets built in C; False when in doubt (a missing or
    unhashable value), and the loop below then finds the first record at fault."""
    try:
        return all(
            values.issuperset(map(itemgetter(name), records)) for name, values in _enums().items()
        )
    except (KeyError, TypeError):
        return False


def _member(value: Any, values: frozenset[Any]) -> bool:
    try:
        return value in values
    except TypeError:
        return False  # a list or object where a number belongs: no member (not a crash)


def enum_membership(exchange: Exchange, http_200: bool) -> str | None:
    records = exchange.records or []
    if _enums_hold(records):
        return None
    for record in records:
        for name, values in _enums().items():
            if not _member(record.get(name), values):
                return (
                    f"record {record.get('id')!r}: {name} {record.get(name)!r} is not one of "
                    f"{sorted(values)}"
                )
    return None


CLOCK_SKEW_SECONDS = 300
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


@lru_cache(maxsize=256)
def _timestamp(date: str, zone: str) -> float | None:
    """`date` read in `zone`, as seconds since the epoch; cached, as `date` changes once a
    second and a busy server's answers share it."""
    try:
        return datetime.strptime(date, DATE_FORMAT).replace(tzinfo=ZoneInfo(zone)).timestamp()
    except ValueError:
        return None


def clock_and_zone(exchange: Exchange, zone: str = "UTC") -> str | None:
    """D15: `date` is the time of the answer in the deployment's zone (UTC unless told), within
    5 minutes of the suite's clock; no record's `createdTime` is later than `date`."""
    date = exchange.body.get("date") if isinstance(exchange.body, Mapping) else None
    if exchange.method != "GET" or not isinstance(date, str) or not exchange.received_at:
        return None
    stamp = _timestamp(date, zone)
    if stamp is None:
        return None  # envelope_date reports the format
    off = stamp - exchange.received_at
    if abs(off) > CLOCK_SKEW_SECONDS:
        hours = off / 3600
        hint = (
            f": `date` looks like another zone (UTC{hours:+.0f})"
            if abs(hours - round(hours)) < 0.1 and round(hours) != 0
            else ""
        )
        return (
            f"`date` {date!r} is {off:+.0f} s from the suite's clock read in {zone}{hint}; "
            f"`date` is the answer's time in {zone} (D15; pass --timezone if the deployment "
            "uses another zone)"
        )
    records = exchange.records or []
    try:
        # All strings, the latest no later than `date`: no record to name (the common case).
        if max(map(itemgetter("createdTime"), records), default="") <= date:
            return None
    except (KeyError, TypeError):
        pass  # a record without a string createdTime: the schema's to report; judge the rest
    for record in records:
        created = record.get("createdTime")
        if isinstance(created, str) and created > date:
            return (
                f"record {record.get('id')!r}: createdTime {created!r} is later than the "
                f"answer's date {date!r}: createdTime and date are in one zone (D15)"
            )
    return None


def _envelope_rule(name: str) -> Judgement:
    rule = RULES[name]

    def judgement(exchange: Exchange, http_200: bool) -> str | None:
        if exchange.method != "GET" or not is_envelope(exchange.body):
            return None
        return rule(exchange.status, exchange.body, http_200)

    return judgement


JUDGEMENTS: Mapping[str, Judgement] = {
    "status_code_conformance": status_code_conformance,
    "content_type_conformance": content_type_conformance,
    "response_schema_conformance": response_schema_conformance,
    "not_a_server_error": not_a_server_error,
    "other_methods_refused": other_methods_refused,
    "repeated_offset_limit_rejected": repeated_offset_limit_rejected,
    "invalid_offset_limit_rejected": invalid_offset_limit_rejected,
    "too_many_ids_rejected": too_many_ids_rejected,
    "id_characters_rejected": id_characters_rejected,
    "bad_encoding_rejected": bad_encoding_rejected,
    "id_byte_length": id_byte_length,
    "ordering": ordering,
    "instance_info_sum": instance_info_sum,
    "enum_membership": enum_membership,
    **{name: _envelope_rule(name) for name in RULES},
}


def judge(
    exchange: Exchange, http_200_errors: bool = False, phase: str = "observed"
) -> Iterator[Failure]:
    """Every per-exchange judgement of `exchange`.

    A page's size is judged across exchanges (`across_exchanges.page_sizes`, in `judge_all`):
    whether its count can be trusted depends on the other pages of the request.
    """
    for name, judgement in JUDGEMENTS.items():
        message = judgement(exchange, http_200_errors)
        if message:
            yield Failure.of(name, message, exchange, phase)
