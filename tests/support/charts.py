"""Small synthetic results for the chart pages: no real bench or soak run in the tests."""

from __future__ import annotations

from typing import Any


def _row(server: str, limit: int, rate: float, offset: int | None = None) -> dict[str, Any]:
    return {"server": server, "scenario": f"page{limit}", "limit": limit, "offset": offset,
            "ids": 1, "requests_per_second": rate, "p50_ms": 1.0, "p99_ms": 2.0}  # fmt: skip


BENCH = {
    "sections": {
        "throughput": {
            "when": "2026-12-06 03:00 UTC",
            "rows": [
                # A deep page, first: not a first page, so not in the page-size chart (were it
                # taken, it would be the mock's figure at 10 records: the first row wins).
                _row("mock", 10, 1234.5, offset=100001),
                _row("mock", 10, 3100.0),
                _row("ceiling", 10, 5200.0),
                _row("mock", 1000, 410.0),
                _row("ceiling", 1000, 930.0),
                _row("Prism", 10, 777.0),
                # A row a later bench adds (another server): drawn without a change to charts.
                _row("bare ASGI", 10, 6400.0),
            ],
        },
        "latency_by_offset": {
            "when": "2026-12-06 03:01 UTC",
            "rows": [
                {
                    "mode": mode,
                    "limit": 10,
                    "offset": offset,
                    "p50_ms": p50,
                    "p99_ms": p50 * 2,
                    "mean_ms": p50,
                }
                for mode, base in (("warm", 0.4), ("cold", 0.9))
                for offset, p50 in ((1, base), (1000, base * 1.01), (240000, base * 1.02))
            ],
        },
    }
}

SOAK = {
    "date": "2026-12-06 03:00:00 UTC",
    "duration_s": 3.0,
    "clients": 4,
    "requests": 1500,
    "passed": False,
    "problems": ["3 valid requests did not answer 200/2000"],
    "series": [
        {
            "t_s": 1.0,
            "rss_kib": 70_000,
            "requests_per_s": 480.0,
            "p50_ms": 5.0,
            "p99_ms": 20.0,
            "errors": 0,
        },
        {
            "t_s": 2.0,
            "rss_kib": 71_024,
            "requests_per_s": 510.0,
            "p50_ms": 5.5,
            "p99_ms": 22.0,
            "errors": 3,
        },
        {
            "t_s": 3.0,
            "rss_kib": 71_100,
            "requests_per_s": 505.0,
            "p50_ms": 5.2,
            "p99_ms": 21.0,
            "errors": 0,
        },
    ],
}
