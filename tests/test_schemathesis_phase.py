"""The Schemathesis phase's 5000 failures are re-sent in rounds, up to 10 tries in all (C46):
only a request that answered 5000 every time stays a failure. A server in a thread."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from conformance import schemathesis_phase
from conformance.config import Options
from conformance.failures import Failure
from tests.support.faulty_servers import serve_app

HICCUP = b'{"code":5000,"success":false,"data":null}'
PAGE = b'{"code":2000,"success":true,"data":{"count":0,"data":[]}}'


def flaky_server(hits: Counter[str]) -> Any:
    """`/always` answers 5000 every time; `/eight` answers 5000 eight times, then a page."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        hits[path] += 1
        hiccup = path == "/always" or (path == "/eight" and hits[path] <= 8)
        status, body = (500, HICCUP) if hiccup else (200, PAGE)
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def test_a_5000_persists_only_through_every_try(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schemathesis_phase, "BACK_OFF_SECONDS", 0.0)
    hits: Counter[str] = Counter()
    with serve_app(flaky_server(hits), "flaky server") as base_url:
        events = schemathesis_phase.Events()
        for path in ("/always", "/eight"):
            hits[path] += 1  # Schemathesis's own request, the first try
            failure = Failure("not_a_server_error", "Server error", f"curl {path}", "st")
            events.hiccups.append((failure, ("GET", base_url + path, {})))
        failures, flaky = schemathesis_phase.retry_hiccups(Options(base_url), events)
    assert [failure.curl for failure in failures] == ["curl /always"]
    assert failures[0].tries == 10 and hits["/always"] == 10
    # Eight 5000s, then a page on the ninth try: flakiness, as a random hiccup is.
    assert flaky == ["curl /eight"] and hits["/eight"] == 9
