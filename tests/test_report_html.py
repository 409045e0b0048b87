"""report.html: the verdict first, then what was not proven, the failures, then the coverage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.artifacts import REPORT_NAME
from tests.support import reports


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("report")
    reports.write(folder, client={"verdict": "FAIL", "rules": [{"rule": "R1", "result": "broken"}]})
    return (folder / REPORT_NAME).read_text(encoding="utf-8")


def test_sections_come_in_the_promised_order(page: str) -> None:
    order = [
        "verdict",
        "not-proven",
        "failures",
        "client-verdict",
        "coverage",
        "outcomes",
        "checks",
    ]
    positions = [page.index(f'id="{name}"') for name in order]
    assert positions == sorted(positions)
    assert re.search(r'<div class="badge">FAIL</div>', page)


def test_not_proven_rows_name_each_gap_and_why(page: str) -> None:
    section = page[page.index('id="not-proven"') : page.index('id="failures"')]
    assert "<code>limit_capped</code></td><td>check not run</td>" in section
    assert "no known request has more than 1000 records" in section
    # `ordering` passed with no response judged: not proof of anything.
    assert "<code>ordering</code></td><td>passed with nothing to judge</td>" in section
    assert "<code>53003</code></td><td>outcome never seen</td>" in section
    assert "<code>401</code></td><td>outcome never seen (not applicable)</td>" in section
    assert "signing not configured" in section


def test_each_failure_shows_check_decision_curl_and_response(page: str) -> None:
    section = page[page.index('id="failures"') : page.index('id="client-verdict"')]
    assert "<code>count_stable</code> <span" in section and "(D11; semantic phase)" in section
    assert "(D13; schemathesis phase)" in section
    assert "curl -sS -i -H &#39;X-SIGN: 0123456789abcdef" in section
    assert "{&#34;code&#34;:2000,&#34;count&#34;:9}" in section


def test_a_servers_answer_is_escaped_not_rendered(page: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page


def test_nothing_is_loaded_from_anywhere(page: str) -> None:
    """Static half of the offline promise (the browser test checks what Chromium does)."""
    assert """<meta http-equiv="Content-Security-Policy" content="default-src 'none';""" in page
    for loader in ("<script", "<link", "<img", "<iframe", "<object", "@import", "url("):
        assert loader not in page, loader
    # Any tag with a source or a link (escaped text, `&lt;img src=`, is no tag).
    assert not re.findall(r"<[a-zA-Z][^>]*\s(?:src|href|action|data)\s*=", page)


def test_coverage_shows_the_figure_and_the_outcome_rows(page: str) -> None:
    section = page[page.index('id="coverage"') :]
    assert "<svg" in section and 'aria-label="coverage: best' in section
    assert "<td>4005</td><td>200</td><td>1</td>" in section
    assert "<td>2000</td><td>200</td><td>1</td>" in section


def test_the_client_verdict_appears_when_given(page: str) -> None:
    section = page[page.index('id="client-verdict"') : page.index('id="coverage"')]
    assert "<b>rule</b>: R1" in section and "FAIL" in section


def test_no_client_section_without_a_client_verdict(tmp_path: Path) -> None:
    reports.write(tmp_path)
    assert 'id="client-verdict"' not in (tmp_path / REPORT_NAME).read_text(encoding="utf-8")
