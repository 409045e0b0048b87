"""A verdict as a person reads it: a few lines of text, or a page (Jinja2, package data).

The page is self-contained: inline CSS, no script, nothing fetched, so it opens from a CI
artifact or the mock's `/__mock/verdict?format=html` alike. It has the look of every page of
the project (`conformance/page.py`, C74).
"""

from __future__ import annotations

from collections import Counter

from clientjudge.findings import SEVERITIES, Verdict
from conformance.page import environment

TEMPLATE = "verdict.html.j2"


def _tally(verdict: Verdict) -> str:
    counts = Counter(finding.severity for finding in verdict.findings)
    parts = [f"{counts[s]} {s}{'s' if counts[s] > 1 else ''}" for s in SEVERITIES if counts[s]]
    return ", ".join(parts)


def headline(verdict: Verdict) -> str:
    shortfall = verdict.evidence.shortfall()
    if shortfall is not None:
        return f"Client verdict: INCONCLUSIVE: {shortfall}"
    seen = f"{verdict.requests} request{'s' if verdict.requests != 1 else ''}"
    if not verdict.findings:
        return f"Client verdict: {seen}; no finding: the client used the API correctly"
    return f"Client verdict: {seen}; findings: {_tally(verdict)}"


def render_text(verdict: Verdict) -> str:
    """Requests seen, then each finding: severity, rule, what happened, and its fix."""
    lines = [headline(verdict)]
    for finding in verdict.findings:
        lines.append(f"  {finding.severity:7} {finding.rule}: {finding.message}")
        lines.append(f"          fix: {finding.fix} (see {finding.see})")
    return "\n".join(lines)


def render_html(verdict: Verdict) -> str:
    """The same verdict as a page: a headline, then one block per finding."""
    template = environment("clientjudge").get_template(TEMPLATE)
    return template.render(headline=headline(verdict), verdict=verdict)
