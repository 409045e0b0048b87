"""soak/: the verdict cannot pass vacuously, and the request mix answers as the soak expects."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import Settings
from soak.__main__ import (
    Measurement,
    SoakOptions,
    Tally,
    load,
    main,
    options_from_arguments,
    report,
)

STEADY = Measurement(elapsed=1.0, rss_start_kib=70_000, rss_end_kib=70_010, exit_code=0)


def tally(valid: dict[str, int], invalid: dict[str, int]) -> Tally:
    return Tally(
        Counter(valid), Counter(invalid), [0.001] * sum([*valid.values(), *invalid.values()])
    )


def test_a_soak_of_no_requests_fails() -> None:
    verdict = report(SoakOptions(), Tally(), STEADY)
    assert verdict["requests"] == 0
    assert verdict["passed"] is False
    assert verdict["problems"] == ["no valid request was answered"]


def test_a_clean_run_passes() -> None:
    verdict = report(SoakOptions(), tally({"200/2000": 90}, {"400/4005": 10}), STEADY)
    assert verdict["passed"] is True and verdict["problems"] == []


@pytest.mark.parametrize(
    ("answers", "measured", "problem"),
    [
        (({"200/2000": 9, "500/5000": 1}, {}), STEADY, "1 valid requests did not answer"),
        (({"200/2000": 9, "error/ReadTimeout": 1}, {}), STEADY, "1 valid requests"),
        (({"200/2000": 9}, {"400/4005": 3, "200/2000": 1}), STEADY, "1 invalid requests"),
        (({"200/2000": 9}, {}), Measurement(1.0, 70_000, 90_000, 0), "resident memory grew"),
        (({"200/2000": 9}, {}), Measurement(1.0, 70_000, 70_000, -15), "exited with -15"),
    ],
    ids=["valid-500", "valid-error", "invalid-200", "memory", "exit-code"],
)
def test_each_failure_fails_the_run_and_says_why(
    answers: tuple[dict[str, int], dict[str, int]], measured: Measurement, problem: str
) -> None:
    verdict = report(SoakOptions(), tally(*answers), measured)
    assert verdict["passed"] is False
    assert any(problem in line for line in verdict["problems"]), verdict["problems"]


def test_the_request_mix_answers_as_the_soak_expects() -> None:
    # The soak's own clients against the app in-process for a moment: valid requests must
    # answer 2000 and invalid ones 4005, or a real soak could never pass.
    counted = Tally()
    transport = httpx.ASGITransport(app=create_app(Settings()))
    asyncio.run(load("http://mock.test", 0.5, 2, counted, 0.3, transport=transport))
    verdict = report(SoakOptions(), counted, STEADY)
    assert verdict["valid"]["total"] > 0 and verdict["invalid"]["total"] > 0, verdict
    assert verdict["passed"], verdict["problems"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--duration", "0"], "--duration: 0 is not above 0"),
        (["--clients", "0"], "--clients: 0 is below 1"),
        (["--invalid-share", "1"], "--invalid-share"),
    ],
)
def test_impossible_options_exit_2_naming_the_option(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        options_from_arguments(arguments)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_no_options_give_the_default_options() -> None:
    assert options_from_arguments([]) == SoakOptions()


# The heavy tier (CI, make test-heavy): seconds of processes, kept out of make test's minute.
@pytest.mark.heavy
def test_a_short_soak_of_a_real_mock_passes_and_writes_its_report(tmp_path: Path) -> None:
    arguments = ["--duration", "1", "--warmup", "0.3", "--clients", "2", "--report-dir"]
    assert main([*arguments, str(tmp_path)]) == 0
    (written,) = tmp_path.glob("soak-*.json")
    saved = json.loads(written.read_text(encoding="utf-8"))
    assert saved["passed"] and saved["valid"]["total"] > 0 and saved["server_exit_code"] == 0


def test_the_reported_percentiles_are_nearest_rank() -> None:
    # 200 latencies of 1..200 ms: p50 is the 100th, p99 the 198th, not the 199th (the index
    # int(0.99 * n) the report used to take), max the 200th.
    answers = Tally(Counter({"200/2000": 200}), Counter(), [n / 1000 for n in range(200, 0, -1)])
    latency = report(SoakOptions(), answers, STEADY)["latency_ms"]
    assert latency == {"p50": 100.0, "p99": 198.0, "max": 200.0}
