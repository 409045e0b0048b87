"""The conformance suite proves itself: each check fails against a server breaking its rule.

Every run the tests need is started at once, a few at a time (they mostly wait on Schemathesis
child processes and on HTTP), by one session fixture; the tests then read the verdicts.
"""

from __future__ import annotations

import html
import json
import re
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
from markupsafe import escape

from conformance.__main__ import main
from conformance.catalog import ALL_CHECKS, ENVELOPE_CHECKS, SCHEMATHESIS_CHECKS, SEMANTIC_CHECKS
from conformance.config import Options
from conformance.local_mock import DEFAULT_FIXTURES, fixture_ids
from conformance.registry import REGISTRY
from conformance.report import Verdict
from conformance.runner import run
from conformance.signing import signature, signature_headers
from mockserver.app import create_app
from mockserver.config import Settings
from tests.support.faulty_servers import FAULTS, KNOWN, UNKNOWN, serve, serve_app
from tests.support.servers import ROOT

pytestmark = pytest.mark.slow

KNOWN_IDS = tuple(KNOWN)
# Two small requests keep a run to a second or two; `big` (over the 1000 cap) only where the
# cap is the point, or every check must run.
FEW_IDS = ("small", "medium")
CAP_FAULTS = ("limit_not_capped", "limit_above_cap_rejected", "cap_after_offset")
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
    strict: bool = False
    name: str = field(default="", compare=False)


# Fault -> the phase that meets it and the EXACT set of checks that must fail: a check that
# starts failing for the wrong reason, or a fault that starts failing several, is seen. The
# envelope rules run in both phases; each is proven on the semantic phase (seconds, where a
# Schemathesis run takes ten), and inside Schemathesis by tests/test_conformance_judgements.py
# and the "/schemathesis" run below.
EXPECTED = {
    "success_true_on_error": (SEMANTIC, {"envelope_success_matches_code"}),
    "data_on_error": (SEMANTIC, {"envelope_data_null_on_error"}),
    "bad_request_id": (SEMANTIC, {"envelope_request_id"}),
    "bad_date": (SEMANTIC, {"envelope_date"}),
    "status_mismatch": (SEMANTIC, {"envelope_http_status"}),
    "http_200_for_errors": (SEMANTIC, {"envelope_http_status"}),
    "undocumented_status": (ST, {"status_code_conformance", "envelope_http_status"}),
    "wrong_type": (ST, {"response_schema_conformance"}),
    "server_error_on_bad_input": (ST, {"not_a_server_error"}),
    "accepts_invalid_limit": (SEMANTIC, {"invalid_offset_limit_rejected"}),
    # Against a server that knows only some IDs, Schemathesis's invalid cases mostly carry an
    # unknown ID and get 53003 whatever the limit: they prove their check on a fault that
    # answers before the ID is looked up (invalid_offset_limit_rejected covers the rest).
    "limit_zero_empty_page": (ST, {"negative_data_rejection"}),
    "rejects_large_offset": (ST, {"positive_data_acceptance"}),
    "text_content_type": (ST, {"content_type_conformance"}),
    "post_accepted": (SEMANTIC, {"other_methods_refused"}),
    "allow_without_get": (SEMANTIC, {"other_methods_refused"}),
    "missing_field": (SEMANTIC, {"known_id_schema"}),
    "off_by_one_page": (SEMANTIC, {"pagination_no_overlap"}),
    "skips_a_record": (SEMANTIC, {"pagination_complete"}),
    "zero_based_offset": (SEMANTIC, {"pagination_complete"}),
    "drifting_count": (SEMANTIC, {"count_stable"}),
    "per_page_count": (SEMANTIC, {"count_stable"}),
    "last_page_repeated": (SEMANTIC, {"past_last_page_empty"}),
    "limit_not_capped": (SEMANTIC, {"limit_capped"}),
    "limit_above_cap_rejected": (SEMANTIC, {"limit_capped"}),
    "unsorted_ids": (SEMANTIC, {"ordering"}),
    "concatenated_ids": (SEMANTIC, {"multiple_ids_ordering"}),
    "random_data": (SEMANTIC, {"determinism"}),
    "instance_info_sum_wrong": (SEMANTIC, {"instance_info_sum"}),
    "enum_out_of_range": (SEMANTIC, {"enum_membership"}),
    "id_bytes_counted_as_characters": (SEMANTIC, {"id_byte_length"}),
    "id_255_bytes_rejected": (SEMANTIC, {"id_byte_length"}),
    # Dropping unknown IDs also answers `a, a` (the unknown ` a`) with `a`'s page alone, as
    # a server trimming list items would: duplicate_ids_once cannot tell the two apart.
    "unknown_id_answers_2000": (SEMANTIC, {"unknown_id_53003", "duplicate_ids_once"}),
    "only_first_id_counted": (SEMANTIC, {"multiple_ids"}),
    # Not splitting on commas breaks the comma form of several IDs and of a duplicated one,
    # and takes `a,` for one unknown ID (53003) where D8 and D58 refuse an empty ID (4005).
    "comma_not_split": (SEMANTIC, {"multiple_ids", "duplicate_ids_once", "id_byte_length"}),
    "duplicates_counted_twice": (SEMANTIC, {"duplicate_ids_once"}),
    "repeated_takes_last": (SEMANTIC, {"repeated_offset_limit_rejected"}),
    "distinct_ids_counted": (SEMANTIC, {"too_many_ids_rejected"}),
    "control_characters_accepted": (SEMANTIC, {"id_characters_rejected"}),
    "bad_encoding_replaced": (SEMANTIC, {"bad_encoding_rejected"}),
    "rejects_unknown_parameter": (SEMANTIC, {"unknown_parameters_ignored"}),
    "date_in_local_zone": (SEMANTIC, {"clock_and_zone"}),
    # Other stacks' defaults against D56-D58 (the boundary table of docs/conformance.md).
    "integers_like_javascript_number": (SEMANTIC, {"invalid_offset_limit_rejected"}),
    "integers_like_dotnet": (SEMANTIC, {"invalid_offset_limit_rejected"}),
    "integers_like_go": (SEMANTIC, {"invalid_offset_limit_rejected"}),
    "integers_like_java": (SEMANTIC, {"invalid_offset_limit_rejected"}),
    "repeated_equal_values_taken": (SEMANTIC, {"repeated_offset_limit_rejected"}),
    "names_like_qs": (SEMANTIC, {"unknown_parameters_ignored"}),
    "names_case_insensitive": (SEMANTIC, {"unknown_parameters_ignored"}),
    "ids_in_request_order": (SEMANTIC, {"multiple_ids_ordering"}),
    "cap_after_offset": (SEMANTIC, {"limit_capped"}),
    "empty_ids_dropped": (SEMANTIC, {"id_byte_length"}),
    "limit_per_id": (SEMANTIC, {"multiple_ids_ordering"}),
    "list_items_trimmed": (SEMANTIC, {"duplicate_ids_once"}),
    "semicolon_separates": (SEMANTIC, {"duplicate_ids_once"}),
}
# Implementations the contract allows: the whole suite must pass them, every check run.
ALLOWED = {
    "other_methods_404_or_501": BOTH,
    "transient_5000": BOTH,
    "percent_2c_is_data": SEMANTIC,
    "grows": SEMANTIC,
}


def _known_ids_for(fault: str) -> tuple[str, ...]:
    if fault in CAP_FAULTS:
        return KNOWN_IDS
    if fault == "ids_in_request_order":
        # Named against their id order: named in id order, the fault's pages look right.
        return FEW_IDS[::-1]
    return FEW_IDS


RUNS = {
    **{
        fault: Run(fault, phases, known_ids=_known_ids_for(fault))
        for fault, (phases, _) in EXPECTED.items()
    },
    **{fault: Run(fault, phases) for fault, phases in ALLOWED.items()},
    "reference": Run(None, BOTH),
    # The envelope rules as Schemathesis checks: registered by the hooks, run on its cases.
    "success_true_on_error/schemathesis": Run("success_true_on_error", ST),
    "count stable excluded": Run("drifting_count", SEMANTIC, excluded=frozenset({"count_stable"})),
    "HTTP-200 style, told": Run("http_200_for_errors", BOTH, http_200_errors=True),
    "HTTP statuses, told HTTP-200 style": Run(
        None, SEMANTIC, http_200_errors=True, known_ids=FEW_IDS
    ),
    "no IDs": Run(None, SEMANTIC, known_ids=(), unknown_ids=()),
    "no IDs, strict": Run(None, SEMANTIC, known_ids=(), unknown_ids=(), strict=True),
    "no request over 1000": Run(None, SEMANTIC, known_ids=FEW_IDS),
    "known ID unknown to the server": Run(None, SEMANTIC, known_ids=("unknown-2",)),
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
                strict=run_.strict,
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
    # Four at a time: on two cores, runs mostly wait on child processes, sockets and the
    # back-off before a 5000 is tried again (C46).
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


@pytest.fixture(scope="session")
def signing_mock() -> Iterator[str]:
    """The mock verifying signatures, in a thread: the process is `default`'s concern below."""
    settings = Settings(signature_keys={"my-key": "my-secret"}, log_level="warning")
    with serve_app(create_app(settings), "signing mock") as base_url:
        yield base_url


def _mock_run(settings: Settings, report_dir: Path, **options: Any) -> Verdict:
    """The suite against the mock with `settings`, served in a thread of this process."""
    with serve_app(create_app(settings), "mock") as base_url:
        return run(Options(base_url=base_url, report_dir=report_dir, **options))


@pytest.fixture(scope="session")
def mock_runs(pool: ThreadPoolExecutor, reports: Path, signing_mock: str) -> dict[str, Future[Any]]:
    """`python -m conformance` with no --base-url (what `make conformance` runs: a process that
    starts the mock's process); the mock in the HTTP-200 style, told; and the Schemathesis
    phase, signed, against a mock that verifies signatures."""
    known, unknown = fixture_ids(DEFAULT_FIXTURES)
    return {
        "signed": pool.submit(
            run,
            Options(
                base_url=signing_mock,
                access_key="my-key",
                secret_key="my-secret",
                phases=ST,
                max_examples=3,
                report_dir=reports / "signed",
            ),
        ),
        "default": pool.submit(_cli, [], reports / "mock"),
        "http-200": pool.submit(
            _mock_run,
            Settings(http_200_errors=True),
            reports / "mock-http-200",
            known_ids=known,
            unknown_ids=unknown,
            http_200_errors=True,
            max_examples=5,
        ),
    }


def _heavy(name: str) -> bool:
    """A fault's proof with a Schemathesis phase: a child process of about 1.3 s of CPU. Those
    go to the heavy tier (CI, `make test-heavy`): the semantic proofs alone fill much of
    `make test`'s minute."""
    return RUNS[name].phases != SEMANTIC


def _proof(name: str) -> Any:
    return pytest.param(name, marks=pytest.mark.heavy) if _heavy(name) else name


# Runs of a Schemathesis phase that only a heavy test reads, by that test's name.
HEAVY_NAMED = {
    "test_envelope_rules_run_as_schemathesis_checks": "success_true_on_error/schemathesis",
    "test_http_200_style_passes_when_the_suite_is_told": "HTTP-200 style, told",
}
# Runs the module's unparametrized tests read by name; the parametrized ones add their own.
READ_BY_NAME = {"transient_5000", "grows", "per_page_count", "zero_based_offset"}
NAMED_RUNS = (
    frozenset(RUNS) - set(EXPECTED) - set(ALLOWED) - set(HEAVY_NAMED.values())
    | READ_BY_NAME
    | {"only_first_id_counted"}
)


@pytest.fixture(scope="session")
def verdicts(
    pool: ThreadPoolExecutor,
    reports: Path,
    mock_runs: Mapping[str, Future[Any]],
    request: pytest.FixtureRequest,
) -> dict[str, Verdict]:
    # Only the runs some selected test reads: `make test` leaves the heavy proofs out, and a
    # test reading a run not made fails on the missing key, never passes on nothing.
    ours = [item for item in request.session.items if item.path.name == "test_conformance.py"]
    chosen = {
        item.callspec.params[key]
        for item in ours
        if hasattr(item, "callspec")
        for key in ("fault", "variant")
        if key in item.callspec.params
    } | {HEAVY_NAMED[item.name] for item in ours if item.name in HEAVY_NAMED}
    wanted = {name: RUNS[name] for name in RUNS if name in chosen | NAMED_RUNS}
    futures = {
        name: pool.submit(_run, run_, reports / name.replace("/", "-").replace(" ", "-"))
        for name, run_ in wanted.items()
    }
    return {name: future.result() for name, future in futures.items()}


def test_every_registered_check_is_proven_by_a_fault() -> None:
    """A check added to the registry without a fault that it alone catches fails here."""
    proven = {check for _, checks in EXPECTED.values() for check in checks}
    unproven = set(REGISTRY) - proven
    assert not unproven, f"checks without a proving faulty implementation: {sorted(unproven)}"
    assert set(EXPECTED) | set(ALLOWED) == set(FAULTS)


def test_reference_server_passes_every_check(verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts["reference"]
    assert verdict.failures == []
    assert verdict.not_run == {}
    assert verdict.passed


@pytest.mark.parametrize("fault", [_proof(name) for name in sorted(EXPECTED)])
def test_fault_fails_exactly_its_checks(verdicts: dict[str, Verdict], fault: str) -> None:
    verdict = verdicts[fault]
    _, checks = EXPECTED[fault]
    assert not verdict.passed
    assert set(verdict.failed_checks) == checks, [f.message for f in verdict.failures]
    assert all(failure.curl for failure in verdict.failures)


@pytest.mark.parametrize("variant", [_proof(name) for name in sorted(ALLOWED)])
def test_variant_the_contract_allows_passes(verdicts: dict[str, Verdict], variant: str) -> None:
    verdict = verdicts[variant]
    assert verdict.failures == [], [f"{f.check}: {f.message}" for f in verdict.failures]
    assert verdict.passed
    phases = ALLOWED[variant]
    selected = [name for name in ALL_CHECKS if REGISTRY[name].kind != "schemathesis"]
    expected_run = ALL_CHECKS if "schemathesis" in phases else tuple(selected)
    assert not set(expected_run) & set(verdict.not_run), verdict.not_run


def test_transient_5000_is_retried_and_reported_as_flakiness(
    verdicts: dict[str, Verdict], reports: Path
) -> None:
    verdict = verdicts["transient_5000"]
    assert verdict.passed and verdict.hiccups
    summary = (reports / "transient_5000" / "summary.txt").read_text(encoding="utf-8")
    assert f"FLAKY {len(verdict.hiccups)} transient 5000 answers" in summary
    root = ElementTree.parse(reports / "transient_5000" / "junit.xml").getroot()
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties["transient_5000"] == str(len(verdict.hiccups))
    # Every retry is an exchange of the run too: in the HAR, and counted (C58).
    rows = json.loads((reports / "transient_5000" / "coverage.json").read_text(encoding="utf-8"))
    entries = json.loads((reports / "transient_5000" / "exchanges.har").read_text(encoding="utf-8"))
    assert rows["outcomes"]["5000"]["remark"] == "covered"
    assert len(entries["log"]["entries"]) == rows["requests"]["total"]
    answered = 0
    events = reports / "transient_5000" / "schemathesis" / "events.ndjson"
    for line in events.read_text(encoding="utf-8").splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        for item in (finished or {}).get("recorder", {}).get("interactions", {}).values():
            answered += item.get("response") is not None
    assert rows["requests"]["schemathesis"] > answered  # the phase's own retries


def test_append_only_growth_is_reported_not_failed(verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts["grows"]
    assert verdict.passed
    assert any("grew from" in note and "append-only" in note for note in verdict.notes)


def test_messages_name_the_likely_cause(verdicts: dict[str, Verdict]) -> None:
    per_page = verdicts["per_page_count"].failures
    assert per_page and all("count looks per-page, not total" in f.message for f in per_page)
    assert len(per_page) <= len(KNOWN_IDS)  # one failure per request, not one per page
    zero_based = verdicts["zero_based_offset"].failures
    assert zero_based and all("offset looks 0-based" in f.message for f in zero_based)
    only_first = verdicts["only_first_id_counted"].failures
    assert any("only one of the IDs was counted" in f.message for f in only_first)


@pytest.mark.heavy
def test_envelope_rules_run_as_schemathesis_checks(verdicts: dict[str, Verdict]) -> None:
    failures = verdicts["success_true_on_error/schemathesis"].failures_of(
        "envelope_success_matches_code"
    )
    assert failures and all(failure.phase == "schemathesis" for failure in failures)


def test_excluded_check_is_switched_off(verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts["count stable excluded"]
    assert verdict.passed, verdict.failed_checks
    assert verdict.not_run["count_stable"] == "excluded (--exclude-check)"


@pytest.mark.heavy
def test_http_200_style_passes_when_the_suite_is_told(verdicts: dict[str, Verdict]) -> None:
    assert verdicts["HTTP-200 style, told"].passed, verdicts["HTTP-200 style, told"].failures


def test_http_200_style_expected_but_statuses_mirrored_fails(
    verdicts: dict[str, Verdict],
) -> None:
    verdict = verdicts["HTTP statuses, told HTTP-200 style"]
    assert verdict.failed_checks == ["envelope_http_status"]


def test_checks_needing_ids_are_reported_not_run_with_what_would_enable_them(
    verdicts: dict[str, Verdict],
) -> None:
    verdict = verdicts["no IDs"]
    assert verdict.passed
    needing = {name for name in SEMANTIC_CHECKS if REGISTRY[name].needs}
    assert needing <= set(verdict.not_run)
    assert "pass 2 --known-id" in verdict.not_run["multiple_ids"]
    assert "--unknown-id" in verdict.not_run["unknown_id_53003"]
    for name in ("id_byte_length", "repeated_offset_limit_rejected", "other_methods_refused"):
        assert name not in verdict.not_run


def test_strict_fails_a_run_with_checks_not_run(
    verdicts: dict[str, Verdict], reports: Path
) -> None:
    verdict = verdicts["no IDs, strict"]
    assert verdict.failures == [] and not verdict.passed
    assert "multiple_ids" in verdict.strict_failures
    # Checks of a phase not selected are not run either: strict counts them too.
    summary = (reports / "no-IDs,-strict" / "summary.txt").read_text(encoding="utf-8")
    assert "SKIP multiple_ids: needs 2 known IDs, 0 given" in summary
    assert "(fails the run: --strict)" in summary
    root = ElementTree.parse(reports / "no-IDs,-strict" / "junit.xml").getroot()
    case = next(c for c in root.iter("testcase") if c.get("name") == "multiple_ids")
    assert case.find("failure") is not None


def test_cap_check_says_it_could_not_exercise_the_cap(verdicts: dict[str, Verdict]) -> None:
    reason = verdicts["no request over 1000"].not_run["limit_capped"]
    assert "no known request has more than 1000 records" in reason
    assert "the largest count seen is 45 ('medium')" in reason


def test_a_check_that_judged_nothing_is_not_reported_passed(
    verdicts: dict[str, Verdict],
) -> None:
    verdict = verdicts["known ID unknown to the server"]
    assert verdict.failed_checks == ["known_id_schema"]
    for name in ("pagination_no_overlap", "pagination_complete", "count_stable", "ordering"):
        assert verdict.not_run[name] == "no response it could judge"


def test_mock_conforms(mock_runs: Mapping[str, Future[Any]]) -> None:
    result = mock_runs["default"].result()
    assert result.returncode == 0, result.stdout + result.stderr
    assert ": PASS in" in result.stdout
    assert f"{len(ALL_CHECKS)} checks passed, 0 failed, 0 not run" in result.stdout
    assert re.search(r"^Coverage: \d+ of \d+ promises exercised", result.stdout, re.MULTILINE)


def test_progress_in_a_pipe_is_one_plain_line_per_check(
    mock_runs: Mapping[str, Future[Any]], reports: Path
) -> None:
    """`make conformance` in a CI log: no control codes, a line per finished check (C60)."""
    result = mock_runs["default"].result()
    lines = [line for line in result.stderr.splitlines() if re.match(r"conformance: \w+: ", line)]
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    assert sorted(line.split()[2] for line in lines) == sorted(ALL_CHECKS)
    # Every request of both phases counted as it went: the last line's count is the run's.
    rows = json.loads((reports / "mock" / "coverage.json").read_text(encoding="utf-8"))
    assert f"({rows['requests']['total']} requests, " in lines[-1]


def test_the_har_and_the_coverage_count_every_exchange_of_both_phases(
    verdicts: dict[str, Verdict], reports: Path
) -> None:
    folder = reports / "reference"
    answered = 0
    for line in (
        (folder / "schemathesis" / "events.ndjson").read_text(encoding="utf-8").splitlines()
    ):
        finished = json.loads(line).get("ScenarioFinished")
        for item in (finished or {}).get("recorder", {}).get("interactions", {}).values():
            answered += item.get("response") is not None
    rows = json.loads((folder / "coverage.json").read_text(encoding="utf-8"))
    entries = json.loads((folder / "exchanges.har").read_text(encoding="utf-8"))["log"]["entries"]
    assert rows["requests"]["schemathesis"] == answered > 0
    assert rows["requests"]["semantic"] > 0
    assert len(entries) == rows["requests"]["total"] == answered + rows["requests"]["semantic"]
    for code in ("2000", "4005", "53003"):
        assert rows["outcomes"][code]["remark"] == "covered", code
    assert rows["outcomes"]["402"]["remark"] == "not applicable"
    assert 0 < rows["figure"]["achieved_percent"] <= rows["figure"]["best_percent"] < 100


def test_the_report_page_of_a_failing_run_shows_the_failure(
    verdicts: dict[str, Verdict], reports: Path
) -> None:
    failure = verdicts["drifting_count"].failures_of("count_stable")[0]
    page = (reports / "drifting_count" / "report.html").read_text(encoding="utf-8")
    assert '<div class="badge">FAIL</div>' in page
    section = page[page.index('id="failures"') : page.index('id="coverage"')]
    assert "<code>count_stable</code>" in section and "(D11; semantic phase)" in section
    assert str(escape(failure.curl)) in section
    assert '"count":' in html.unescape(section)  # the response's excerpt


def test_mock_in_http_200_style_conforms_when_told(mock_runs: Mapping[str, Future[Any]]) -> None:
    verdict = mock_runs["http-200"].result()
    assert verdict.passed and not verdict.not_run, verdict


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
    assert suite is not None and int(suite.get("failures", "0")) == 1


def test_summary_curl_line_reproduces_the_failure(
    verdicts: dict[str, Verdict], reports: Path
) -> None:
    """The curl line of a drifting count, sent again, shows the count the message names."""
    failure = verdicts["drifting_count"].failures_of("count_stable")[0]
    words = shlex.split(failure.curl)
    assert words[0] == "curl"
    with serve("drifting_count") as base_url:
        # The same server again, on another port: its data does not depend on the port.
        url = httpx.URL(words[-1]).copy_with(port=httpx.URL(base_url).port)
        again = httpx.get(url).json()["data"]["count"]
        last = httpx.get(url.copy_set_param("offset", "4")).json()["data"]["count"]
    assert url.path == "/statistics/record"
    assert f"then {again} on page 1" in failure.message
    assert again != last
    summary = (reports / "drifting_count" / "summary.txt").read_text(encoding="utf-8")
    assert "FAIL count_stable" in summary
    assert failure.curl in summary


def test_schemathesis_judges_real_successes_in_every_phase(
    verdicts: dict[str, Verdict], reports: Path
) -> None:
    """Against a server that knows only the known IDs (as a real one), Schemathesis sees 2000
    pages in its examples, coverage and fuzzing phases: the known IDs reach all three (C17)."""
    assert verdicts["reference"].passed
    successes: dict[str, int] = {}
    events = reports / "reference" / "schemathesis" / "events.ndjson"
    for line in events.read_text(encoding="utf-8").splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        for interaction in (finished or {}).get("recorder", {}).get("interactions", {}).values():
            if (interaction.get("response") or {}).get("status_code") == 200:
                successes[finished["phase"]] = successes.get(finished["phase"], 0) + 1
    assert set(successes) == {"examples", "coverage", "fuzzing"}, successes


def test_signature_is_the_md5_the_documentation_defines() -> None:
    # md5("1700000000000&my-secret&my-key"), computed independently with md5sum.
    assert signature("1700000000000", "my-key", "my-secret") == "ae46d4a78b307cd3e73d6c77b1e2f760"
    assert signature_headers("my-key", "my-secret", now_ms=1_700_000_000_000) == {
        "X-STARDUST-KEY": "my-key",
        "X-TS": "1700000000000",
        "X-SIGN": "ae46d4a78b307cd3e73d6c77b1e2f760",
    }


@pytest.mark.parametrize(
    ("environment", "status", "message"),
    [
        ({"STARDUST_ACCESS_KEY": "my-key", "STARDUST_SECRET_KEY": "my-secret"}, 0, ""),
        (
            {"STARDUST_ACCESS_KEY": "my-key", "STARDUST_SECRET_KEY": "wrong"},
            2,
            "the server refused the signature: it answered code 401 (wrong signature",
        ),
        ({}, 2, "requires signed requests: it answered code 402 (authentication failed"),
    ],
    ids=["signed", "wrong-secret", "unsigned"],
)
def test_requests_are_signed_as_a_verifying_server_expects(
    signing_mock: str,
    environment: dict[str, str],
    status: int,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = ["--base-url", signing_mock, "--phase", "semantic", "--known-id", "signed-request",
                 "--unknown-id", "does-not-exist", "--report-dir", str(tmp_path)]  # fmt: skip
    assert main(arguments, environment) == status
    error = capsys.readouterr().err
    assert message in error
    if status == 2:
        assert "--access-key" in error or "keys" in error
        assert error.count("\n") == 1  # one message, no report of checks


def test_nothing_listening_stops_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.servers import free_port

    base_url = f"http://127.0.0.1:{free_port()}"
    assert main(["--base-url", base_url, "--report-dir", str(tmp_path)], {}) == 2
    error = capsys.readouterr().err
    assert f"nothing is listening at {base_url}" in error
    assert "refused" in error.lower()
    assert not (tmp_path / "junit.xml").exists()


def test_wrong_prefix_stops_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(None) as base_url:
        status = main(["--base-url", base_url + "/wrong-prefix", "--report-dir", str(tmp_path)], {})
    assert status == 2
    assert "HTTP 404 without the API's envelope" in capsys.readouterr().err


def test_tls_error_stops_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """https:// to a plain-HTTP server: the TLS handshake fails."""
    with serve(None) as base_url:
        https = base_url.replace("http://", "https://")
        status = main(["--base-url", https, "--report-dir", str(tmp_path)], {})
    assert status == 2
    assert "TLS error talking to" in capsys.readouterr().err


def test_schemathesis_requests_are_signed_too(
    mock_runs: Mapping[str, Future[Any]], reports: Path
) -> None:
    """Unsigned, every answer would be a 401, which the contract documents: look at them."""
    verdict = mock_runs["signed"].result()
    assert verdict.passed, verdict
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
    assert f"{tmp_path / 'broken.yaml'}:1:22: not valid YAML" in error


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


def test_the_strict_flag_fails_a_run_with_checks_not_run(tmp_path: Path) -> None:
    # `--strict` on the command line, as a CI job passes it (STRICT=1 make conformance does
    # too): without known IDs, checks do not run; the same run passes without the flag.
    with serve(None) as base_url:
        common = ["--base-url", base_url, "--phase", "semantic"]
        relaxed = main([*common, "--report-dir", str(tmp_path / "relaxed")], {})
        strict = main([*common, "--strict", "--report-dir", str(tmp_path / "strict")], {})
    assert (relaxed, strict) == (0, 1)
    summary = (tmp_path / "strict" / "summary.txt").read_text(encoding="utf-8")
    assert "(fails the run: --strict)" in summary


def test_command_line_defaults_are_the_options_defaults() -> None:
    from conformance.__main__ import build_parser, options_from_arguments

    options = options_from_arguments(build_parser().parse_args([]), {})
    assert options == Options(base_url="")


def test_a_bad_timezone_is_refused_naming_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--timezone", "Mars/Olympus"], {})
    assert exit_info.value.code == 2
    assert "--timezone: 'Mars/Olympus' is not an IANA zone name" in capsys.readouterr().err


def test_check_names_are_unique_and_grouped() -> None:
    assert len(set(ALL_CHECKS)) == len(ALL_CHECKS)
    assert set(REGISTRY) == set(ALL_CHECKS)
    assert all(entry.description for entry in REGISTRY.values())
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


def test_a_request_without_an_answer_fails_its_check_with_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection that breaks is a failure naming the error and the request, not a pass."""
    from conformance import semantic

    real = httpx.Client

    def breaking_client(**settings: Any) -> httpx.Client:
        upstream = real(**settings)

        def handler(request: httpx.Request) -> httpx.Response:
            if "offset=2147483647" in str(request.url):
                raise httpx.ReadError("connection reset", request=request)
            response = upstream.send(request)
            return httpx.Response(
                response.status_code, headers=response.headers, content=response.read()
            )

        return real(transport=httpx.MockTransport(handler), **settings)

    monkeypatch.setattr(semantic.httpx, "Client", breaking_client)
    with serve(None) as base_url:
        options = Options(base_url=base_url, known_ids=FEW_IDS, report_dir=tmp_path)
        result = semantic.run(options)
    broken = [f for f in result.failures if f.message.startswith("no answer: ReadError")]
    assert broken and all("offset=2147483647" in f.curl for f in broken)
    assert "known_id_schema" in {f.check for f in broken}
    assert not set(result.judged) & {f.check for f in broken}


def test_a_schemathesis_run_that_errored_says_why(tmp_path: Path) -> None:
    """Called without the preflight (which would stop first): the error names its cause."""
    from conformance import schemathesis_phase
    from tests.support.servers import free_port

    options = Options(
        base_url=f"http://127.0.0.1:{free_port()}", report_dir=tmp_path, max_examples=1
    )
    result = schemathesis_phase.run(options)
    assert [failure.check for failure in result.failures] == ["schemathesis"]
    assert "Connection refused" in result.failures[0].message
    assert result.judged == {}
