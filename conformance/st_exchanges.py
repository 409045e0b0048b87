"""The Schemathesis phase's exchanges, read back from its NDJSON event stream.

`st run` runs in a child process (C1); each finished scenario's recorder in `events.ndjson`
holds every request it sent and the answer, which is everything `exchanges.har` and the
coverage need. Reading them from the stream the phase already writes costs no second report
of Schemathesis's own (its `--report har` would write the same interactions again) and gives
the suite's own `Exchange`, judged and redacted the same way as the semantic phase's (C58).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from conformance.exchange import Exchange

_SKIPPED_HEADERS = {"user-agent", "accept", "accept-encoding", "connection", "content-length"}


def _headers(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(name): ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        for name, value in raw.items()
    }


def exchange_of(interaction: Any) -> Exchange | None:
    """One recorded interaction as an `Exchange`; None when no answer came (a timeout)."""
    if not isinstance(interaction, dict):
        return None
    request, response = interaction.get("request"), interaction.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        return None
    status = response.get("status_code")
    if not isinstance(status, int):
        return None
    content = response.get("content") or {}
    raw = content.get("$base64") if isinstance(content, dict) else None
    text = base64.b64decode(raw).decode("utf-8", "replace") if raw else ""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    headers = {
        name: value
        for name, value in _headers(request.get("headers")).items()
        if name.lower() not in _SKIPPED_HEADERS
    }
    elapsed = response.get("elapsed")
    received = interaction.get("timestamp")
    return Exchange.build(
        str(request.get("method", "GET")),
        str(request.get("uri", "")),
        status,
        body,
        request_headers=headers,
        response_headers=_headers(response.get("headers")),
        text=text,
        elapsed=float(elapsed) if isinstance(elapsed, int | float) else 0.0,
        received_at=float(received) if isinstance(received, int | float) else 0.0,
    )


def exchanges_of(lines: Iterable[str]) -> Iterator[Exchange]:
    """Every answered interaction of every finished scenario, in the order of the stream."""
    for line in lines:
        if '"ScenarioFinished"' not in line:
            continue  # most lines are other events: skip them without parsing
        finished = json.loads(line).get("ScenarioFinished")
        if not isinstance(finished, dict):
            continue
        interactions = (finished.get("recorder") or {}).get("interactions") or {}
        for interaction in interactions.values():
            found = exchange_of(interaction)
            if found is not None:
                yield found


def read(path: Path) -> list[Exchange]:
    """The exchanges of one `events.ndjson`; none when the phase wrote no stream."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as handle:
        return list(exchanges_of(handle))
