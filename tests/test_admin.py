"""mockserver/admin.py: the admin API under /__mock/ (D48), in-process."""

from __future__ import annotations

import httpx
import pytest

from mockserver.admin_spec import ADMIN_SPEC
from tests.support.inprocess import ClientFactory

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
RECORDS = "/statistics/record"
REQUESTS = "/__mock/requests"


def ask_pages(http: httpx.Client, offsets: range) -> None:
    for offset in offsets:
        http.get(RECORDS, params={"annotationRequestId": DOC_ID, "offset": offset})


def test_requests_since_and_limit(make_client: ClientFactory) -> None:
    http = make_client()
    ask_pages(http, range(1, 6))
    every = http.get(REQUESTS).json()
    assert [e["seq"] for e in every["requests"]] == [1, 2, 3, 4, 5]
    assert (every["total"], every["dropped"]) == (5, 0)
    chosen = http.get(REQUESTS, params={"since": 2, "limit": 2}).json()
    assert [e["seq"] for e in chosen["requests"]] == [3, 4]
    assert chosen["requests"][0]["query"].endswith("offset=3")


def test_a_bounded_journal_counts_what_it_dropped(make_client: ClientFactory) -> None:
    http = make_client(journal_size=3)
    ask_pages(http, range(1, 9))
    answer = http.get(REQUESTS).json()
    assert [e["seq"] for e in answer["requests"]] == [6, 7, 8]
    assert (answer["total"], answer["dropped"]) == (8, 5)


def test_delete_empties_the_journal(make_client: ClientFactory) -> None:
    http = make_client()
    ask_pages(http, range(1, 4))
    deleted = http.delete(REQUESTS)
    assert deleted.status_code == 204 and deleted.content == b""
    assert http.get(REQUESTS).json() == {"requests": [], "total": 0, "dropped": 0}
    ask_pages(http, range(1, 2))
    # The sequence goes on: a `since` cursor taken before the reset stays valid.
    assert [e["seq"] for e in http.get(REQUESTS).json()["requests"]] == [4]


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        (REQUESTS, "sinse=1", "unknown parameter 'sinse'; this path accepts: since, limit, format"),
        (REQUESTS, "since=abc", "since: 'abc' is not a whole number of at least 0"),
        (REQUESTS, "since=-1", "since: '-1' is not a whole number of at least 0"),
        (REQUESTS, "limit=0", "limit: '0' is not a whole number of at least 1"),
        (REQUESTS, "limit=1&limit=2", "limit: given more than once"),
        (REQUESTS, "format=xml", "format: 'xml' is not one of json"),
        ("/__mock/openapi.json", "x=1", "unknown parameter 'x'; this path accepts: none"),
    ],
)
def test_bad_admin_input_is_a_400_with_a_json_message(
    client: httpx.Client, path: str, query: str, message: str
) -> None:
    answer = client.get(f"{path}?{query}")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"message": message}


def test_a_bad_delete_empties_nothing(make_client: ClientFactory) -> None:
    http = make_client()
    ask_pages(http, range(1, 2))
    assert http.delete(REQUESTS, params={"since": 1}).status_code == 400
    assert http.get(REQUESTS).json()["total"] == 1


def test_unknown_admin_paths_and_methods(client: httpx.Client) -> None:
    missing = client.get("/__mock/nothing")
    assert missing.status_code == 404 and "/__mock/openapi.json" in missing.json()["message"]
    wrong = client.put(REQUESTS)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, DELETE"


def test_off_loopback_the_admin_api_is_refused(make_client: ClientFactory) -> None:
    http = make_client(client=("10.1.2.3", 1234))
    refused = http.get(REQUESTS)
    assert refused.status_code == 403 and "--admin-from" in refused.json()["message"]
    assert http.delete(REQUESTS).status_code == 403
    # The API itself still answers such a client, and records it.
    assert http.get(RECORDS, params={"annotationRequestId": DOC_ID}).status_code == 200


def test_admin_from_lets_a_network_in(make_client: ClientFactory) -> None:
    allowed = make_client(client=("10.1.2.3", 1234), admin_from=("10.1.0.0/16",))
    ask_pages(allowed, range(1, 2))
    answer = allowed.get(REQUESTS)
    assert answer.status_code == 200 and answer.json()["requests"][0]["client"] == "10.1.2.3:1234"
    other = make_client(client=("10.2.0.1", 1), admin_from=("10.1.0.0/16",))
    assert other.get(REQUESTS).status_code == 403


def test_admin_answers_carry_no_cors_headers(client: httpx.Client) -> None:
    origin = {"Origin": "http://localhost:3000"}
    api = client.get(RECORDS, params={"annotationRequestId": DOC_ID}, headers=origin)
    assert "access-control-allow-origin" in api.headers
    admin = client.get(REQUESTS, headers=origin)
    assert admin.status_code == 200
    assert not [name for name in admin.headers if name.startswith("access-control-")]
    preflight = client.options(
        REQUESTS, headers={**origin, "Access-Control-Request-Method": "DELETE"}
    )
    assert preflight.status_code == 405
    assert not [name for name in preflight.headers if name.startswith("access-control-")]


def test_the_admin_document_is_served_and_is_not_the_contract(client: httpx.Client) -> None:
    served = client.get("/__mock/openapi.json").json()
    assert served == ADMIN_SPEC
    contract = client.get("/openapi.json").json()
    assert not [path for path in contract["paths"] if path.startswith("/__mock")]
