"""clientjudge/grades.py: the exam's grades as text and as a page read as report.html is (C74)."""

from __future__ import annotations

import re

from clientjudge.grades import render_html, render_text
from tests.support.reports import HOSTILE, exam_report


def test_the_page_reads_verdict_then_not_proven_then_failures_then_lessons() -> None:
    page = render_html(exam_report(), "my-client {url}")
    order = [page.index(f'<section id="{name}"') for name in
             ("verdict", "not-proven", "failures", "lessons")]  # fmt: skip
    assert order == sorted(order)
    assert "1 lessons passed, 1 failed, 5 not taken." in page
    # The lessons not taken are what the exam did not prove, each with what it would do.
    not_proven = page[order[1] : order[2]]
    assert re.findall(r"<td><code>([a-z-]+)</code></td><td>lesson not taken", not_proven) == [
        "hiccup", "unknown-id", "slow", "growing", "new-values"
    ]  # fmt: skip
    failures = page[order[2] : order[3]]
    assert (
        "<code>exam-too-many-attempts</code>" in failures
        and "lesson <code>outage</code>" in failures
    )
    assert "<strong>Fix:</strong> give up after at most 6 attempts" in failures
    assert (
        "Requests (the first 10 of 12):" in failures
        and "#12 ?annotationRequestId=a\n" not in failures
    )
    assert "#12 ?annotationRequestId=a</pre>" in failures
    # A client's query is text on the page, never markup.
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<code>my-client {url}</code>" in page


def test_a_passed_exam_says_pass_and_has_no_failure() -> None:
    report = exam_report()
    report["lessons"] = report["lessons"][:1]
    report["failed"] = 0
    page = render_html(report)
    assert '<div class="badge">PASS</div>' in page and "<p>None.</p>" in page
    assert render_text(report).splitlines()[0] == "Exam: passed every lesson (1)"


def test_the_page_shows_the_clients_last_lines_labelled_as_the_text_relays_them() -> None:
    report = exam_report()
    report["lessons"][0]["output"] = ["read 10 pages"]
    report["lessons"][1]["output"] = ["giving up", HOSTILE]
    page = render_html(report)
    section = page[page.index('<section id="output"') :]
    assert "[walk] read 10 pages\n[outage] giving up\n[outage] &lt;script&gt;" in section
    assert HOSTILE not in page
    # A report without output (in-process runs, older JSON) says so.
    assert "None captured." in render_html(exam_report())
