"""`reports/bench.json`: every figure `make bench` measured, for the charts and for tools.

Each bench module records its own section (a list of plain rows with the time it was
measured); `bench/charts.py` draws whatever sections and rows it finds, so a new row or
server of the bench appears in the charts without a change there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.launch import ROOT

RESULTS = ROOT / "reports" / "bench.json"
# The servers a scenario's row (`bench.runner.Row`) may hold figures of, by attribute name.
SERVERS = ("mock", "ceiling", "starlette")


def record(section: str, rows: Sequence[Mapping[str, Any]], path: Path = RESULTS) -> None:
    """Replace `section` of the results file with `rows`, keeping the other sections."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        results = {}
    sections = results.setdefault("sections", {})
    sections[section] = {"when": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "rows": list(rows)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def query_of(path: str) -> dict[str, Any]:
    """The page size, offset and number of IDs a request path asks for."""
    query = dict(parse_qsl(urlsplit(path).query))
    ids = query.get("annotationRequestId", "")
    return {
        "limit": int(query.get("limit", "10")),
        "offset": int(query.get("offset", "1")) if query.get("offset", "1").isdigit() else None,
        "ids": len(ids.split(",")) if ids else 0,
    }


def figures_row(server: str, scenario: str, path: str, figures: Any) -> dict[str, Any]:
    """One load run (`bench.loadgen.Figures`) as a plain row."""
    return {
        "server": server,
        "scenario": scenario,
        **query_of(path),
        "requests_per_second": figures.requests_per_second,
        "p50_ms": figures.p50_ms,
        "p99_ms": figures.p99_ms,
    }


def throughput_rows(rows: Sequence[Any], prism: Any = None) -> list[dict[str, Any]]:
    """The scenarios' rows (`bench.runner.Row`): the mock's and the ceiling's, and Prism's."""
    found = []
    for row in rows:
        scenario = row.scenario
        # Every server a row measured; `starlette` (a second ceiling) where the bench has it.
        for name in SERVERS:
            figures = getattr(row, name, None)
            if figures is not None:
                found.append(figures_row(name, scenario.name, scenario.first_path(), figures))
    if prism is not None:
        page10 = next((row.scenario for row in rows if row.scenario.name == "page10"), None)
        if page10 is not None:
            found.append(figures_row("Prism", page10.name, page10.first_path(), prism))
    return found
