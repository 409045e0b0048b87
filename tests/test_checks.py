"""The semantic checks judge the answer they got, and quote it (C47). In-process (MockTransport).

Issue 28 saw, in one run, `FAIL known_id_schema - known ID '7d44...' answered code 2000 (HTTP
200), expected 2000 with a page` next to `SKIP multiple_ids: ... 0 of the 2 known IDs answered
any`. The cause: when a known ID's first page of 1000 (the walk's probe) was no page, the check
asked AGAIN with limit 1, got a page, and still failed, quoting the second answer for the first.
Any answer that is no page does it: a 5000 through all its tries, or a body that is not JSON.
"""

from __future__ import annotations

import httpx
import pytest

from conformance.checks import Phase, known_id_schema, multiple_ids
from conformance.client import Target
from conformance.config import Options
from conformance.registry import Outcome
from mockserver.app import create_app
from mockserver.config import Settings
from tests.support.inprocess import InProcessTransport

BASE = "http://server.test"
KNOWN = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
EMPTY = "empty-annotation-request"
ID = "annotationRequestId"
HICCUP = b'{"code":5000,"success":false,"message":"Service hiccuped","data":null}'
# What a truncated read of a 1000-record page looks like.
TRUNCATED = b'{"code":2000,"success":true,"data":{"count":1930,"data":[{"id":1,"status'


def server(broken_first_page: bytes | None) -> tuple[Phase, list[httpx.Request]]:
    """The mock in-process (KNOWN has 1930 records, EMPTY none), but KNOWN's page of 1000
    answers `broken_first_page` when it is given."""
    sent: list[httpx.Request] = []
    mock = InProcessTransport(create_app(Settings()))

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        params = request.url.params
        first_page = params.get("offset") == "1" and params.get("limit") == "1000"
        if broken_first_page is not None and params.get_list(ID) == [KNOWN] and first_page:
            status = 500 if broken_first_page == HICCUP else 200
            return httpx.Response(status, content=broken_first_page)
        answer = mock.handle_request(request)
        answer.read()
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    options = Options(BASE, known_ids=(KNOWN, EMPTY))
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return Phase(options, Target(options, client, sleep=0.0)), sent


@pytest.mark.parametrize(
    ("answer", "said", "quoted", "tries"),
    [
        (HICCUP, "code 5000 (HTTP 500)", 'HTTP 500, code 5000: {"code":5000', 10),
        (
            TRUNCATED,
            "HTTP 200 with a body that is not JSON",
            'HTTP 200, no envelope: {"code":2000',
            1,
        ),
    ],
    ids=["5000 on every try", "truncated body"],
)
def test_a_known_id_without_a_first_page_is_judged_on_that_answer(
    answer: bytes, said: str, quoted: str, tries: int
) -> None:
    phase, sent = server(answer)
    outcome = Outcome()
    known_id_schema(phase, outcome)
    (failure,) = outcome.failures
    assert failure.message == (
        f"known ID {KNOWN!r}: its first page (offset 1, limit 1000) answered {said}; "
        "expected code 2000 with a page"
    )
    assert "answered code 2000" not in failure.message
    assert failure.response.startswith(quoted) and failure.tries == tries
    assert "limit=1000" in failure.curl
    # It judged the answer it had; it sent no second probe to blame the first one's failure on.
    asked = [request.url.params for request in sent if request.url.params.get_list(ID) == [KNOWN]]
    assert [params.get("limit") for params in asked] == ["1000"] * tries

    other = Outcome()
    multiple_ids(phase, other)
    assert other.not_run is not None
    assert str(other.not_run).startswith(
        "needs two known IDs with records; 0 of the 2 known IDs answered any; 1 answered no "
        "page (known_id_schema says what)"
    )


def test_a_known_id_with_its_pages_passes() -> None:
    phase, _ = server(None)
    outcome = Outcome()
    known_id_schema(phase, outcome)
    assert outcome.failures == [] and outcome.judged > 0
