"""Same seed and request, same records, across processes and hash seeds; golden files pin them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from faker import VERSION as FAKER_VERSION

from tests.support import golden
from tests.support.inprocess import ClientFactory
from tests.support.servers import mock_server

# Golden files were written with this Faker; the project pins it exactly (pyproject.toml).
PINNED_FAKER = "40.63.0"


def served(base_url: str) -> dict[str, Any]:
    pages = {}
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        for ids, offset, limit in golden.REQUESTS:
            response = client.get(f"/statistics/record?{golden.query(ids, offset, limit)}")
            assert response.status_code == 200, response.text
            pages[golden.query(ids, offset, limit)] = response.json()["data"]
    return pages


def test_faker_is_the_pinned_version() -> None:
    assert FAKER_VERSION == PINNED_FAKER


def test_generated_data_match_the_golden_files() -> None:
    expected = json.loads(golden.path().read_text(encoding="utf-8"))
    assert golden.compute() == expected, "generated data drifted: review, then `make golden`"


@pytest.mark.slow
def test_two_processes_with_different_hash_seeds_serve_identical_data() -> None:
    with mock_server("--seed", "1", environment={"PYTHONHASHSEED": "1"}) as first:
        one = served(first.base_url)
    with mock_server("--seed", "1", environment={"PYTHONHASHSEED": "4242"}) as second:
        two = served(second.base_url)
    assert one == two
    assert one == json.loads(golden.path().read_text(encoding="utf-8"))


def test_a_different_seed_serves_different_data(make_client: ClientFactory) -> None:
    other = make_client(seed=2)
    expected = json.loads(golden.path().read_text(encoding="utf-8"))
    generated = golden.query(("golden-a",), 1, 20)
    response = other.get(f"/statistics/record?{generated}")
    assert response.status_code == 200
    assert response.json()["data"]["data"] != expected[generated]["data"]
    assert expected[generated]["data"], "an empty golden page would differ from nothing"
