"""mockserver/sessions.py: `/__session/NAME/` scopes journal, verdict, scenarios, clock (D70)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from mockserver.admin import exit_verdict
from mockserver.app import create_app, journal_of
from mockserver.config import Settings
from mockserver.sessions import split
from tests.support.inprocess import ClientFactory, InProcessTransport

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"


def base(name: str) -> str:
    return f"/__session/{name}"


def get_page(http: httpx.Client, prefix: str, offset: int = 1, api: str = "") -> dict[str, Any]:
    params = {"annotationRequestId": DOC_ID, "offset": offset, "limit": 10}
    body: dict[str, Any] = http.get(f"{prefix}{api}/statistics/record", params=params).json()
    return body


def requests_of(http: httpx.Client, prefix: str = "") -> dict[str, Any]:
    answer: dict[str, Any] = http.get(f"{prefix}/__mock/requests").json()
    return answer


@pytest.fixture
def http(make_client: ClientFactory) -> httpx.Client:
    return make_client()


def test_a_session_is_a_base_url_before_either_prefix(http: httpx.Client) -> None:
    plain = get_page(http, "")
    assert get_page(http, base("a"))["data"] == plain["data"]
    assert get_page(http, base("a"), api="/rosetta-open")["data"] == plain["data"]
    entries = requests_of(http)["requests"]
    # The journal records the path the API saw, and the session apart.
    assert [(e["path"], e["session"]) for e in entries] == [
        ("/statistics/record", None),
        ("/statistics/record", "a"),
        ("/rosetta-open/statistics/record", "a"),
    ]


def test_the_journal_and_verdict_are_the_sessions_own(http: httpx.Client) -> None:
    get_page(http, base("a"), 1)
    get_page(http, base("b"), 1)
    get_page(http, base("b"), 1)
    get_page(http, base("b"), 2)
    mine = requests_of(http, base("a"))
    assert [e["session"] for e in mine["requests"]] == ["a"]
    assert (mine["total"], mine["dropped"]) == (1, 0)
    # b read page 1 twice before page 2 ... but a walk restarts at page 1, so no refetch;
    # ask page 2 twice to draw one.
    get_page(http, base("b"), 2)
    b_rules = {f["rule"] for f in http.get(base("b") + "/__mock/verdict").json()["findings"]}
    a_rules = {f["rule"] for f in http.get(base("a") + "/__mock/verdict").json()["findings"]}
    assert "paging-refetch" in b_rules and not a_rules
    # Without a prefix, the admin API covers every session.
    assert requests_of(http)["total"] == 5


def test_the_whole_mocks_verdict_judges_each_session_as_a_client_of_its_own(
    http: httpx.Client,
) -> None:
    # a gets a 5000; b asks the same page at once: two clients, no retry at all (D80).
    http.post(base("a") + "/__mock/scenarios", json={"name": "down", "answer": 5000})
    assert get_page(http, base("a"))["code"] == 5000
    assert get_page(http, base("b"))["code"] == 2000
    whole = http.get("/__mock/verdict").json()
    assert whole["requests"] == 2 and whole["findings"] == []
    # The same two requests from one client are a retry without back-off: found, in the
    # whole mock's verdict as in the session's.
    assert get_page(http, base("a"))["code"] == 5000
    assert get_page(http, base("a"))["code"] == 5000
    rules = {f["rule"] for f in http.get("/__mock/verdict").json()["findings"]}
    assert "retry-no-backoff" in rules
    mine = {f["rule"] for f in http.get(base("a") + "/__mock/verdict").json()["findings"]}
    assert "retry-no-backoff" in mine


def test_the_verdict_printed_at_exit_judges_each_session_apart() -> None:
    app = create_app(Settings())
    journal = journal_of(app)
    assert journal is not None
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock") as http:
        http.post(base("a") + "/__mock/scenarios", json={"name": "down", "answer": 5000})
        assert get_page(http, base("a"))["code"] == 5000
        assert get_page(http, base("b"))["code"] == 2000
        printed = exit_verdict(journal)
        assert printed is not None and "2 requests" in printed and "retry" not in printed
        assert get_page(http, base("a"))["code"] == 5000
        printed = exit_verdict(journal)
        assert printed is not None and "retry" in printed


def test_a_sessions_reset_leaves_the_others(http: httpx.Client) -> None:
    get_page(http, base("a"))
    get_page(http, base("b"))
    assert http.delete(base("a") + "/__mock/requests").status_code == 204
    assert requests_of(http, base("a"))["requests"] == []
    get_page(http, base("a"), 2)
    assert ["offset=2" in e["query"] for e in requests_of(http, base("a"))["requests"]] == [True]
    assert len(requests_of(http, base("b"))["requests"]) == 1
    assert requests_of(http)["total"] == 3


def test_a_sessions_view_can_include_the_unprefixed_requests_since_its_reset(
    http: httpx.Client,
) -> None:
    # D75: the pytest plugin's view of a test, where a client made before the test (a
    # session-scoped fixture) still sends to the whole mock's URL.
    get_page(http, "", 1)  # before the reset: not the test's
    get_page(http, base("a"))
    assert http.delete(base("a") + "/__mock/requests").status_code == 204
    get_page(http, "", 2)
    get_page(http, base("a"), 3)
    get_page(http, base("b"), 4)  # another session's: never in a's view
    view = http.get(base("a") + "/__mock/requests", params={"include": "unprefixed"}).json()
    assert [(e["session"], "offset=2" in e["query"]) for e in view["requests"]] == [
        (None, True),
        ("a", False),
    ]
    assert view["total"] == 2
    alone = requests_of(http, base("a"))["requests"]
    assert [e["session"] for e in alone] == ["a"]
    judged = http.get(base("a") + "/__mock/verdict", params={"include": "unprefixed"}).json()
    assert judged["requests"] == 2
    assert http.get(base("a") + "/__mock/verdict").json()["requests"] == 1
    bad = http.get(base("a") + "/__mock/verdict", params={"include": "all"})
    assert bad.status_code == 400 and "include: 'all' is not one of none, unprefixed" in bad.text


def test_scenarios_and_clock_are_per_session(http: httpx.Client) -> None:
    http.post(base("a") + "/__mock/scenarios", json={"name": "down", "answer": 5000})
    http.put(base("a") + "/__mock/clock", json={"freeze": True, "set": "2031-01-01T00:00:00Z"})
    answered = get_page(http, base("a"))
    assert answered["code"] == 5000 and answered["date"] == "2031-01-01 00:00:00"
    other = get_page(http, base("b"))
    assert other["code"] == 2000 and not other["date"].startswith("2031")
    assert get_page(http, "")["code"] == 2000
    assert http.get(base("b") + "/__mock/scenarios").json() == {"scenarios": []}
    # A scenario set without a prefix covers every session; the session's own comes first.
    http.post("/__mock/scenarios", json={"name": "everyone", "answer": 53003})
    assert [get_page(http, base(n))["code"] for n in ("a", "b")] == [5000, 53003]
    entries = requests_of(http)["requests"]
    assert [e["scenario"] for e in entries[-2:]] == ["down", "everyone"]


def test_a_session_clock_follows_the_mocks_until_set(http: httpx.Client) -> None:
    http.put("/__mock/clock", json={"freeze": True, "set": "2032-02-02T00:00:00Z"})
    assert get_page(http, base("c"))["date"] == "2032-02-02 00:00:00"
    http.put(base("c") + "/__mock/clock", json={"advance": 60})
    assert get_page(http, base("c"))["date"] == "2032-02-02 00:01:00"
    assert get_page(http, "")["date"] == "2032-02-02 00:00:00"


NAMES_ALLOWED = (
    "is not a session name: a session name is 1 to 64 letters, digits, '.', '_' or '-', the "
    "first a letter or digit (/__session/NAME/ then the API's path or /__mock/...)"
)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/__session//statistics/record", "''"),
        ("/__session/a b/statistics/record?annotationRequestId=x", "'a b'"),
        ("/__session/-x/__mock/requests", "'-x'"),
        ("/__session/.x/rosetta-open/statistics/record", "'.x'"),
        (f"/__session/{'a' * 65}/statistics/record", f"'{'a' * 65}'"),
    ],
)
def test_a_name_the_sessions_refuse_gets_the_admin_envelope_saying_what_is_allowed(
    client: httpx.Client, path: str, name: str
) -> None:
    # D83: the mock's own JSON message, not Connexion's problem body; nothing recorded.
    before = client.get("/__mock/requests").json()["total"]
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"message": f"{name} {NAMES_ALLOWED}"}
    assert client.get("/__mock/requests").json()["total"] == before


def test_a_sessions_base_url_alone_says_what_follows_it(client: httpx.Client) -> None:
    answer = client.get("/__session/t1")
    assert answer.status_code == 404 and answer.json() == {
        "message": "/__session/t1 is a session's base URL, not a path: add the API's path "
        "(/__session/t1/statistics/record) or the admin API's (/__session/t1/__mock/...)"
    }


def test_a_refused_session_name_gets_no_cors_headers(client: httpx.Client) -> None:
    # As under /__mock/ (D48): the door answers before CORS.
    answer = client.get("/__session/a b/statistics/record", headers={"Origin": "http://x.test"})
    assert answer.status_code == 404 and "access-control-allow-origin" not in answer.headers


def test_split() -> None:
    assert split("/__session/t-1.x/statistics/record") == ("t-1.x", "/statistics/record")
    assert split("/__session/t1") is None
    assert split("/__session/-x/y") is None


def test_parallel_clients_each_get_their_own_verdict() -> None:
    """Eight clients at once on one mock (one event loop, their requests interleaved): each
    session's journal holds exactly its client's requests, and its verdict only them."""
    app = create_app(Settings())
    names = [f"t{number}" for number in range(8)]

    async def walk(client: httpx.AsyncClient, name: str) -> None:
        for offset in (1, 2, 3):
            params = {"annotationRequestId": DOC_ID, "offset": offset}
            await client.get(f"{base(name)}/statistics/record", params=params)
            await asyncio.sleep(0)

    async def run() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 9))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            await asyncio.gather(*(walk(client, name) for name in names))
            found = {}
            for name in names:
                entries = (await client.get(f"{base(name)}/__mock/requests")).json()["requests"]
                verdict = (await client.get(f"{base(name)}/__mock/verdict")).json()
                found[name] = (entries, verdict)
            every = (await client.get("/__mock/requests")).json()["requests"]
            return {"sessions": found, "every": every}

    result = asyncio.run(run())
    # Interleaved: the journal does not hold one client's walk after another's.
    sessions_in_order = [e["session"] for e in result["every"]]
    assert sessions_in_order != sorted(sessions_in_order)
    for name, (entries, verdict) in result["sessions"].items():
        assert [e["query"].split("offset=")[1] for e in entries] == ["1", "2", "3"], name
        assert {e["session"] for e in entries} == {name}
        assert verdict == {"verdict": "PASS", "requests": 3, "findings": []}
