"""The client's side of a proxy session: what the client rules need, kept bounded.

The proxy judges the server per exchange; how the client used the API (paging, retries,
signing: `clientjudge/`) is judged over the whole session at exit. Only the newest
`max_client_exchanges` (10,000 by default) are kept, each without its body: the rules read the
request, the times and a `Summary` of the answer (code, count, records returned, limit served):
about 1.7 KB a signed request (tracemalloc, tests/test_proxy.py), some 17 MB at the bound.
`seen` counts every request, so the report says when older ones were left out (C41).
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any

from clientjudge.findings import Verdict
from clientjudge.verdict import judge, render_html, render_text
from conformance.exchange import Exchange, Summary

JSON_NAME = "client-verdict.json"
HTML_NAME = "client-verdict.html"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def summarised(exchange: Exchange, seq: int, client: str, arrived: float) -> Exchange:
    """The exchange without its body, numbered, with its client and arrival time."""
    return Exchange(
        method=exchange.method,
        url=exchange.url,
        status=exchange.status,
        query=exchange.query,
        request_headers=exchange.request_headers,
        elapsed=max(0.0, exchange.received_at - arrived),
        received_at=exchange.received_at,
        seq=seq,
        sent_at=arrived,
        client=client,
        summary=Summary(
            code=_int(exchange.answer_code),
            count=exchange.answer_count,
            returned=exchange.answer_returned,
            limit=exchange.served_limit,
        ),
    )


class ClientTraffic:
    """The newest exchanges' summaries, numbered in order of arrival."""

    def __init__(self, max_kept: int) -> None:
        self.kept: deque[Exchange] = deque(maxlen=max_kept)
        # Requests numbered on arrival; those answered and judged (a failed upstream or an
        # answer too large to judge leaves a gap in the numbers, as it leaves nothing to read).
        self.arrived = 0
        self.seen = 0

    def arrive(self) -> int:
        """The next sequence number, taken when a request arrives."""
        self.arrived += 1
        return self.arrived

    def add(self, exchange: Exchange, seq: int, client: str, arrived: float) -> None:
        self.seen += 1
        self.kept.append(summarised(exchange, seq, client, arrived))

    @property
    def dropped(self) -> int:
        return self.seen - len(self.kept)

    def verdict(self) -> Verdict:
        return judge(list(self.kept))

    def text(self, verdict: Verdict) -> str:
        lines = [render_text(verdict)]
        if self.dropped:
            lines.append(
                f"  (the client rules judged the newest {len(self.kept)} of {self.seen} "
                "requests to the operation)"
            )
        return "\n".join(lines)

    def write(self, verdict: Verdict, report_dir: Path) -> None:
        document = {**verdict.to_json(), "seen": self.seen, "dropped": self.dropped}
        (report_dir / JSON_NAME).write_text(json.dumps(document, indent=2) + "\n", "utf-8")
        (report_dir / HTML_NAME).write_text(render_html(verdict), encoding="utf-8")
