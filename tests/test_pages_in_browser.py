"""The report, exam, client verdict, bench and soak pages in a real browser (headless
Chromium), opened from disk: each renders, logs no console error and makes no network request.

One Chromium serves every page (tests/support/browser.py, DevTools over a pipe). Where no
Chromium is installed, the tests skip and say so; CI installs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bench.charts import render as bench_page
from clientjudge.exchanges import from_entry
from clientjudge.grades import render_html as exam_page
from clientjudge.verdict import judge
from clientjudge.verdict import render_html as verdict_page
from soak.charts import render as soak_page
from tests.support import reports
from tests.support.browser import Page, browser, find
from tests.support.charts import BENCH, SOAK
from tests.support.journal import entry
from tests.support.required import missing

pytestmark = pytest.mark.slow
CHROMIUM = find()
# CI installs it (.ci/run) and requires it; a machine without it skips these tests and says
# what to install (tests/support/required.py).
NO_CHROMIUM = (
    "no Chromium found (/usr/bin/chromium, chromium, google-chrome): "
    "apt-get install chromium to run the browser tests"
)


@pytest.fixture
def needs_chromium_here() -> None:
    if CHROMIUM is None:
        missing(NO_CHROMIUM)


needs_chromium = pytest.mark.usefixtures("needs_chromium_here")
# Read from the rendered DOM: the sections, and each picture's size as laid out.
READ = """JSON.stringify({
  sections: [...document.querySelectorAll('section')].map(s => s.id),
  pictures: [...document.querySelectorAll('svg')]
    .map(s => Math.round(s.getBoundingClientRect().width)),
  badge: (document.querySelector('#verdict .badge') || {}).textContent || null,
  box: (el => el && [getComputedStyle(el).backgroundColor, getComputedStyle(el).borderRadius,
                     getComputedStyle(el.querySelector('.badge')).fontSize].join(' '))(
    document.querySelector('#verdict')),
  text: document.body.innerText.length,
})"""
# A page that breaks both promises: the harness must see it do so.
BROKEN = """<!doctype html><html><body><p>broken</p>
<img src="http://127.0.0.1:9/nothing.png"><script>console.error("boom")</script></body></html>"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Page]]:
    if CHROMIUM is None:
        missing(NO_CHROMIUM)
    folder = tmp_path_factory.mktemp("pages")
    reports.write(folder)
    (folder / "bench.html").write_text(bench_page(BENCH), encoding="utf-8")
    (folder / "soak.html").write_text(soak_page(SOAK), encoding="utf-8")
    (folder / "broken.html").write_text(BROKEN, encoding="utf-8")
    (folder / "exam.html").write_text(exam_page(reports.exam_report(), "my-client {url}"))
    jump = [
        entry(1, "annotationRequestId=a&offset=1&limit=10", count=99, returned=10, limit=10),
        entry(2, "annotationRequestId=a&offset=11&limit=10", count=99, returned=10, limit=10),
    ]
    (folder / "verdict.html").write_text(verdict_page(judge([from_entry(e) for e in jump])))
    with browser(CHROMIUM) as chromium:
        yield {
            name: chromium.open(folder / f"{name}.html", READ)
            for name in ("report", "exam", "verdict", "bench", "soak", "broken")
        }


def _dom(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(page.dom)
    return found


@needs_chromium
@pytest.mark.parametrize("name", ["report", "exam", "verdict", "bench", "soak"])
def test_the_page_makes_no_request_and_logs_no_error(pages: dict[str, Page], name: str) -> None:
    page = pages[name]
    assert page.requests == [page.url]  # the page itself, from disk, and nothing else
    assert page.errors == []


@needs_chromium
def test_the_report_renders_its_sections_and_picture(pages: dict[str, Page]) -> None:
    dom = _dom(pages["report"])
    assert dom["badge"] == "FAIL"
    assert dom["sections"] == ["verdict", "not-proven", "failures", "coverage", "checks"]
    assert dom["pictures"] and min(dom["pictures"]) > 100
    assert dom["text"] > 2000


@needs_chromium
def test_the_exam_and_verdict_pages_read_as_the_report_does(pages: dict[str, Page]) -> None:
    # One look, one order (C74): the verdict, what was not proven, the failures; then the
    # exam's lessons as the report's checks come last, then the client's output.
    exam, verdict = _dom(pages["exam"]), _dom(pages["verdict"])
    assert exam["badge"] == "FAIL" and verdict["badge"] == "FAIL"
    assert exam["sections"] == ["verdict", "not-proven", "failures", "lessons", "output"]
    assert verdict["sections"] == ["verdict", "not-proven", "failures"]
    # The same stylesheet as the report: its verdict box is laid out the same.
    assert exam["box"] == verdict["box"] == _dom(pages["report"])["box"]


@needs_chromium
def test_bench_and_soak_pages_render_their_charts(pages: dict[str, Page]) -> None:
    bench, soak = _dom(pages["bench"]), _dom(pages["soak"])
    assert bench["sections"] == ["throughput", "latency-by-offset", "proxy"]
    assert len(bench["pictures"]) == 2 and min(bench["pictures"]) > 300  # no proxy section
    assert soak["sections"] == ["memory", "throughput", "latency", "errors"]
    assert len(soak["pictures"]) == 4 and min(soak["pictures"]) > 300


@needs_chromium
def test_the_harness_sees_a_request_and_a_console_error(pages: dict[str, Page]) -> None:
    """Proof that the checks above can fail: a page breaking both promises is caught."""
    broken = pages["broken"]
    assert "http://127.0.0.1:9/nothing.png" in broken.requests
    assert any("boom" in error for error in broken.errors)
