"""The operation's answer: the page's cached head and the response's own tail, as one JSON body."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from starlette.responses import Response

from contract import DEFAULT_FIXTURES
from mockserver.envelope import success_body
from mockserver.errors import InvalidParameter
from mockserver.fixtures import load_folder
from mockserver.generator import Vocabulary
from mockserver.handlers import JSON, ONE_BODY_BELOW, DateStamp, JsonAnswer, make_error_handler
from mockserver.store import RecordStore
from tests.support.inprocess import ClientFactory

RECORDS = "/statistics/record"


def sent(answer: Any) -> list[MutableMapping[str, Any]]:
    """The ASGI messages an answer sends."""
    messages: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        messages.append(message)

    asyncio.run(answer({"type": "http", "method": "GET"}, receive, send))
    return messages


@pytest.mark.parametrize("size", [10, ONE_BODY_BELOW - 1, ONE_BODY_BELOW, 400_000])
def test_an_answer_sends_starlettes_headers_and_the_head_then_the_tail(size: int) -> None:
    head, tail = b"h" * size, b"tail"
    messages = sent(JsonAnswer(head, tail))
    expected = sent(Response(head + tail, status_code=200, media_type=JSON))
    assert messages[0] == expected[0]
    assert b"".join(m["body"] for m in messages[1:]) == head + tail
    assert [m.get("more_body", False) for m in messages[1:]] == (
        [False] if size < ONE_BODY_BELOW else [True, False]
    )


@pytest.mark.parametrize("limit", [10, 1000])
def test_a_page_is_the_envelope_of_its_records_with_its_own_date_and_id(
    make_client: ClientFactory, limit: int
) -> None:
    ids = iter(["a" * 32, "b" * 32, "c" * 32])
    client = make_client(clock=lambda: 0.0, request_ids=lambda: next(ids))
    query = {"annotationRequestId": "large-annotation-request", "limit": limit, "offset": 2}
    first, again = client.get(RECORDS, params=query), client.get(RECORDS, params=query)
    page = RecordStore(1, Vocabulary.from_faker(1), load_folder(DEFAULT_FIXTURES)).page(
        ["large-annotation-request"], 2, limit
    )
    date = "1970-01-01 00:00:00"
    assert first.content == success_body(page.count, page.records, date, "a" * 32)
    # Asked again (from the page cache, tests/test_pages.py): the same bytes but for the ID.
    assert again.content == success_body(page.count, page.records, date, "b" * 32)
    assert int(first.headers["content-length"]) == len(first.content)
    assert len(orjson.loads(first.content)["data"]["data"]) == limit


def test_head_answers_get_s_headers(client: httpx.Client) -> None:
    query = {"annotationRequestId": "large-annotation-request", "limit": 1000}
    got, head = client.get(RECORDS, params=query), client.head(RECORDS, params=query)
    assert head.status_code == got.status_code == 200
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == got.headers["content-type"] == JSON


@pytest.mark.parametrize(
    ("error", "http_200_errors", "status", "code"),
    [
        (RuntimeError("a bug"), False, 500, 5000),
        (RuntimeError("a bug"), True, 200, 5000),
        (InvalidParameter("limit", "is wrong"), False, 400, 4005),
        (InvalidParameter("limit", "is wrong"), True, 200, 4005),
    ],
    ids=["bug", "bug-http-200", "outcome", "outcome-http-200"],
)
def test_every_failure_is_the_envelope_with_the_status_of_its_style(
    error: Exception, http_200_errors: bool, status: int, code: int
) -> None:
    # An unexpected exception is a 5000 hiccup, never a traceback; in the HTTP-200 style (D13,
    # D31) it answers 200 like every outcome, else the outcome's own status.
    handle = make_error_handler(
        DateStamp(lambda: 0.0), lambda: "0" * 32, http_200_errors=http_200_errors
    )
    # The journal's note lives in the scope (D47): a request without one records nothing.
    response = handle(SimpleNamespace(scope={}), error)  # type: ignore[arg-type]
    assert response.status_code == status
    body = orjson.loads(response.body)
    assert (body["code"], body["success"], body["data"]) == (code, False, None)
    assert body["date"] == "1970-01-01 00:00:00" and body["requestId"] == "0" * 32
