"""The app in-process: answers are the contract's; every option does what it says.

What needs the real HTTP layer (raw bytes, limits, signals) is in test_robustness.py,
test_http_limits.py and test_faults.py.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from contract import operation
from tests.support.inprocess import ClientFactory

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
TIME = "%Y-%m-%d %H:%M:%S"
DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
RESPONSES = operation()["responses"]


def assert_conforms(response: httpx.Response) -> dict[str, Any]:
    """The body validates against the contract's schema for the response's HTTP status."""
    schema = RESPONSES[str(response.status_code)]["content"]["application/json"]["schema"]
    body: dict[str, Any] = response.json()
    errors = [error.message for error in OAS30Validator(schema).iter_errors(body)]
    assert errors == [], errors
    assert response.headers["content-type"].startswith("application/json")
    assert DATE.fullmatch(body["date"])
    return body


@pytest.mark.parametrize("prefix", ["", "/rosetta-open"])
def test_the_endpoint_answers_with_and_without_the_production_prefix(
    client: httpx.Client, prefix: str
) -> None:
    response = client.get(
        f"{prefix}/statistics/record", params={"annotationRequestId": DOC_ID, "limit": 3}
    )
    assert response.status_code == 200
    body = assert_conforms(response)
    assert body["data"]["count"] == 1930 and len(body["data"]["data"]) == 3


def test_the_documentation_id_answers_with_its_example(client: httpx.Client) -> None:
    body = assert_conforms(client.get("/statistics/record", params={"annotationRequestId": DOC_ID}))
    example = RESPONSES["200"]["content"]["application/json"]["examples"]["2000"]["value"]
    assert body["data"]["count"] == example["data"]["count"]
    assert body["data"]["data"][0] == example["data"]["data"][0]
    assert len(body["data"]["data"]) == 10, "limit defaults to 10"


def test_request_ids_are_fresh_32_hex(client: httpx.Client) -> None:
    seen = set()
    for _ in range(5):
        body = client.get("/statistics/record", params={"annotationRequestId": "x"}).json()
        assert re.fullmatch(r"[0-9a-f]{32}", body["requestId"])
        seen.add(body["requestId"])
    assert len(seen) == 5


def test_repeated_and_comma_separated_ids_are_the_same_request(client: httpx.Client) -> None:
    repeated = client.get("/statistics/record?annotationRequestId=a&annotationRequestId=b&limit=50")
    joined = client.get("/statistics/record?annotationRequestId=a,b&limit=50")
    duplicated = client.get(
        "/statistics/record?annotationRequestId=b,a&annotationRequestId=a&limit=50"
    )
    assert repeated.json()["data"] == joined.json()["data"] == duplicated.json()["data"]


def test_pages_served_never_overlap_and_add_up(client: httpx.Client) -> None:
    params: dict[str, Any] = {"annotationRequestId": [DOC_ID, "paging"], "limit": 1000}
    first = client.get("/statistics/record", params={**params, "offset": 1}).json()["data"]
    ids = []
    for offset in range(1, first["count"] // 1000 + 3):
        page = client.get("/statistics/record", params={**params, "offset": offset}).json()["data"]
        assert page["count"] == first["count"]
        ids += [record["id"] for record in page["data"]]
    assert len(ids) == first["count"] and ids == sorted(set(ids))


@pytest.mark.parametrize(
    ("query", "status", "code", "message"),
    [
        ("annotationRequestId=does-not-exist", 404, 53003, "Annotation request has not exists."),
        (
            f"annotationRequestId={DOC_ID},does-not-exist",
            404,
            53003,
            "Annotation request has not exists.",
        ),
        ("offset=1", 400, 4005, "annotationRequestId is required"),
        ("annotationRequestId=a&limit=0", 400, 4005, "limit must be an integer >= 1"),
        ("annotationRequestId=a&offset=abc", 400, 4005, "offset must be an integer"),
        ("annotationRequestId=" + "%C3%A9" * 128, 400, 4005, "at most 255 bytes"),
        # maxItems counts the values as sent: 101 copies of one ID are 101 values (D9).
        ("annotationRequestId=" + ",".join(["a"] * 101), 400, 4005, "at most 100 values, got 101"),
        ("&".join(["annotationRequestId=a"] * 101), 400, 4005, "at most 100 values, got 101"),
    ],
)
def test_outcomes_come_in_the_envelope(
    client: httpx.Client, query: str, status: int, code: int, message: str
) -> None:
    response = client.get(f"/statistics/record?{query}")
    assert response.status_code == status
    body = assert_conforms(response)
    assert body["code"] == code and body["success"] is False and body["data"] is None
    assert message in body["message"]


@pytest.mark.parametrize(
    ("prefer", "status", "code"),
    [
        ("code=53003", 404, 53003),
        ("code=5000", 500, 5000),
        ("code=500", 500, 5000),
        ("code=4005", 400, 4005),
        ("code=401", 401, 401),
        ("code=403", 401, 403),
        ("code=2000", 200, 2000),
    ],
)
def test_prefer_forces_an_outcome(
    client: httpx.Client, prefer: str, status: int, code: int
) -> None:
    response = client.get(
        "/statistics/record", params={"annotationRequestId": "x"}, headers={"Prefer": prefer}
    )
    assert response.status_code == status
    assert assert_conforms(response)["code"] == code


def test_prefer_delay_delays_the_answer(client: httpx.Client) -> None:
    started = time.monotonic()
    response = client.get(
        "/statistics/record", params={"annotationRequestId": "x"}, headers={"Prefer": "delay=300"}
    )
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_a_bad_prefer_is_a_4005_naming_it(client: httpx.Client) -> None:
    response = client.get(
        "/statistics/record", params={"annotationRequestId": "x"}, headers={"Prefer": "code=7"}
    )
    assert response.status_code == 400
    assert "Prefer" in assert_conforms(response)["message"]


def test_swagger_ui_and_the_contract_are_served(client: httpx.Client) -> None:
    ui = client.get("/ui/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()
    assert client.get("/openapi.json").json()["paths"].keys() == {"/statistics/record"}


def test_several_ids_count_the_sum_of_theirs(client: httpx.Client) -> None:
    # Three IDs of different sizes, one of them pinned with 1930 records: a count taken from
    # one ID, or the largest, would differ from the sum.
    ids = [DOC_ID, "sum-a", "sum-b"]
    counts = [
        client.get("/statistics/record", params={"annotationRequestId": i}).json()["data"]["count"]
        for i in ids
    ]
    assert len(set(counts)) == 3 and all(counts), counts
    together = client.get("/statistics/record", params={"annotationRequestId": ids}).json()
    assert together["data"]["count"] == sum(counts)


def test_http_200_errors_keeps_the_code_in_the_body(make_client: ClientFactory) -> None:
    strict = make_client(http_200_errors=True)
    response = strict.get("/statistics/record", params={"annotationRequestId": "does-not-exist"})
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 53003 and body["success"] is False and body["data"] is None
    invalid = strict.get("/statistics/record", params={"annotationRequestId": "x", "limit": 0})
    assert invalid.status_code == 200 and invalid.json()["code"] == 4005


def test_fixtures_only_mode_knows_only_fixture_ids(make_client: ClientFactory) -> None:
    strict = make_client(fixtures_only=True)
    url = "/statistics/record"
    assert strict.get(url, params={"annotationRequestId": "generated"}).json()["code"] == 53003
    assert strict.get(url, params={"annotationRequestId": DOC_ID}).json()["code"] == 2000


def test_timezone_writes_date_and_created_time_in_the_zone(
    client: httpx.Client, make_client: ClientFactory
) -> None:
    query = {"annotationRequestId": "zoned", "limit": 20}
    utc = client.get("/statistics/record", params=query).json()
    # 2026-01-02 03:04:05 UTC is 11:04:05 in Shanghai.
    zoned = make_client(timezone="Asia/Shanghai", clock=lambda: 1_767_323_045.5)
    local = zoned.get("/statistics/record", params=query).json()
    assert local["date"] == "2026-01-02 11:04:05"
    eight_hours = timedelta(hours=8)
    assert [r["createdTime"] for r in local["data"]["data"]] == [
        (datetime.strptime(r["createdTime"], TIME) + eight_hours).strftime(TIME)
        for r in utc["data"]["data"]
    ]


def test_the_clock_and_request_ids_are_the_injected_ones(make_client: ClientFactory) -> None:
    ids = iter(["a" * 32, "b" * 32])
    seamed = make_client(clock=lambda: 0.0, request_ids=lambda: next(ids))
    first = seamed.get("/statistics/record", params={"annotationRequestId": DOC_ID}).json()
    error = seamed.get("/statistics/record", params={"annotationRequestId": "x", "limit": 0})
    assert (first["date"], first["requestId"]) == ("1970-01-01 00:00:00", "a" * 32)
    assert (error.json()["date"], error.json()["requestId"]) == ("1970-01-01 00:00:00", "b" * 32)


def test_fault_rate_and_latency_apply_to_everyone(make_client: ClientFactory) -> None:
    faulty = make_client(fault_rate=1.0, latency_ms=200)
    started = time.monotonic()
    response = faulty.get("/statistics/record", params={"annotationRequestId": "x"})
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 500
    assert assert_conforms(response)["code"] == 5000


def test_without_swagger_ui_the_api_still_answers(make_client: ClientFactory) -> None:
    bare = make_client(swagger_ui=False)
    assert bare.get("/ui/").status_code == 404
    assert bare.get("/statistics/record", params={"annotationRequestId": "x"}).status_code == 200
