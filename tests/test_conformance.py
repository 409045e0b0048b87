"""The conformance suite proves itself: each check fails against a server breaking its rule.

Every run the tests need is started at once, a few at a time (they mostly wait on Schemathesis
child processes and on HTTP), by one session fixture; the tests then read the verdicts.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.__main__ import main
from conformance.config import (
    ALL_CHECKS,
    DESCRIPTIONS,
    ENVELOPE_CHECKS,
    SCHEMATHESIS_CHECKS,
    SEMANTIC_CHECKS,
    Options,
)
from conformance.report import Verdict
from conformance.runner import run
from conformance.signing import signature, signature_headers
from tests.support.faulty_servers import FAULTS, KNOWN, UNKNOWN, serve
from tests.support.servers import ROOT, mock_server

pytestmark = pytest.mark.slow

KNOWN_IDS = tuple(KNOWN)
ST = ("schemathesis",)
SEMANTIC = ("semantic",)
BOTH = ("schemathesis", "semantic")
# Few examples: each fault below is found by the first cases Schemathesis generates.
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Run:
    """One run of the suite against the reference server with at most one fault."""

    fault: str | None
    phases: tuple[str, ...]
    excluded: frozenset[str] = frozenset()
    http_200_errors: bool = False
    known_ids: tuple[str, ...] = KNOWN_IDS
    unknown_ids: tuple[str, ...] = UNKNOWN[:1]
    name: str = field(default="", compare=False)


# Fault -> the phase that meets it and the check meant to catch it. The envelope rules run in
# both phases; each is proven on the semantic phase (a second where Schemathesis takes three),
# and the Schemathesis side of them by the "/schemathesis" runs below.
CAUGHT_BY = {
    "success_true_on_error": (SEMANTIC, "envelope_success_matches_code"),
    "data_on_error": (SEMANTIC, "envelope_data_null_on_error"),
    "bad_request_id": (SEMANTIC, "envelope_request_id"),
    "bad_date": (SEMANTIC, "envelope_date"),
    "status_mismatch": (SEMANTIC, "envelope_http_status"),
    "http_200_for_errors": (SEMANTIC, "envelope_http_status"),
    "undocumented_status": (ST, "status_code_conformance"),
    "wrong_type": (ST, "response_schema_conformance"),
    "server_error_on_bad_input": (ST, "not_a_server_error"),
    "accepts_invalid_limit": (ST, "negative_data_rejection"),
    "rejects_large_offset": (ST, "positive_data_acceptance"),
    "text_content_type": (ST, "content_type_conformance"),
    "post_accepted": (ST, "unsupported_method"),
    "options_allow_mismatch": (ST, "allow_header_conformance"),
    "missing_field": (SEMANTIC, "known_id_schema"),
    "off_by_one_page": (SEMANTIC, "pagination_no_overlap"),
    "skips_a_record": (SEMANTIC, "pagination_complete"),
    "drifting_count": (SEMANTIC, "count_stable"),
    "last_page_repeated": (SEMANTIC, "past_last_page_empty"),
    "limit_not_capped": (SEMANTIC, "limit_capped"),
    "limit_above_cap_rejected": (SEMANTIC, "limit_capped"),
    "unsorted_ids": (SEMANTIC, "ordering"),
    "random_data": (SEMANTIC, "determinism"),
    "instance_info_sum_wrong": (SEMANTIC, "instance_info_sum"),
    "enum_out_of_range": (SEMANTIC, "enum_membership"),
    "id_bytes_counted_as_characters": (SEMANTIC, "id_byte_length"),
    "id_255_bytes_rejected": (SEMANTIC, "id_byte_length"),
    "unknown_id_answers_2000": (SEMANTIC, "unknown_id_53003"),
    "only_first_id_counted": (SEMANTIC, "multiple_ids"),
    "comma_not_split": (SEMANTIC, "multiple_ids"),
}

RUNS = {
    **{fault: Run(fault, phases) for fault, (phases, _) in CAUGHT_BY.items()},
    "reference": Run(None, BOTH),
    # The envelope rules as Schemathesis checks: registered by the hooks, run on its cases.
    "success_true_on_error/schemathesis": Run("success_true_on_error", ST),
    "count stable excluded": Run(
        "drifting_count", SEMANTIC, excluded=frozenset({"count_stable", "past_last_page_empty"})
    ),
    "HTTP-200 style, told": Run("http_200_for_errors", BOTH, http_200_errors=True),
    "HTTP statuses, told HTTP-200 style": Run(None, SEMANTIC, http_200_errors=True),
    "no IDs": Run(None, SEMANTIC, known_ids=(), unknown_ids=()),
}


def _run(run_: Run, report_dir: Path) -> Verdict:
    with serve(run_.fault) as base_url:
        return run(
            Options(
                base_url=base_url,
                known_ids=run_.known_ids,
                unknown_ids=run_.unknown_ids,
                excluded=run_.excluded,
                http_200_errors=run_.http_200_errors,
                report_dir=report_dir,
                max_examples=MAX_EXAMPLES,
                phases=run_.phases,
            )
        )


def _cli(
    arguments: list[str], report_dir: Path, environment: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "--report-dir", str(report_dir), *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="session")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("conformance-reports")


@pytest.fixture(scope="session")
def pool() -> Iterator[ThreadPoolExecutor]:
    # Three at a time: on two cores, runs mostly wait on child processes and sockets.
    with ThreadPoolExecutor(max_workers=3) as executor:
        yield executor


@pytest.fixture(scope="session")
def signing_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    keys = tmp_path_factory.mktemp("keys") / "keys.json"
    keys.write_text(json.dumps({"my-key": "my-secret"}), encoding="utf-8")
    with mock_server("--signature-keys", str(keys), "--log-level", "warning") as server:
        yield server.base_url


@pytest.fixture(scope="session")
def mock_runs(pool: ThreadPoolExecutor, reports: Path, signing_mock: str) -> dict[str, Future[Any]]:
    """`python -m conformance` with no --base-url (what `make conformance` runs), both styles;
    and the Schemathesis phase, signed, against a mock that verifies signatures."""
    signed = {**os.environ, "STARDUST_ACCESS_KEY": "my-key", "STARDUST_SECRET_KEY": "my-secret"}
    return {
        "signed": pool.submit(
            _cli,
            ["--base-url", signing_mock, "--phase", "schemathesis", "--max-examples", "3"],
            reports / "signed",
            signed,
        ),
        "default": pool.submit(_cli, [], reports / "mock"),
        "http-200": pool.submit(
            _cli, ["--http-200-errors", "--max-examples", "5"], reports / "mock-http-200"
        ),
    }


@pytest.fixture(scope="session")
def verdicts(
    pool: ThreadPoolExecutor, reports: Path, mock_runs: Mapping[str, Future[Any]]
) -> dict[str, Verdict]:
    futures = {
        name: pool.submit(_run, run_, reports / name.replace("/", "-").replace(" ", "-"))
        for name, run_ in RUNS.items()
    }
    return {name: future.result() for name, future in futures.items()}


def test_every_check_has_a_fault_that_it_catches() -> None:
    proven = {check for _, check in CAUGHT_BY.values()}
    assert proven == set(ALL_CHECKS)
    assert set(CAUGHT_BY) == set(FAULTS)


def test_reference_server_passes_every_check(verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts["reference"]
    assert verdict.failures == []
    assert verdict.not_run == {}
    assert verdict.passed


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_fault_is_caught_by_the_check_meant_for_it(
    verdicts: dict[str, Verdict], fault: str
) -> None:
    verdict = verdicts[fault]
    _, check = CAUGHT_BY[fault]
    assert not verdict.passed
    assert check in verdict.failed_checks, verdict.failed_checks
    assert all(failure.curl for failure in verdict.failures_of(check))


def test_envelope_rules_run_as_schemathesis_checks(verdicts: dict[str, Verdict]) -> None:
    failures = verdicts["success_true_on_error/schemathesis"].failures_of(
        "envelope_success_matches_code"
    )
    assert failures and all(failure.phase == "schemathesis" for failure in failures)


def test_excluded_check_is_switched_off(verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts["count stable excluded"]
    assert verdict.passed, verdict.failed_checks
    assert "count_stable" in verdict.not_run and "past_last_page_empty" in verdict.not_run


def test_http_200_style_passes_when_the_suite_is_told(verdicts: dict[str, Verdict]) -> None:
    assert verdicts["HTTP-200 style, told"].passed, verdicts["HTTP-200 style, told"].failures


def test_http_200_style_expected_but_statuses_mirrored_fails(
    verdicts: dict[str, Verdict],
) -> None:
    verdict = verdicts["HTTP statuses, told HTTP-200 style"]
    assert verdict.failed_checks == ["envelope_http_status"]


def test_checks_needing_ids_are_reported_not_run_without_them(
    verdicts: dict[str, Verdict],
) -> None:
    verdict = verdicts["no IDs"]
    assert verdict.passed
    expected = set(SEMANTIC_CHECKS) - {"id_byte_length"}
    assert expected <= set(verdict.not_run)
    assert "id_byte_length" not in verdict.not_run


def test_mock_conforms(mock_runs: Mapping[str, Future[Any]]) -> None:
    result = mock_runs["default"].result()
    assert result.returncode == 0, result.stdout + result.stderr
    assert ": PASS in" in result.stdout
    assert f"{len(ALL_CHECKS)} checks passed, 0 failed, 0 not run" in result.stdout


def test_mock_in_http_200_style_conforms_when_told(mock_runs: Mapping[str, Future[Any]]) -> None:
    result = mock_runs["http-200"].result()
    assert result.returncode == 0, result.stdout + result.stderr


def test_junit_report_lists_each_check_and_its_failures(
    verdicts: dict[str, Verdict], reports: Path
) -> None:
    root = ElementTree.parse(reports / "drifting_count" / "junit.xml").getroot()
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert set(cases) == set(ALL_CHECKS)
    failure = cases["count_stable"].find("failure")
    assert failure is not None and failure.text is not None
    assert "curl" in failure.text and "count" in failure.text
    assert cases["ordering"].find("failure") is None
    assert cases["not_a_server_error"].find("skipped") is not None
    suite = root.find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) >= 1


def test_summary_curl_line_reproduces_the_failure(
    verdicts: dict[str, Verdict], reports: Path
) -> None:
    """The curl line of a drifting count, sent again, shows a count other than page 1's."""
    failure = verdicts["drifting_count"].failures_of("count_stable")[0]
    words = shlex.split(failure.curl)
    assert words[0] == "curl"
    with serve("drifting_count") as base_url:
        # The same server again, on another port: its data does not depend on the port.
        url = httpx.URL(words[-1]).copy_with(port=httpx.URL(base_url).port)
        again = httpx.get(url).json()["data"]["count"]
        first = httpx.get(url.copy_set_param("offset", "1")).json()["data"]["count"]
    assert url.path == "/statistics/record"
    assert again != first
    summary = (reports / "drifting_count" / "summary.txt").read_text(encoding="utf-8")
    assert "FAIL count_stable" in summary
    assert failure.curl in summary


def test_signature_is_the_md5_the_documentation_defines() -> None:
    # md5("1700000000000&my-secret&my-key"), computed independently with md5sum.
    assert signature("1700000000000", "my-key", "my-secret") == "ae46d4a78b307cd3e73d6c77b1e2f760"
    assert signature_headers("my-key", "my-secret", now_ms=1_700_000_000_000) == {
        "X-STARDUST-KEY": "my-key",
        "X-TS": "1700000000000",
        "X-SIGN": "ae46d4a78b307cd3e73d6c77b1e2f760",
    }


@pytest.mark.parametrize(
    ("environment", "passes"),
    [
        ({"STARDUST_ACCESS_KEY": "my-key", "STARDUST_SECRET_KEY": "my-secret"}, True),
        ({"STARDUST_ACCESS_KEY": "my-key", "STARDUST_SECRET_KEY": "wrong"}, False),
        ({}, False),
    ],
    ids=["signed", "wrong-secret", "unsigned"],
)
def test_requests_are_signed_as_a_verifying_server_expects(
    signing_mock: str, environment: dict[str, str], passes: bool, tmp_path: Path
) -> None:
    arguments = ["--base-url", signing_mock, "--phase", "semantic", "--known-id", "signed-request",
                 "--unknown-id", "does-not-exist", "--report-dir", str(tmp_path)]  # fmt: skip
    status = main(arguments, environment)
    assert (status == 0) is passes


def test_schemathesis_requests_are_signed_too(
    mock_runs: Mapping[str, Future[Any]], reports: Path
) -> None:
    """Unsigned, every answer would be a 401, which the contract documents: look at them."""
    result = mock_runs["signed"].result()
    assert result.returncode == 0, result.stdout
    statuses: set[int] = set()
    events = reports / "signed" / "schemathesis" / "events.ndjson"
    for line in events.read_text(encoding="utf-8").splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        for interaction in (finished or {}).get("recorder", {}).get("interactions", {}).values():
            if interaction.get("response"):
                statuses.add(interaction["response"]["status_code"])
    assert 200 in statuses and 401 not in statuses, statuses


def test_command_line_exits_non_zero_and_names_the_check(tmp_path: Path) -> None:
    with serve("unknown_id_answers_2000") as base_url:
        status = main(
            ["--base-url", base_url, "--phase", "semantic", "--known-id", "small,medium",
             "--unknown-id", "unknown-1", "--report-dir", str(tmp_path)],
            {},
        )  # fmt: skip
    assert status == 1
    summary = (tmp_path / "summary.txt").read_text(encoding="utf-8")
    assert "FAIL unknown_id_53003" in summary
    assert "annotationRequestId=unknown-1" in summary


def test_unknown_check_name_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--exclude-check", "no_such_check"], {})
    assert exit_info.value.code == 2
    assert "no_such_check" in capsys.readouterr().err


def test_a_mock_that_cannot_start_is_a_clear_error_naming_the_fixture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.yaml").write_text("annotationRequests: [", encoding="utf-8")
    assert main(["--fixtures", str(tmp_path), "--report-dir", str(tmp_path / "r")], {}) == 2
    error = capsys.readouterr().err
    assert "conformance: error: the mock did not start" in error
    assert f"{tmp_path / 'broken.yaml'}: cannot be read" in error


def test_known_ids_come_from_options_and_files(tmp_path: Path) -> None:
    from conformance.__main__ import build_parser, options_from_arguments

    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("from-file\n\n# a comment\nsmall\n", encoding="utf-8")
    arguments = build_parser().parse_args(
        ["--base-url", "http://127.0.0.1:1/", "--known-id", "small,medium", "--known-id", "big",
         "--known-ids-file", str(ids_file), "--unknown-id", "x"]
    )  # fmt: skip
    options = options_from_arguments(arguments, {})
    assert options.known_ids == ("small", "medium", "big", "from-file")
    assert options.unknown_ids == ("x",)
    assert options.base_url == "http://127.0.0.1:1"
    assert not options.signing


def test_check_names_are_unique_and_grouped() -> None:
    assert len(set(ALL_CHECKS)) == len(ALL_CHECKS)
    assert set(DESCRIPTIONS) == set(ALL_CHECKS)
    assert set(ALL_CHECKS) == set(SCHEMATHESIS_CHECKS) | set(ENVELOPE_CHECKS) | set(SEMANTIC_CHECKS)


def test_excluded_schemathesis_and_envelope_checks_are_not_registered(tmp_path: Path) -> None:
    from conformance import schemathesis_phase

    excluded = frozenset({"not_a_server_error", "envelope_date"})
    options = Options(base_url="http://127.0.0.1:1", excluded=excluded)
    command = schemathesis_phase.command(options, tmp_path)
    checks = command[command.index("--checks") + 1].split(",")
    assert "not_a_server_error" not in checks and "status_code_conformance" in checks
    environment = schemathesis_phase.environment(options)
    assert "envelope_date" not in environment["CONFORMANCE_ENVELOPE_CHECKS"].split(",")
    assert "envelope_request_id" in environment["CONFORMANCE_ENVELOPE_CHECKS"].split(",")
