"""No PASS without evidence (C45): the rule itself, and the conformance run's verdict under it.

The proxy's side of the rule is tested in tests/test_proxy.py (an upstream that refuses
connections); here the pure rule, the report's rendering of it and a run that judged nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from conformance.__main__ import main as conformance_main
from conformance.catalog import ALL_CHECKS
from conformance.config import Options
from conformance.evidence import (
    FAIL,
    INCONCLUSIVE,
    PASS,
    Evidence,
    exit_status,
    verdict_word,
)
from conformance.failures import Failure
from conformance.report import Verdict, junit, summary
from conformance.runner import run
from tests.support.faulty_servers import serve


def test_a_run_that_judged_less_than_its_minimum_is_inconclusive_and_says_why() -> None:
    short = Evidence(2, 3, "exchanges", "upstream unreachable: 31 of 33 requests answered 502")
    assert verdict_word(False, short) == INCONCLUSIVE
    assert short.shortfall() == (
        "judged 2 exchanges, at least 3 needed: upstream unreachable: 31 of 33 requests "
        "answered 502"
    )
    assert verdict_word(False, Evidence(3, 3)) == PASS
    assert Evidence(3, 3).shortfall() is None
    # A failure is evidence: however little was judged, a run that found one FAILs.
    assert verdict_word(True, Evidence(0, 1)) == FAIL
    assert [exit_status(word) for word in (PASS, FAIL, INCONCLUSIVE)] == [0, 1, 2]


def test_a_minimum_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1, not 0"):
        Evidence(0, 0)


def test_a_verdict_with_no_check_run_is_inconclusive_in_the_summary_and_junit() -> None:
    verdict = Verdict(
        "http://x", ("a", "b"), [], {"a": "excluded (--exclude-check)", "b": "no IDs"}, 0.1
    )
    assert verdict.word == INCONCLUSIVE and not verdict.passed
    text = summary(verdict)
    assert "http://x to openapi.yaml: INCONCLUSIVE in 0.1s" in text
    assert "INCONCLUSIVE judged 0 checks, at least 1 needed: no check ran" in text
    root = junit(verdict).getroot()
    suite = root.find("testsuite")
    assert suite is not None and suite.get("errors") == "1" and suite.get("tests") == "3"
    error = root.find(".//testcase[@name='evidence']/error")
    assert error is not None and "no check ran (excluded (--exclude-check); no IDs)" in str(
        error.get("message")
    )


def test_one_check_run_is_enough_for_the_runs_verdict_and_a_failure_fails() -> None:
    ran = Verdict("http://x", ("a", "b"), [], {"b": "no IDs"}, 0.1)
    assert ran.word == PASS
    assert "INCONCLUSIVE" not in summary(ran)
    failed = Verdict("http://x", ("a",), [Failure("a", "bad", "curl", "semantic")], {"a": ""}, 0)
    assert failed.word == FAIL


def test_a_conformance_run_that_judged_nothing_is_inconclusive_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve() as base_url:
        options = Options(base_url, phases=("semantic",), excluded=frozenset(ALL_CHECKS),
                          report_dir=tmp_path)  # fmt: skip
        verdict = run(options)
        assert verdict.word == INCONCLUSIVE
        excluded = [f"--exclude-check={name}" for name in ALL_CHECKS]
        status = conformance_main(
            ["--base-url", base_url, "--phase", "semantic", "--report-dir", str(tmp_path),
             *excluded], environment={},
        )  # fmt: skip
    assert status == 2
    out = capsys.readouterr().out
    assert "INCONCLUSIVE in" in out and "no check ran (excluded (--exclude-check))" in out
    root = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert root.find(".//testcase[@name='evidence']/error") is not None
