"""conformance/page.py: one look for every page the project writes (C74)."""

from __future__ import annotations

import re

from clientjudge.exchanges import from_entry
from clientjudge.grades import render_html as exam_page
from clientjudge.verdict import judge
from clientjudge.verdict import render_html as verdict_page
from conformance import report_html
from tests.support import reports
from tests.support.journal import entry

STYLE = re.compile(r"<style>.*?</style>", re.DOTALL)
POLICY = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')


def found(pattern: re.Pattern[str], page: str) -> str:
    match = pattern.search(page)
    assert match is not None, pattern.pattern
    return match.group(0)


def test_the_report_the_exam_and_the_verdict_share_one_stylesheet_and_policy() -> None:
    exchanges = reports.exchanges()
    report = report_html.render(reports.verdict(exchanges), None, exchanges["semantic"])
    exam = exam_page(reports.exam_report())
    # Offset stepped by the limit: one error, so the client's verdict fails too.
    jump = [
        entry(seq, f"annotationRequestId=a&offset={offset}&limit=10", count=99, returned=10)
        for seq, offset in ((1, 1), (2, 11))
    ]
    verdict = verdict_page(judge([from_entry(e) for e in jump]))
    pages = (report, exam, verdict)
    styles = {found(STYLE, page) for page in pages}
    assert len(styles) == 1 and ".verdict.fail" in styles.pop()
    policies = {found(POLICY, page) for page in pages}
    assert len(policies) == 1 and "default-src 'none'" in policies.pop()
    for page in pages:
        assert '<section id="verdict" class="verdict fail">' in page
        assert '<section id="not-proven">' in page and '<section id="failures">' in page
