"""clientjudge/verdict.py, findings.py, registry.py and render.py: the verdict and its forms."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from clientjudge import registry
from clientjudge.catalog import ALL_RULES
from clientjudge.exchanges import from_entry
from clientjudge.findings import Finding, Verdict
from clientjudge.registry import RULES, Offence, rule
from clientjudge.verdict import judge, render_html, render_text
from conformance.exchange import Exchange
from tests.support.journal import entry
from tests.support.servers import ROOT

# The rule names are an interface (issue 20): findings, reports and client tests carry them.
NAMES = {
    "paging-offset-as-index": "error",
    "paging-short-page-as-end": "error",
    "limit-over-max": "info",
    "paging-refetch": "warning",
    "paging-limit-changed": "error",
    "retry-not-retryable": "error",
    "retry-no-backoff": "error",
    "signing-missing": "error",
    "signing-invalid": "error",
    "signing-clock-drift": "info",
}


def test_the_rules_and_their_severities_are_the_interface() -> None:
    assert {name: RULES[name].severity for name in NAMES} == NAMES
    assert set(ALL_RULES) >= set(NAMES)
    for name in ALL_RULES:
        assert RULES[name].mistake and RULES[name].fix, name
        assert "\n" not in RULES[name].fix, f"{name}: the fix is one line"


def bad_client() -> list[Exchange]:
    """An index-reading pager that also asks over the maximum (an error and an info)."""
    pages = [
        entry(n, f"annotationRequestId=a&offset={1 + (n - 1) * 2000}&limit=2000", count=900,
              returned=900 if n == 1 else 0, limit=1000)
        for n in (1, 2, 3, 4, 5)
    ]  # fmt: skip
    return [from_entry(item) for item in pages]


def test_the_verdict_as_json() -> None:
    document = judge(bad_client()).to_json()
    assert document["requests"] == 5
    rules = [(f["rule"], f["severity"], f["requests"]) for f in document["findings"]]
    assert rules == [
        ("paging-offset-as-index", "error", [1, 2, 3, 4, 5]),
        ("limit-over-max", "info", [1, 2, 3, 4, 5]),
    ]
    first = document["findings"][0]
    assert set(first) == {"rule", "severity", "message", "fix", "see", "requests"}
    assert first["fix"] == RULES["paging-offset-as-index"].fix
    # The fix points at the section of the client page that explains it (issue 28).
    assert first["see"] == "docs/client-developers.md#offset-is-a-page-number"
    assert document["verdict"] == "FAIL"
    # Three cases quoted at most, the rest counted.
    assert "and 2 more" in document["findings"][1]["message"]
    assert document["findings"][1]["message"].count("?annotationRequestId") == 3


def test_problems_are_errors_and_warnings_not_infos() -> None:
    info = Finding("limit-over-max", "info", "m", (1,), "f")
    warning = Finding("paging-refetch", "warning", "m", (1,), "f")
    assert Verdict(1, (info,)).has_problems is False
    assert Verdict(1, (info, warning)).has_problems is True
    assert Verdict(1, (info, warning)).problems == (warning,)
    assert Verdict(0).has_problems is False


def test_the_text_names_each_rule_its_fix_and_its_first_requests() -> None:
    text = render_text(judge(bad_client()))
    lines = text.splitlines()
    assert lines[0] == "Client verdict: 5 requests; findings: 1 error, 1 info"
    assert "error   paging-offset-as-index:" in lines[1]
    assert "#2 ?annotationRequestId=a&offset=2001&limit=2000" in lines[1]
    see = "docs/client-developers.md#offset-is-a-page-number"
    assert lines[2].strip() == f"fix: {RULES['paging-offset-as-index'].fix} (see {see})"
    clean = render_text(judge([from_entry(entry(1, "annotationRequestId=a", count=1))]))
    assert clean == "Client verdict: 1 request; no finding: the client used the API correctly"


def test_no_request_is_no_pass() -> None:
    # The project's one rule of evidence (C45): a verdict over nothing is not "clean".
    verdict = judge([])
    assert verdict.word == "INCONCLUSIVE" and verdict.to_json()["verdict"] == "INCONCLUSIVE"
    assert render_text(verdict) == (
        "Client verdict: INCONCLUSIVE: judged 0 requests, at least 1 needed: "
        "no request to the operation was seen"
    )
    assert judge([from_entry(entry(1, "annotationRequestId=a", count=1))]).word == "PASS"


def test_every_rule_links_a_section_of_the_client_page_that_exists() -> None:
    text = (ROOT / "docs" / "client-developers.md").read_text(encoding="utf-8")
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in text.splitlines()
        if line.startswith("## ")
    }
    for name in ALL_RULES:
        assert RULES[name].section in headings, name


def test_the_page_is_the_same_verdict_self_contained_and_escaped() -> None:
    hostile = from_entry(entry(1, "annotationRequestId=<script>x</script>&limit=5000", count=1,
                               returned=1, limit=1000))  # fmt: skip
    page = render_html(judge([hostile]))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert re.search(r"(src|href)\s*=", page) is None, "nothing fetched"
    assert "limit-over-max" in page and RULES["limit-over-max"].fix in page
    assert page.startswith("<!doctype html>")
    assert "Client verdict: 1 request; findings: 1 info" in page


def test_the_registry_refuses_a_duplicate_a_bad_severity_and_a_rule_without_a_mistake() -> None:
    def documented(exchanges: Sequence[Exchange]) -> list[Offence]:
        """A mistake."""
        return []

    def undocumented(exchanges: Sequence[Exchange]) -> list[Offence]:
        return []

    with pytest.raises(ValueError, match="registered twice"):
        rule("paging-refetch", "warning", "fix", section="retries")(documented)
    with pytest.raises(ValueError, match="severity 'fatal'"):
        rule("new-rule", "fatal", "fix", section="retries")
    with pytest.raises(ValueError, match="section 'nowhere'"):
        rule("new-rule", "info", "fix", section="nowhere")
    with pytest.raises(ValueError, match="docstring"):
        rule("new-rule", "info", "fix", section="retries")(undocumented)
    assert "new-rule" not in registry.RULES


def test_every_rule_is_documented_for_client_developers_with_its_severity() -> None:
    text = (ROOT / "docs" / "client-developers.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (error|warning|info) \|", text, re.MULTILINE))
    assert rows == {name: RULES[name].severity for name in ALL_RULES}
