"""`GET /` and `GET /rosetta-open/` point to the operation, the contract and the UI (D50)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.inprocess import ClientFactory

DOCUMENTED = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"


@pytest.mark.parametrize(
    ("path", "base"),
    [("/", ""), ("/rosetta-open/", "/rosetta-open"), ("/rosetta-open", "/rosetta-open")],
)
def test_the_bare_address_answers_an_index_whose_links_work(
    client: httpx.Client, path: str, base: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    index = response.json()
    assert index["operation"] == f"GET {base}/statistics/record"
    assert index["contract"] == f"{base}/openapi.json" and index["ui"] == f"{base}/ui/"
    assert client.get(index["contract"]).json()["paths"]["/statistics/record"]
    assert client.get(index["ui"]).status_code == 200
    example = client.get(index["example"]).json()
    assert example["code"] == 2000 and example["data"]["count"] == 1930
    assert DOCUMENTED in index["example"]


def test_without_the_ui_the_index_does_not_link_it(make_client: ClientFactory) -> None:
    index = make_client(swagger_ui=False).get("/").json()
    assert "ui" not in index and index["contract"] == "/openapi.json"


def test_head_answers_the_headers_only_and_other_methods_are_still_refused(
    client: httpx.Client,
) -> None:
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(client.get("/").content)
    assert client.post("/").status_code in (404, 405)
    assert client.get("/nothing-here").status_code == 404
