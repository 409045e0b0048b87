"""mockserver/growing.py: records appended as the clock or the requests go (D71)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockserver.provocations import Growth
from tests.support.inprocess import ClientFactory

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"  # 1930 records
SCENARIOS = "/__mock/scenarios"


def page(http: httpx.Client, offset: int, limit: int = 100) -> dict[str, Any]:
    params = {"annotationRequestId": DOC_ID, "offset": offset, "limit": limit}
    body: dict[str, Any] = http.get("/statistics/record", params=params).json()
    return body


@pytest.fixture
def http(make_client: ClientFactory) -> httpx.Client:
    return make_client()


def full_order(http: httpx.Client) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for offset in (1, 2):
        records += page(http, offset, 1000)["data"]["data"]
    return records


def test_growth_by_requests_appends_and_never_changes_a_record(http: httpx.Client) -> None:
    everything = full_order(http)
    grow = {"records": 30, "step": 7, "every_requests": 1}
    http.post(SCENARIOS, json={"name": "g", "match": {"limit": 500}, "grow": grow})
    counts, seen = [], []
    offset = 1
    while True:
        body = page(http, offset, 500)
        counts.append(body["data"]["count"])
        seen += body["data"]["data"]
        if offset * 500 >= body["data"]["count"]:
            break
        offset += 1
    # count grows between pages, by the step, bounded by the records held back.
    assert counts == [1900, 1907, 1914, 1921]
    # Every page a slice of the one order: the records read are the full order's first ones,
    # none twice, none changed.
    assert seen == everything[: len(seen)]
    assert len({r["id"] for r in seen}) == len(seen) == 1921


def test_growth_by_the_mock_clock(http: httpx.Client) -> None:
    http.put("/__mock/clock", json={"freeze": True})
    grow = {"records": 10, "step": 3, "every_s": 60}
    http.post(SCENARIOS, json={"name": "g", "grow": grow})
    first = page(http, 20)["data"]
    assert first["count"] == 1920 and len(first["data"]) == 20
    # The clock stands still: nothing appended.
    assert page(http, 20)["data"] == first
    http.put("/__mock/clock", json={"advance": 125})
    grown = page(http, 20)["data"]
    assert grown["count"] == 1926
    # The records served before are unchanged; six more follow, ids ascending.
    assert grown["data"][:20] == first["data"]
    ids = [r["id"] for r in grown["data"]]
    assert len(ids) == 26 and ids == sorted(ids)
    http.put("/__mock/clock", json={"advance": 3600})
    assert page(http, 20)["data"]["count"] == 1930


def test_visible() -> None:
    by_requests = Growth(records=10, step=4, every_requests=2)
    assert [by_requests.visible(100, n, 0) for n in range(1, 9)] == [
        90,
        90,
        94,
        94,
        98,
        98,
        100,
        100,
    ]
    assert Growth(records=500, step=1, every_s=1).visible(100, 1, 0) == 0
    assert Growth(records=5, step=2, every_s=10).visible(100, 1, 25) == 99


@pytest.mark.parametrize(
    ("grow", "says"),
    [
        ({"records": 5}, "grow: give one of every_s and every_requests"),
        ({"records": 0, "every_s": 1}, "grow.records: must be a whole number of at least 1"),
        ({"records": 5, "every_s": 0}, "grow.every_s: must be a number of seconds above 0"),
        ({"records": 5, "every_s": 1, "speed": 2}, "grow.speed: unknown key"),
    ],
)
def test_bad_growth_is_a_400_naming_the_field(
    client: httpx.Client, grow: dict[str, Any], says: str
) -> None:
    answer = client.post(SCENARIOS, json={"name": "g", "grow": grow})
    assert answer.status_code == 400 and says in answer.json()["message"]
