"""mockserver/admin.py: the admin API under /__mock/ (D48), in-process."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from clientjudge.verdict import judge
from conformance.har import read_har
from conformance.signing import signature_headers
from mockserver.admin_spec import ADMIN_SPEC
from tests.support.inprocess import ClientFactory

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
RECORDS = "/statistics/record"
REQUESTS = "/__mock/requests"
SCENARIOS = "/__mock/scenarios"
JSON = "application/json"
EXAMPLE = ADMIN_SPEC["paths"][SCENARIOS]["post"]["requestBody"]["content"][JSON]["example"]


@cache
def signed() -> dict[str, str]:
    # One set of signing headers for the test: their X-SIGN is what must never be exported.
    return signature_headers("ak", "sk")


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
        (
            REQUESTS,
            "sinse=1",
            "unknown parameter 'sinse'; this path accepts: since, limit, format, include",
        ),
        (REQUESTS, "since=abc", "since: 'abc' is not a whole number of at least 0"),
        (REQUESTS, "since=-1", "since: '-1' is not a whole number of at least 0"),
        (REQUESTS, "limit=0", "limit: '0' is not a whole number of at least 1"),
        (REQUESTS, "limit=1&limit=2", "limit: given more than once"),
        (REQUESTS, "format=xml", "format: 'xml' is not one of json, har"),
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


def bad_client(http: httpx.Client) -> None:
    """Takes a capped page for the last one, and sends a refused request again unchanged."""
    http.get(RECORDS, params={"annotationRequestId": DOC_ID, "limit": 5000})
    for _ in range(2):
        http.get(RECORDS, params={"annotationRequestId": DOC_ID, "limit": "ten"})


def test_the_verdict_names_the_rules_the_client_broke(make_client: ClientFactory) -> None:
    http = make_client()
    bad_client(http)
    verdict = http.get("/__mock/verdict").json()
    assert verdict["requests"] == 3 and verdict["verdict"] == "FAIL"
    rules = {finding["rule"]: finding for finding in verdict["findings"]}
    assert rules["paging-short-page-as-end"]["severity"] == "error"
    assert rules["paging-short-page-as-end"]["requests"] == [1]
    assert rules["retry-not-retryable"]["requests"] == [2, 3]
    assert all(finding["fix"] for finding in verdict["findings"])
    # Each fix points at the section of the client page that explains it (issue 28).
    assert rules["retry-not-retryable"]["see"] == "docs/client-developers.md#retries"
    page = http.get("/__mock/verdict", params={"format": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "paging-short-page-as-end" in page.text and "retry-not-retryable" in page.text


def test_a_good_client_and_an_emptied_journal_are_clean(make_client: ClientFactory) -> None:
    http = make_client()
    bad_client(http)
    http.delete(REQUESTS)
    # Nothing judged is no PASS (C45): the emptied journal's verdict says so.
    empty = {"verdict": "INCONCLUSIVE", "requests": 0, "findings": []}
    assert http.get("/__mock/verdict").json() == empty
    for offset in (1, 2):
        http.get(RECORDS, params={"annotationRequestId": DOC_ID, "limit": 1000, "offset": offset})
    assert http.get("/__mock/verdict").json() == {"verdict": "PASS", "requests": 2, "findings": []}


def test_the_har_export_judged_offline_gives_the_same_findings(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    http = make_client(signature_keys={"ak": "sk"})
    http.get(RECORDS, params={"annotationRequestId": DOC_ID, "limit": 5000}, headers=signed())
    http.get(RECORDS, params={"annotationRequestId": DOC_ID})
    http.get(RECORDS, params={"annotationRequestId": DOC_ID})
    har = http.get(REQUESTS, params={"format": "har"})
    assert har.status_code == 200 and har.json()["log"]["version"] == "1.2"
    assert [entry["_seq"] for entry in har.json()["log"]["entries"]] == [1, 2, 3]
    assert signed()["X-SIGN"] not in har.text and "[REDACTED]" in har.text
    path = tmp_path / "journal.har"
    path.write_text(har.text)
    offline = judge(read_har([path])).to_json()
    online = http.get("/__mock/verdict").json()
    assert offline == online
    assert {f["rule"] for f in online["findings"]} >= {"paging-short-page-as-end"}
    # `since` and `limit` choose the exported entries too.
    some = http.get(REQUESTS, params={"format": "har", "since": 1, "limit": 1}).json()
    assert [entry["_seq"] for entry in some["log"]["entries"]] == [2]


def test_every_documented_path_and_parameter_is_answered(make_client: ClientFactory) -> None:
    http = make_client()
    examples = {"since": "0", "limit": "5"}
    for path, methods in ADMIN_SPEC["paths"].items():
        for method, operation in methods.items():
            # A body as the document's example has it; a named resource is the example's.
            example = operation.get("requestBody", {}).get("content", {}).get(JSON, {})
            if "{name}" in path:
                http.post(SCENARIOS, json=EXAMPLE)
            answer = http.request(
                method.upper(), path.format(name="example"), json=example.get("example")
            )
            assert answer.status_code in {200, 201, 204}, (method, path)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    continue
                values = parameter["schema"].get("enum") or [examples[parameter["name"]]]
                for value in values:
                    answer = http.request(method.upper(), path, params={parameter["name"]: value})
                    assert answer.status_code == 200, (path, parameter["name"], value)


# The answers' shapes as documented (the admin API's document and docs/client-developers.md),
# checked against real answers, so that neither can drift from what the code returns.
CLIENT_PAGE = Path(__file__).parents[1] / "docs" / "client-developers.md"


def answer_schema(path: str, method: str, status: str) -> dict[str, Any]:
    response = ADMIN_SPEC["paths"][path][method]["responses"][status]
    schema: dict[str, Any] = response["content"][JSON]["schema"]
    return schema


def conforms(document: Any, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]
    assert errors == []


def documented(marker: str) -> Any:
    """The JSON block that follows `<!-- admin answer: MARKER ... -->` on the client page."""
    text = CLIENT_PAGE.read_text()
    start = text.index(f"<!-- admin answer: {marker} ")
    block = text[text.index("```json\n", start) + 8 :]
    return json.loads(block[: block.index("```")])


def keys_of(items: Sequence[dict[str, Any]]) -> set[str]:
    return {key for item in items for key in item}


# Every field a scenario can have, across a few: the answer must list each as documented.
EVERY_FIELD = [
    {"name": "hiccup", "match": {"offset": 2}, "answer": 5000, "first": 2},
    {"name": "flaky", "match": "any", "answer": 5000, "rate": 0.1, "seed": 7},
    {"name": "nudge", "delay_ms": 5, "drill": True, "from": 3},
    {"name": "grows", "match": {"annotationRequestId": DOC_ID, "limit": 10},
     "grow": {"records": 30, "step": 3, "every_s": 60}},
    {"name": "grows-by-request", "grow": {"records": 5, "every_requests": 1}},
]  # fmt: skip


def test_a_scenario_set_again_answers_the_documented_shape(make_client: ClientFactory) -> None:
    http = make_client()
    body = ADMIN_SPEC["paths"][SCENARIOS]["post"]["requestBody"]["content"][JSON]["schema"]
    conforms({"scenarios": EVERY_FIELD}, body)  # what it accepts is documented too
    assert http.post(SCENARIOS, json={"scenarios": EVERY_FIELD}).status_code == 201
    ask_pages(http, range(2, 3))
    replaced = http.post(SCENARIOS, json={**EVERY_FIELD[0], "first": 3})
    assert replaced.status_code == 201
    answer = replaced.json()
    conforms(answer, answer_schema(SCENARIOS, "post", "201"))
    conforms(http.get(SCENARIOS).json(), answer_schema(SCENARIOS, "get", "200"))
    # Replaced: moved to the end, its counts from 0; the others counted the request.
    listed = answer["scenarios"]
    assert [s["name"] for s in listed] == ["flaky", "nudge", "grows", "grows-by-request", "hiccup"]
    assert listed[-1] == {"name": "hiccup", "match": {"offset": 2}, "answer": 5000,
                          "first": 3, "matched": 0, "fired": 0}  # fmt: skip
    assert listed[0]["match"] == {} and listed[1]["drill"] == ["unknown-enums", "extra-fields"]
    assert [s["matched"] for s in listed[:4]] == [1, 1, 1, 1]
    # Every documented field is one the mock returns, and the reverse (additionalProperties).
    properties = answer_schema(SCENARIOS, "post", "201")["properties"]["scenarios"]["items"]
    assert keys_of(listed) == set(properties["properties"])
    grows = [s["grow"] for s in listed if "grow" in s]
    assert keys_of(grows) == set(properties["properties"]["grow"]["properties"])


def test_the_documented_scenarios_answer_is_one_the_mock_gives() -> None:
    example = documented("POST /__mock/scenarios")
    schema = answer_schema(SCENARIOS, "post", "201")
    conforms(example, schema)
    # The page's example names every field of a listed scenario (`grow`'s every_requests in words).
    fields = set(schema["properties"]["scenarios"]["items"]["properties"])
    assert keys_of(example["scenarios"]) == fields


def test_the_verdict_answers_the_documented_shape(make_client: ClientFactory) -> None:
    http = make_client()
    bad_client(http)
    verdict = http.get("/__mock/verdict").json()
    schema = answer_schema("/__mock/verdict", "get", "200")
    conforms(verdict, schema)
    assert set(verdict) == set(schema["properties"])
    finding = schema["properties"]["findings"]["items"]
    assert keys_of(verdict["findings"]) == set(finding["properties"])
    # The page's example validates, and names every field.
    example = documented("GET /__mock/verdict")
    conforms(example, schema)
    assert set(example) == set(verdict) and keys_of(example["findings"]) == set(
        finding["properties"]
    )
    # The empty journal's verdict, too.
    http.delete(REQUESTS)
    conforms(http.get("/__mock/verdict").json(), schema)
