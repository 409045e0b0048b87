"""The Schemathesis phase's exchanges, read back from its event stream."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from conformance.st_exchanges import exchanges_of, read


def _interaction(uri: str, status: int | None, body: bytes = b"") -> dict[str, object]:
    response = None
    if status is not None:
        response = {
            "status_code": status,
            "headers": {"content-type": ["application/json"]},
            "content": {"$base64": base64.b64encode(body).decode()},
            "elapsed": 0.25,
        }
    return {"request": {"method": "GET", "uri": uri, "headers": {"X-SIGN": ["abc"]}},
            "response": response, "timestamp": 1000.0}  # fmt: skip


def _scenario(*interactions: dict[str, object]) -> str:
    recorded = {f"case-{n}": item for n, item in enumerate(interactions)}
    return json.dumps(
        {"ScenarioFinished": {"phase": "coverage", "recorder": {"interactions": recorded}}}
    )


def test_every_answered_interaction_becomes_an_exchange() -> None:
    lines = [
        json.dumps({"PhaseStarted": {"phase": {"name": "coverage"}}}),
        _scenario(
            _interaction(
                "http://h/statistics/record?annotationRequestId=a", 200, b'{"code": 2000}'
            ),
            _interaction("http://h/statistics/record?offset=0", 400, b'{"code": 4005}'),
        ),
        _scenario(_interaction("http://h/statistics/record?limit=x", None)),
        _scenario(_interaction("http://h/statistics/record?limit=0", 400, b"not json")),
    ]
    found = list(exchanges_of(lines))
    assert [(e.status, e.code) for e in found] == [(200, 2000), (400, 4005), (400, None)]
    first = found[0]
    assert first.ids == ("a",)
    assert first.request_headers == {"X-SIGN": "abc"}
    assert first.content_type == "application/json"
    assert first.elapsed == 0.25 and first.received_at == 1000.0
    assert found[2].text == "not json"


def test_a_missing_stream_has_no_exchanges(tmp_path: Path) -> None:
    assert read(tmp_path / "events.ndjson") == []
