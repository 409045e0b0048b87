"""The three files a person or a tool reads after a run: report.html, coverage.json,
exchanges.har.

The suite's runner and the validating proxy both call `write` with what they have: a verdict,
the exchanges of each phase (or of the session) and what the run was given. The HAR's entries
are exactly the exchanges the coverage counts, so `requests.total` equals its entry count.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance import coverage as _coverage
from conformance import har, report_html
from conformance.exchange import Exchange
from conformance.report import Verdict

REPORT_NAME = "report.html"
COVERAGE_NAME = "coverage.json"
HAR_NAME = "exchanges.har"


class ReportDirError(ValueError):
    """A report folder that cannot be written; the message names it."""


def check_writable(folder: Path) -> None:
    """Create `folder` and write a file in it, before a run, so that an unwritable one stops the
    run at once rather than after minutes of work (C58)."""
    probe = folder / ".write-test"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ReportDirError(f"{folder}: cannot write reports there ({reason})") from None
    if not os.access(folder, os.W_OK):  # pragma: no cover - the write above would have failed
        raise ReportDirError(f"{folder}: cannot write reports there")


def write(
    report_dir: Path,
    verdict: Verdict,
    phases: Mapping[str, Sequence[Exchange]],
    scope: _coverage.Scope,
    *,
    title: str = "Conformance report",
    judged: Mapping[str, int] | None = None,
    client: Mapping[str, Any] | None = None,
    as_sent: Callable[[Exchange], Exchange] | None = None,
) -> dict[str, Any]:
    """Write the three files into `report_dir`; returns the coverage (for the summary).

    `as_sent` gives the HAR its view of an exchange kept in a lighter form (a proxy's)."""
    exchanges = [exchange for found in phases.values() for exchange in found]
    rows = _coverage.coverage(phases, scope)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / COVERAGE_NAME).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    sent = [as_sent(exchange) for exchange in exchanges] if as_sent else exchanges
    (report_dir / HAR_NAME).write_text(json.dumps(har.to_har(sent)), encoding="utf-8")
    page = report_html.render(verdict, rows, exchanges, title=title, judged=judged, client=client)
    (report_dir / REPORT_NAME).write_text(page, encoding="utf-8")
    return rows
