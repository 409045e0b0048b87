"""A small, independent implementation of the contract, and faults to break it one rule at a time.

With no fault it conforms: the conformance suite must pass against it, which proves the checks
are not vacuous. Each fault breaks exactly one rule, so that a test can assert that the check
meant for that rule catches it. The data is deterministic and kept in memory; it shares nothing
with the mock server, so that a bug common to both could not hide.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.support.servers import free_port

# Known annotation requests of this server and their number of records; any other ID is
# unknown (53003), as on a real deployment. `big` exceeds the 1000 cap.
KNOWN = {"small": 7, "medium": 45, "big": 1234, "nothing": 0}
UNKNOWN = ("unknown-1", "unknown-2")
STATUSES = (0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 16, 17)
POOL_TYPES = (0, 1, 2, 3, 4, 5)
ACTIONS = (0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 13, 14, 17)
MESSAGES = {
    2000: "Success",
    4005: "Invalid parameter",
    53003: "Annotation request has not exists.",
    5000: "Service hiccuped, please try again later.",
}
HTTP_STATUS = {2000: 200, 4005: 400, 53003: 404, 5000: 500}
MAX_ID_BYTES = 255
PARAMETERS = ("annotationRequestId", "offset", "limit")
INT32_MAX = 2_147_483_647

# One fault each; tests/test_conformance.py names the check meant to catch each one.
FAULTS = (
    "success_true_on_error",
    "data_on_error",
    "bad_request_id",
    "bad_date",
    "status_mismatch",
    "undocumented_status",
    "wrong_type",
    "missing_field",
    "server_error_on_bad_input",
    "accepts_invalid_limit",
    "limit_zero_empty_page",
    "rejects_large_offset",
    "text_content_type",
    "post_accepted",
    "allow_without_get",
    "off_by_one_page",
    "skips_a_record",
    "drifting_count",
    "last_page_repeated",
    "limit_not_capped",
    "limit_above_cap_rejected",
    "unsorted_ids",
    "random_data",
    "instance_info_sum_wrong",
    "enum_out_of_range",
    "id_bytes_counted_as_characters",
    "id_255_bytes_rejected",
    "unknown_id_answers_2000",
    "only_first_id_counted",
    "comma_not_split",
    "http_200_for_errors",
    "concatenated_ids",
    "duplicates_counted_twice",
    "repeated_takes_last",
    "per_page_count",
    "zero_based_offset",
    # Variants the contract allows: the suite must pass them.
    "other_methods_404_or_501",
    "percent_2c_is_data",
    "transient_5000",
    "grows",
)
# Faults of the request rules of D9, D22, D23, D25 and of the clock of D15.
FAULTS += (
    "distinct_ids_counted",
    "control_characters_accepted",
    "bad_encoding_replaced",
    "rejects_unknown_parameter",
    "date_in_local_zone",
)
# The decisions read as other stacks read queries by default (D56-D58): each stack's integer
# parser, repeated values, parameter names, the order of IDs, the cap applied after the offset.
FAULTS += (
    "integers_like_javascript_number",
    "integers_like_dotnet",
    "integers_like_go",
    "integers_like_java",
    "repeated_equal_values_taken",
    "names_like_qs",
    "names_case_insensitive",
    "ids_in_request_order",
    "cap_after_offset",
    "empty_ids_dropped",
    "limit_per_id",
    "list_items_trimmed",
    "semicolon_separates",
)


def _javascript_number(text: str) -> int:
    # Number(text) and Number.isInteger: blanks trimmed, "" is 0, hex, exponents.
    text = text.strip()
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
        return int(text, 16)
    if not re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|", text):
        raise ValueError(text)
    number = float(text or "0")
    if not number.is_integer():
        raise ValueError(text)
    return int(number)


def _dotnet(text: str) -> int:
    # int.Parse(NumberStyles.Integer): blanks around, a sign; Int32Converter's "0x" hex.
    if re.fullmatch(r"\s*0[xX][0-9a-fA-F]+\s*", text):
        return int(text.strip(), 16)
    if not re.fullmatch(r"\s*[+-]?[0-9]+\s*", text):
        raise ValueError(text)
    return int(text)


def _go(text: str) -> int:
    # strconv.ParseInt(text, 0, 32): a sign, base prefixes, a leading 0 for octal, and "_".
    found = re.fullmatch(
        r"([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9_]*)", text
    )
    if not found:
        raise ValueError(text)
    sign, body = found.groups()
    body = body.replace("_", "")
    if body[:2] in ("0x", "0X", "0b", "0B", "0o", "0O"):
        number = int(body, 0)
    elif body.startswith("0") and len(body) > 1:
        number = int(body[1:], 8)
    else:
        number = int(body)
    return -number if sign == "-" else number


def _java(text: str) -> int:
    # Integer.parseInt: a sign, and any Unicode decimal digit (Character.digit).
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(text)
    return int(text)


LENIENT_INTEGERS = {
    "integers_like_javascript_number": _javascript_number,
    "integers_like_dotnet": _dotnet,
    "integers_like_go": _go,
    "integers_like_java": _java,
}


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _last_block() -> str:
    return max(KNOWN, key=lambda item: _stable_int(item) % 1000)


def count_of(annotation_request_id: str) -> int:
    return KNOWN.get(annotation_request_id, 0)


# The faults that change records; every other fault serves the reference server's records.
RECORD_FAULTS = frozenset(
    {"random_data", "instance_info_sum_wrong", "enum_out_of_range", "wrong_type", "missing_field"}
)


def record(annotation_request_id: str, position: int, fault: str | None) -> dict[str, Any]:
    """The record at `position` of one annotation request: a pure function of both (but for
    `random_data`). Callers never change it: a record is made once per process and shared,
    since the suite's self-test and the proxy's tests ask for the same records thousands of
    times (making them was half of the proxy tests' time)."""
    if fault == "random_data":
        return _make_record(annotation_request_id, position, fault)
    return _shared_record(
        annotation_request_id, position, fault if fault in RECORD_FAULTS else None
    )


@functools.cache
def _shared_record(annotation_request_id: str, position: int, fault: str | None) -> dict[str, Any]:
    return _make_record(annotation_request_id, position, fault)


def _make_record(annotation_request_id: str, position: int, fault: str | None) -> dict[str, Any]:
    rng = random.Random(f"{annotation_request_id}/{position}")
    if fault == "random_data":
        rng = random.Random()
    modify_instances, modify_attributes = rng.randint(0, 6), rng.randint(0, 4)
    total = modify_instances + modify_attributes
    info: dict[str, int] = {}
    if total:
        first = rng.randint(0, total)
        info = {"box2d-[1570d]": first, "select-[e000f]": total - first}
    if fault == "instance_info_sum_wrong" and position == 3:
        info = {"box2d-[1570d]": total + 1}
    status = rng.choice(STATUSES)
    if fault == "enum_out_of_range" and position == 2:
        status = 7
    base = (_stable_int(annotation_request_id) % 1000) * 10_000
    result: dict[str, Any] = {
        "id": base + position + 1,
        "status": status,
        "campaignId": f"campaign-{rng.randint(1, 99)}",
        "taskId": rng.randint(1, 10**9),
        "poolName": "Annotation Pool",
        "poolType": rng.choice(POOL_TYPES),
        "folderId": rng.randint(1, 9999),
        "aliceName": "alice",
        "createdTime": "2025-04-01 10:00:00",
        "actionType": rng.choice(ACTIONS),
        "instanceInfo": info,
        "modifyInstanceNum": modify_instances,
        "modifyAttributesNum": modify_attributes,
        "instanceSum": rng.randint(0, 50),
        "attributesSum": rng.randint(0, 50),
    }
    if fault == "wrong_type":
        result["taskId"] = str(result["taskId"])
    if fault == "missing_field":
        del result["aliceName"]
    return result


GROWING = _last_block()


class CompactJSON(JSONResponse):
    """Starlette's JSONResponse (compact, UTF-8) written by orjson: the same bytes for these
    bodies, several times faster for a 1000-record page, which the self-tests ask often."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class InvalidParameter(Exception):
    pass


@dataclass(frozen=True)
class Query:
    annotation_request_ids: tuple[str, ...]
    offset: int
    limit: int


def _integer(values: list[str], name: str, default: int, fault: str | None) -> int:
    if not values:
        return default
    same = fault == "repeated_equal_values_taken" and len(set(values)) == 1
    if len(values) > 1 and fault != "repeated_takes_last" and not same:
        raise InvalidParameter(name)
    text = values[-1]
    if fault in LENIENT_INTEGERS:
        try:
            value = LENIENT_INTEGERS[fault](text)
        except ValueError:
            raise InvalidParameter(name) from None
    elif not (text.isascii() and text.isdigit()):
        raise InvalidParameter(name)
    else:
        value = int(text)
    if value > INT32_MAX:
        raise InvalidParameter(name)
    if value < 1 and fault == "limit_zero_empty_page" and name == "limit":
        return 0
    if value < 1 and fault != f"accepts_invalid_{name}":
        raise InvalidParameter(name)
    return max(value, 1)


def _split_before_decoding(raw: str) -> list[tuple[str, str]]:
    """How `style: form, explode: false` parsers read a query: a literal comma separates
    values, and `%2C` is a comma inside one value (which this contract then refuses)."""
    pairs = []
    for part in filter(None, raw.split("&")):
        name, _, value = part.partition("=")
        items = value.split(",") if unquote(name) == "annotationRequestId" else [value]
        pairs += [(unquote(name), unquote(item, errors="strict")) for item in items]
    return pairs


def parse(raw_query: bytes, fault: str | None) -> Query:
    try:
        text = raw_query.decode("ascii")
        if fault == "percent_2c_is_data":
            pairs = _split_before_decoding(text)
        else:
            decoding = "replace" if fault == "bad_encoding_replaced" else "strict"
            if fault == "semicolon_separates":
                text = text.replace(";", "&")
            pairs = parse_qsl(text, keep_blank_values=True, errors=decoding)
    except (UnicodeDecodeError, ValueError):
        raise InvalidParameter("query") from None
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        if fault == "names_like_qs":
            name = re.sub(r"(\[[0-9]*\]|\.[0-9]+)$", "", name)
        if fault == "names_case_insensitive":
            name = {known.lower(): known for known in PARAMETERS}.get(name.lower(), name)
        values.setdefault(name, []).append(value)
    if fault == "rejects_unknown_parameter" and set(values) - set(PARAMETERS):
        raise InvalidParameter("query")
    ids: list[str] = []
    sent = 0
    for value in values.get("annotationRequestId", []):
        split = fault not in ("comma_not_split", "percent_2c_is_data")
        for item in value.split(",") if split else [value]:
            if fault == "list_items_trimmed":
                item = item.strip()
            if not item and fault == "empty_ids_dropped":
                continue
            sent += 1
            limit_of = (
                len(item) if fault == "id_bytes_counted_as_characters" else len(item.encode())
            )
            maximum = 254 if fault == "id_255_bytes_rejected" else MAX_ID_BYTES
            has_comma = fault == "percent_2c_is_data" and "," in item
            if (
                not item
                or limit_of > maximum
                or has_comma
                or (
                    fault != "control_characters_accepted"
                    and any(ord(c) < 32 or ord(c) == 127 for c in item)
                )
            ):
                raise InvalidParameter("annotationRequestId")
            if item not in ids or fault == "duplicates_counted_twice":
                ids.append(item)
    # D9 counts the values as sent, duplicates included; the fault counts distinct IDs.
    if not ids or (len(ids) if fault == "distinct_ids_counted" else sent) > 100:
        raise InvalidParameter("annotationRequestId")
    offset = _integer(values.get("offset", []), "offset", 1, fault)
    if fault == "rejects_large_offset" and offset > 1000:
        raise InvalidParameter("offset")
    limit = _integer(values.get("limit", []), "limit", 10, fault)
    if fault == "limit_above_cap_rejected" and limit > 1000:
        raise InvalidParameter("limit")
    return Query(tuple(ids), offset, limit)


class FaultyServer:
    """The endpoint, with at most one fault switched on."""

    def __init__(self, fault: str | None = None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        self.fault = fault
        self.requests = 0
        # A server writing `date` in its machine's zone (UTC+8) while the contract says UTC.
        self.zone_offset = timedelta(hours=8 if fault == "date_in_local_zone" else 0)

    def count(self, annotation_request_id: str) -> int:
        # Append-only growth: one more record every 25 requests, at the highest ids (as a real
        # platform numbers new records), so only the request whose ids come last grows.
        grows = self.fault == "grows" and annotation_request_id == GROWING
        grown = self.requests // 25 if grows else 0
        return count_of(annotation_request_id) + grown

    def envelope(self, code: int, data: Any) -> Response:
        body: dict[str, Any] = {
            "code": code,
            "message": MESSAGES[code],
            "data": data,
            "date": (datetime.now(UTC) + self.zone_offset).strftime("%Y-%m-%d %H:%M:%S"),
            "requestId": secrets.token_hex(16),
            "success": code == 2000,
        }
        fault = self.fault
        if code != 2000 and fault == "success_true_on_error":
            body["success"] = True
        if code != 2000 and fault == "data_on_error":
            body["data"] = {"count": 0, "data": []}
        if fault == "bad_request_id":
            body["requestId"] = body["requestId"].upper()
        if fault == "bad_date":
            body["date"] = datetime.now(UTC).isoformat()
        status = HTTP_STATUS[code]
        if fault == "status_mismatch" and code == 53003:
            status = 400
        if fault == "undocumented_status" and code == 4005:
            status = 422
        if fault == "http_200_for_errors":
            status = 200
        if fault == "text_content_type":
            return PlainTextResponse(json.dumps(body), status_code=status)
        return CompactJSON(body, status_code=status)

    def page(self, query: Query) -> Response:
        fault = self.fault
        total = sum(self.count(item) for item in query.annotation_request_ids)
        if fault == "only_first_id_counted":
            total = self.count(query.annotation_request_ids[0])
        limit = query.limit if fault == "limit_not_capped" else min(query.limit, 1000)
        start = (query.offset - (0 if fault == "zero_based_offset" else 1)) * limit
        if fault == "cap_after_offset":
            start = (query.offset - 1) * query.limit
        if fault == "off_by_one_page" and query.offset > 1:
            start -= 1
        if fault == "skips_a_record" and query.offset > 1:
            start += 1
        if fault == "last_page_repeated" and start >= total > 0:
            start = ((total - 1) // limit) * limit
        records = self._slice(query.annotation_request_ids, start, limit)
        if fault == "limit_per_id":
            # Each ID's own page of `limit` records, one after the other by id.
            ordered = sorted(
                query.annotation_request_ids, key=lambda item: _stable_int(item) % 1000
            )
            records = [r for item in ordered for r in self._slice((item,), start, limit)]
        if fault == "unsorted_ids":
            records.reverse()
        shown = total
        if fault == "drifting_count":
            shown = total + query.offset - 1
        if fault == "per_page_count":
            shown = len(records)
        return self.envelope(2000, {"count": shown, "data": records})

    def _slice(self, ids: tuple[str, ...], start: int, limit: int) -> list[dict[str, Any]]:
        # Record ids of one request are contiguous and requests do not interleave, so the
        # merged order is the requests sorted by their first id, each in position order.
        ordered = sorted(ids, key=lambda item: _stable_int(item) % 1000)
        if self.fault == "ids_in_request_order":
            ordered = list(ids)
        if self.fault == "concatenated_ids":
            ordered.reverse()  # each request's records in turn, not one order by id
        result: list[dict[str, Any]] = []
        skip = start
        for item in ordered:
            size = self.count(item)
            if skip >= size:
                skip -= size
                continue
            end = min(size, skip + limit - len(result))
            result += [record(item, position, self.fault) for position in range(skip, end)]
            skip = 0
            if len(result) >= limit:
                break
        return result

    async def endpoint(self, request: Request) -> Response:
        self.requests += 1
        if self.fault == "transient_5000" and self.requests % 13 == 7:
            return self.envelope(5000, None)
        try:
            query = parse(request.scope["query_string"], self.fault)
        except InvalidParameter:
            if self.fault == "server_error_on_bad_input":
                return self.envelope(5000, None)
            return self.envelope(4005, None)
        if self.fault == "limit_zero_empty_page" and query.limit < 1:
            # Asked for no records: answered "none", before the IDs are even looked up.
            return self.envelope(2000, {"count": 0, "data": []})
        if self.fault == "unknown_id_answers_2000":
            # Unknown IDs are dropped, as if they had no records.
            known = tuple(i for i in query.annotation_request_ids if i in KNOWN)
            return self.page(Query(known or ("nothing",), query.offset, query.limit))
        if any(item not in KNOWN for item in query.annotation_request_ids):
            return self.envelope(53003, None)
        return self.page(query)

    async def other_method(self, request: Request) -> Response:
        if self.fault == "post_accepted" and request.method == "POST":
            return await self.endpoint(request)
        if self.fault == "other_methods_404_or_501":
            # A router's 404 for the methods it routes elsewhere, 501 for those it does not know.
            if request.method in ("POST", "PUT", "PATCH", "DELETE"):
                return PlainTextResponse("Not Found", status_code=404)
            return PlainTextResponse("Not Implemented", status_code=501)
        allow = "POST" if self.fault == "allow_without_get" else "GET, HEAD"
        return PlainTextResponse("Method Not Allowed", status_code=405, headers={"Allow": allow})

    def app(self) -> Starlette:
        methods = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"]
        routes = []
        for prefix in ("", "/rosetta-open"):
            path = f"{prefix}/statistics/record"
            routes.append(Route(path, self.endpoint, methods=["GET"]))
            routes.append(Route(path, self.other_method, methods=methods))
        return Starlette(routes=routes)


@contextmanager
def serve(fault: str | None = None) -> Iterator[str]:
    """The server with `fault`, in a thread of this process on a free loopback port."""
    with serve_app(FaultyServer(fault).app(), f"faulty server {fault!r}") as base_url:
        yield base_url


@contextmanager
def serve_app(app: Any, name: str = "test server") -> Iterator[str]:
    """Any ASGI app in a thread of this process on a free loopback port (uvicorn)."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="error",
        lifespan="off",
        # h11 lets any method token through to the app (QUERY), where httptools refuses it.
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
