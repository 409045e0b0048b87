"""A small, independent implementation of the contract, and faults to break it one rule at a time.

With no fault it conforms: the conformance suite must pass against it, which proves the checks
are not vacuous. Each fault breaks exactly one rule, so that a test can assert that the check
meant for that rule catches it. The data is deterministic and kept in memory; it shares nothing
with the mock server, so that a bug common to both could not hide.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.support.servers import free_port

# Known annotation requests of this server and their number of records; any other ID is also
# known (with a count derived from it), except the unknown ones. `big` exceeds the 1000 cap.
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
    "rejects_large_offset",
    "text_content_type",
    "post_accepted",
    "options_allow_mismatch",
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
)


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def count_of(annotation_request_id: str) -> int:
    if annotation_request_id in KNOWN:
        return KNOWN[annotation_request_id]
    return _stable_int(annotation_request_id) % 30


def record(annotation_request_id: str, position: int, fault: str | None) -> dict[str, Any]:
    """The record at `position` of one annotation request: a pure function of both."""
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
    if len(values) > 1:
        raise InvalidParameter(name)
    text = values[0]
    if not (text.isascii() and text.isdigit()):
        raise InvalidParameter(name)
    value = int(text)
    if value > INT32_MAX:
        raise InvalidParameter(name)
    if value < 1 and not (fault == "accepts_invalid_limit" and name == "limit"):
        raise InvalidParameter(name)
    return max(value, 1)


def parse(raw_query: bytes, fault: str | None) -> Query:
    try:
        pairs = parse_qsl(raw_query.decode("ascii"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise InvalidParameter("query") from None
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    ids: list[str] = []
    for value in values.get("annotationRequestId", []):
        for item in [value] if fault == "comma_not_split" else value.split(","):
            limit_of = (
                len(item) if fault == "id_bytes_counted_as_characters" else len(item.encode())
            )
            maximum = 254 if fault == "id_255_bytes_rejected" else MAX_ID_BYTES
            if not item or limit_of > maximum or any(ord(c) < 32 or ord(c) == 127 for c in item):
                raise InvalidParameter("annotationRequestId")
            if item not in ids:
                ids.append(item)
    if not ids or len(ids) > 100:
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

    def envelope(self, code: int, data: Any) -> Response:
        body: dict[str, Any] = {
            "code": code,
            "message": MESSAGES[code],
            "data": data,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
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
        return JSONResponse(body, status_code=status)

    def page(self, query: Query) -> Response:
        fault = self.fault
        total = sum(count_of(item) for item in query.annotation_request_ids)
        if fault == "only_first_id_counted":
            total = count_of(query.annotation_request_ids[0])
        limit = query.limit if fault == "limit_not_capped" else min(query.limit, 1000)
        start = (query.offset - 1) * limit
        if fault == "off_by_one_page" and query.offset > 1:
            start -= 1
        if fault == "skips_a_record" and query.offset > 1:
            start += 1
        if fault == "last_page_repeated" and start >= total > 0:
            start = ((total - 1) // limit) * limit
        records = self._slice(query.annotation_request_ids, start, limit)
        if fault == "unsorted_ids":
            records.reverse()
        shown = total
        if fault == "drifting_count":
            shown = total + query.offset - 1
        return self.envelope(2000, {"count": shown, "data": records})

    def _slice(self, ids: tuple[str, ...], start: int, limit: int) -> list[dict[str, Any]]:
        # Record ids of one request are contiguous and requests do not interleave, so the
        # merged order is the requests sorted by their first id, each in position order.
        ordered = sorted(ids, key=lambda item: _stable_int(item) % 1000)
        result: list[dict[str, Any]] = []
        skip = start
        for item in ordered:
            size = count_of(item)
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
        try:
            query = parse(request.scope["query_string"], self.fault)
        except InvalidParameter:
            if self.fault == "server_error_on_bad_input":
                return self.envelope(5000, None)
            return self.envelope(4005, None)
        if self.fault == "unknown_id_answers_2000":
            # Unknown IDs are dropped, as if they had no records.
            known = tuple(i for i in query.annotation_request_ids if i not in UNKNOWN)
            return self.page(Query(known or ("nothing",), query.offset, query.limit))
        if any(item in UNKNOWN for item in query.annotation_request_ids):
            return self.envelope(53003, None)
        return self.page(query)

    async def other_method(self, request: Request) -> Response:
        if self.fault == "post_accepted" and request.method == "POST":
            return await self.endpoint(request)
        allow = "GET, HEAD"
        if self.fault == "options_allow_mismatch" and request.method == "OPTIONS":
            allow = "GET, POST, DELETE"
        return PlainTextResponse("Method Not Allowed", status_code=405, headers={"Allow": allow})

    def app(self) -> Starlette:
        methods = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
        routes = []
        for prefix in ("", "/rosetta-open"):
            path = f"{prefix}/statistics/record"
            routes.append(Route(path, self.endpoint, methods=["GET"]))
            routes.append(Route(path, self.other_method, methods=methods))
        return Starlette(routes=routes)


@contextmanager
def serve(fault: str | None = None) -> Iterator[str]:
    """The server with `fault`, in a thread of this process on a free loopback port."""
    port = free_port()
    config = uvicorn.Config(
        FaultyServer(fault).app(), host="127.0.0.1", port=port, log_level="error", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"faulty server {fault!r} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
