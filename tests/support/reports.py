"""A run's reports built in-process from known exchanges: a verdict with failures and checks not
run, its coverage, and the page, for the report and browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance import artifacts
from conformance.catalog import ALL_CHECKS
from conformance.coverage import Scope
from conformance.exchange import Exchange
from conformance.failures import Failure
from conformance.report import Verdict

BASE = "http://127.0.0.1:9/statistics/record"
# A body a server might send: the page must show it as text, never as markup.
HOSTILE = '<script>alert(1)</script><img src="http://127.0.0.1:9/x.png">'


def envelope(code: int, data: Any = None) -> dict[str, Any]:
    return {
        "code": code,
        "message": "",
        "data": data,
        "date": "",
        "requestId": "",
        "success": code == 2000,
    }


def exchanges() -> dict[str, list[Exchange]]:
    records = [{"id": n, "status": 1, "poolType": 0, "actionType": 0} for n in range(1, 4)]
    page = Exchange.build(
        "GET", f"{BASE}?annotationRequestId=a&offset=2&limit=2", 200,
        envelope(2000, {"count": 9, "data": records}), text='{"code":2000,"count":9}',
        request_headers={"X-SIGN": "0123456789abcdef0123456789abcdef", "X-TS": "1"},
    )  # fmt: skip
    refused = Exchange.build(
        "GET", f"{BASE}?annotationRequestId=a&offset=0", 200, envelope(4005), text=HOSTILE
    )
    return {"schemathesis": [refused], "semantic": [page]}


def verdict(found: dict[str, list[Exchange]]) -> Verdict:
    page, refused = found["semantic"][0], found["schemathesis"][0]
    failures = [
        Failure("count_stable", "count 9 on page 2, then 8 on page 1", page.curl, "semantic"),
        Failure("envelope_http_status", "code 4005 with HTTP 200", refused.curl, "schemathesis"),
    ]
    not_run = {"limit_capped": "no known request has more than 1000 records"}
    return Verdict(BASE, ALL_CHECKS, failures, not_run, 1.5)


def write(report_dir: Path, client: dict[str, Any] | None = None) -> dict[str, Any]:
    """The three files of a failing run into `report_dir`; returns the coverage."""
    found = exchanges()
    judged = {name: 3 for name in ALL_CHECKS if name != "ordering"}
    return artifacts.write(
        report_dir, verdict(found), found, Scope(("a",), ()), judged=judged, client=client
    )


def exam_report() -> dict[str, Any]:
    """An exam's grades (D72's JSON) with one failed lesson, its requests quoted, one of them
    hostile: the page must show it as text."""
    hammered = {
        "rule": "exam-too-many-attempts",
        "severity": "error",
        "message": "12 requests for one page (#3 ?annotationRequestId=a); at most 6 are allowed",
        "fix": "give up after at most 6 attempts, with growing gaps",
        "requests": list(range(3, 15)),
        "quoted": [f"#{seq} ?annotationRequestId=a{HOSTILE if seq == 3 else ''}" for seq in
                   range(3, 13)],
    }  # fmt: skip
    return {
        "lessons": [
            {
                "name": "walk",
                "passed": True,
                "exit_code": 0,
                "findings": [],
                "requests": 2,
                "note": "",
            },
            {
                "name": "outage",
                "passed": False,
                "exit_code": 1,
                "findings": [hammered],
                "requests": 12,
                "note": "",
            },
        ],
        "passed": 1,
        "failed": 1,
    }
