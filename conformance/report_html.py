"""`report.html`: one self-contained page of what a run proved and what it did not.

Rendered by Jinja2 from `templates/report.html.j2`, which extends the project's one page
style (`conformance/page.py`, C74), with autoescaping (a server's answer goes
into the page, so every value is escaped): the verdict first, then what was not proven and
why, the failures with their decision, curl line and response excerpt, then the coverage.
Inline CSS and SVG only; a Content-Security-Policy forbids every load from anywhere (C58).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.coverage import NOT_APPLICABLE, NOT_COVERED
from conformance.exchange import Exchange
from conformance.page import environment
from conformance.provenance import sources
from conformance.report import Verdict

EXCERPT = 600


def _excerpts(exchanges: Sequence[Exchange]) -> dict[str, str]:
    """The response body of each request, by its curl line (how a failure names its request)."""
    return {exchange.curl: exchange.text[:EXCERPT] for exchange in exchanges if exchange.text}


def _unproven(
    verdict: Verdict, coverage: Mapping[str, Any] | None, judged: Mapping[str, int] | None
) -> list[dict[str, str]]:
    rows = [
        {"name": name, "kind": "check not run", "reason": reason}
        for name, reason in verdict.not_run.items()
    ]
    failed = set(verdict.failed_checks)
    for name in verdict.checks:
        unjudged = judged is not None and not judged.get(name)
        if unjudged and name not in verdict.not_run and name not in failed:
            rows.append({"name": name, "kind": "passed with nothing to judge",
                             "reason": "no response it could judge"})  # fmt: skip
    for code, row in (coverage or {}).get("outcomes", {}).items():
        if row["remark"] in (NOT_COVERED, NOT_APPLICABLE):
            applicable = row["remark"] != NOT_APPLICABLE
            kind = "outcome never seen" + ("" if applicable else " (not applicable)")
            rows.append({"name": code, "kind": kind, "reason": row.get("reason", "")})
    return rows


def _checks(verdict: Verdict, judged: Mapping[str, int] | None) -> list[dict[str, str]]:
    failed = set(verdict.failed_checks)
    rows = []
    for name in [*verdict.checks, *[c for c in verdict.failed_checks if c not in verdict.checks]]:
        if name in failed:
            result, css = f"failed ({len(verdict.failures_of(name))})", "not-covered"
        elif name in verdict.not_run:
            result, css = f"not run: {verdict.not_run[name]}", "not-applicable"
        else:
            seen = f", judged {judged[name]} responses" if judged and name in judged else ""
            result, css = f"passed{seen}", "covered"
        rows.append({"name": name, "sources": sources(name), "result": result, "css": css})
    return rows


def render(
    verdict: Verdict,
    coverage: Mapping[str, Any] | None,
    exchanges: Sequence[Exchange] = (),
    *,
    title: str = "Conformance report",
    judged: Mapping[str, int] | None = None,
    client: Mapping[str, Any] | None = None,
) -> str:
    """The page. `judged` (responses judged per check) shows evidence when the caller has it;
    `client` is a client verdict (a proxy session's), shown as given when there is one."""
    excerpts = _excerpts(exchanges)
    failures = []
    for failure in verdict.failures:
        excerpt = excerpts.get(failure.curl, "")
        if not excerpt and "\nHTTP " in failure.message:
            excerpt = failure.message.split("\nHTTP ", 1)[1]
        failures.append({
            "check": failure.check, "sources": sources(failure.check), "phase": failure.phase,
            "message": failure.message, "curl": failure.curl, "excerpt": excerpt,
        })  # fmt: skip
    failed = set(verdict.failed_checks)
    passed = [c for c in verdict.checks if c not in verdict.not_run and c not in failed]
    return (
        environment("conformance")
        .get_template("report.html.j2")
        .render(
            title=title,
            verdict=verdict,
            passed=passed,
            unproven=_unproven(verdict, coverage, judged),
            failures=failures,
            coverage=coverage,
            client=client,
            checks=_checks(verdict, judged),
        )
    )
