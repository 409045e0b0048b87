"""mockserver/provocations.py: scenarios set by the test, from a file or the admin API (D67)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.provocations import (
    Scenario,
    ScenarioBook,
    ScenarioError,
    load_file,
    load_files,
    parse_many,
)
from tests.support.inprocess import ClientFactory

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
OTHER_ID = "ar-other"
RECORDS = "/statistics/record"
SCENARIOS = "/__mock/scenarios"


def page(http: httpx.Client, offset: int = 1, ids: str = DOC_ID, limit: int = 10) -> httpx.Response:
    return http.get(RECORDS, params={"annotationRequestId": ids, "offset": offset, "limit": limit})


def codes(http: httpx.Client, offsets: list[int], ids: str = DOC_ID) -> list[int]:
    return [page(http, offset, ids).json()["code"] for offset in offsets]


def journal(http: httpx.Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = http.get("/__mock/requests").json()["requests"]
    return entries


@pytest.fixture
def http(make_client: ClientFactory) -> httpx.Client:
    """A mock of its own: scenarios set by one test must not reach another."""
    return make_client()


def test_nothing_is_provoked_unless_a_scenario_is_set(http: httpx.Client) -> None:
    assert codes(http, [1, 2, 1]) == [2000, 2000, 2000]
    assert [entry["scenario"] for entry in journal(http)] == [None, None, None]
    assert http.get(SCENARIOS).json() == {"scenarios": []}


def test_first_k_matching_then_normal(http: httpx.Client) -> None:
    set_ = {"name": "hiccup", "match": {"offset": 2}, "answer": 5000, "first": 2}
    assert http.post(SCENARIOS, json=set_).status_code == 201
    # Page 1 does not match and is not counted; page 2 fails twice, then recovers.
    assert codes(http, [1, 2, 2, 2, 3]) == [2000, 5000, 5000, 2000, 2000]
    assert [entry["scenario"] for entry in journal(http)] == [
        None,
        "hiccup",
        "hiccup",
        None,
        None,
    ]
    listed = http.get(SCENARIOS).json()["scenarios"]
    assert listed == [{**set_, "matched": 3, "fired": 2}]


def test_from_the_nth_on(http: httpx.Client) -> None:
    http.post(SCENARIOS, json={"name": "late", "answer": 53003, "from": 3})
    assert codes(http, [1, 2, 3, 4]) == [2000, 2000, 53003, 53003]
    assert page(http, 4).status_code == 404


def test_match_by_annotation_request_and_limit(http: httpx.Client) -> None:
    http.post(
        SCENARIOS,
        json={
            "name": "one-id",
            "match": {"annotationRequestId": OTHER_ID, "limit": 10},
            "answer": 403,
        },
    )
    assert codes(http, [1]) == [2000]
    # The ID matches within a comma list; another limit does not match.
    assert page(http, 1, f"{DOC_ID},{OTHER_ID}").json()["code"] == 403
    assert page(http, 1, OTHER_ID, limit=11).json()["code"] == 2000


def test_every_documented_outcome(http: httpx.Client) -> None:
    answers = [5000, 53003, 4005, 401, 402, 403]
    for answer in answers:
        # Setting a scenario of the same name replaces it.
        http.post(SCENARIOS, json={"name": "x", "answer": answer})
        assert page(http).json()["code"] == answer
    assert [entry["code"] for entry in journal(http)] == answers


def test_the_rate_form_is_deterministic_for_a_seed(make_client: ClientFactory) -> None:
    def run(seed: int) -> list[int]:
        http = make_client()
        http.post(SCENARIOS, json={"name": "r", "answer": 5000, "rate": 0.5, "seed": seed})
        return codes(http, [1] * 24)

    first = run(7)
    assert first == run(7)
    assert 0 < first.count(5000) < 24
    assert first != run(8)


def test_a_drill_scenario_alters_records_and_a_delay_waits(http: httpx.Client) -> None:
    http.post(SCENARIOS, json={"name": "d", "match": {"offset": 1}, "drill": ["extra-fields"]})
    drilled = page(http, 1, limit=100).json()
    assert drilled["traceId"] == "drill"
    assert "traceId" not in page(http, 2, limit=100).json()
    http.delete(SCENARIOS)
    http.post(SCENARIOS, json={"name": "slow", "delay_ms": 120})
    page(http)
    assert journal(http)[-1]["elapsed_ms"] >= 120


def test_list_add_replace_and_delete(http: httpx.Client) -> None:
    http.post(
        SCENARIOS, json={"scenarios": [{"name": "a", "answer": 5000}, {"name": "b", "answer": 401}]}
    )
    assert [s["name"] for s in http.get(SCENARIOS).json()["scenarios"]] == ["a", "b"]
    # The scenario set first shapes the answer when both fire.
    assert codes(http, [1]) == [5000]
    assert http.delete(f"{SCENARIOS}/a").status_code == 204
    assert codes(http, [1]) == [401]
    missing = http.delete(f"{SCENARIOS}/a")
    assert missing.status_code == 404 and "no scenario named 'a'" in missing.json()["message"]
    assert http.delete(SCENARIOS).status_code == 204
    assert codes(http, [1]) == [2000]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "the body is empty"),
        (b"{", "the body is not JSON"),
        (b'{"name": "x"}', "body: says neither an answer"),
        (b'{"name": "x", "answer": 200}', "answer: must be one of 5000"),
        (
            b'{"name": "x", "answer": 5000, "first": 0}',
            "first: must be a whole number of at least 1",
        ),
        (b'{"name": "x", "answer": 5000, "first": 1, "rate": 0.5}', "rate: give one of"),
        (b'{"name": "x", "answer": 5000, "match": {"page": 2}}', "match.page: unknown key"),
        (b'{"name": "x", "drill": ["colour"]}', "drill: must be true or a list"),
        (b'{"name": "no spaces", "answer": 5000}', "name: must be 1-64"),
        (
            b'{"scenarios": [{"name": "a", "answer": 5000}, {"name": "a", "answer": 401}]}',
            "'a' twice",
        ),
    ],
)
def test_bad_admin_input_is_a_400_naming_the_field(
    client: httpx.Client, body: bytes, says: str
) -> None:
    # The shared mock: a bad body sets nothing, so no other test can see it.
    answer = client.post(SCENARIOS, content=body)
    assert answer.status_code == 400
    assert says in answer.json()["message"]
    assert client.get(SCENARIOS).json() == {"scenarios": []}


def test_scenarios_refuse_to_be_set_under_several_workers(make_client: ClientFactory) -> None:
    http = make_client(workers=2)
    answer = http.post(SCENARIOS, json={"name": "x", "answer": 5000})
    assert answer.status_code == 409 and "--workers 1" in answer.json()["message"]


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scenario_file_is_set_at_start_up(make_client: ClientFactory, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "scenarios:\n"
        "  - name: page-two-hiccups\n"
        "    match: {offset: 2}\n"
        "    answer: 5000\n"
        "    first: 1\n",
    )
    http = make_client(scenarios=(path,))
    assert codes(http, [1, 2, 2]) == [2000, 5000, 2000]
    assert journal(http)[1]["scenario"] == "page-two-hiccups"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("- name: x\n", "top level: must be a mapping with one key, 'scenarios'"),
        ("scenarios: {}\n", "scenarios: must be a list"),
        ("scenarios:\n  - name: x\n    answer: 5000\n    delay_ms: 70000\n",
         "scenarios[0].delay_ms: must be at most 60000"),
        ("scenarios:\n  - name: x\n    answer: 5000\n    match: {offset: zero}\n",
         "scenarios[0].match.offset: must be a whole number"),
        ("scenarios:\n  - {name: x, answer: 5000, seed: 3}\n",
         "scenarios[0].seed: only the rate form"),
        ("scenarios: [\n", "cannot be read"),
    ],
)  # fmt: skip
def test_a_bad_scenario_file_names_the_file_and_field(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as raised:
        load_file(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert says in str(raised.value)


def test_a_name_set_in_two_files_is_a_mistake(tmp_path: Path) -> None:
    text = "scenarios:\n  - {name: x, answer: 5000}\n"
    first, second = write(tmp_path, text, "a.yaml"), write(tmp_path, text, "b.yaml")
    with pytest.raises(ScenarioError, match=r"b\.yaml: 'x' is also set in .*a\.yaml"):
        load_files([first, second])


def test_every_match_is_counted_even_when_another_scenario_fires() -> None:
    book = ScenarioBook(parse_many({"scenarios": [
        {"name": "all", "answer": 5000, "first": 1},
        {"name": "third", "answer": 401, "from": 2},
    ]}, ""))  # fmt: skip
    chosen = [book.choose([DOC_ID], 1, 10) for _ in range(3)]
    assert [f.scenario.name if f else None for f in chosen] == ["all", "third", "third"]
    assert [f.nth if f else None for f in chosen] == [1, 2, 3]
    assert chosen[0] is not None and isinstance(chosen[0].scenario, Scenario)


def test_the_admin_document_describes_the_scenario_paths(http: httpx.Client) -> None:
    spec = http.get("/__mock/openapi.json").json()
    assert set(spec["paths"][SCENARIOS]) == {"get", "post", "delete"}
    assert set(spec["paths"][SCENARIOS + "/{name}"]) == {"delete"}
    # Every method the document names is answered, none other is.
    for method in ("GET", "DELETE"):
        assert http.request(method, SCENARIOS).status_code in {200, 204}
    assert http.put(SCENARIOS, json={}).status_code == 405
    assert http.get(SCENARIOS + "/x").status_code == 405


def test_the_verdicts_exchanges_know_a_provoked_answer(http: httpx.Client, tmp_path: Path) -> None:
    from clientjudge.exchanges import from_entry
    from conformance.har import read_har

    http.post(SCENARIOS, json={"name": "outage", "answer": 5000, "first": 1})
    codes(http, [1, 1])
    exchanges = [from_entry(entry) for entry in journal(http)]
    assert [(e.answer_code, e.summary and e.summary.scenario) for e in exchanges] == [
        (5000, "outage"),
        (2000, None),
    ]
    # The HAR export keeps it, so an offline verdict tells them apart too.
    path = tmp_path / "j.har"
    path.write_bytes(http.get("/__mock/requests", params={"format": "har"}).content)
    back = read_har([path])
    assert [e.summary and e.summary.scenario for e in back] == ["outage", None]
