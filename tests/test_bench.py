"""bench/: the report names every failed run, and its targets say met or MISSED as measured."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bench.loadgen import Figures
from bench.runner import (
    COMPARISONS,
    SCENARIOS,
    BenchOptions,
    Row,
    failed_requests,
    options_from_arguments,
    render,
)

MEMORY = {"ids": 100_000.0, "before_mb": 100.0, "after_mb": 120.0, "peak_mb": 121.0, "seconds": 40}


def figures(rate: float = 1000.0, p50: float = 1.0, **changes: object) -> Figures:
    base = Figures(
        requests=int(rate * 5),
        seconds=5.0,
        requests_per_second=rate,
        p50_ms=p50,
        p99_ms=p50 * 2,
        not_ok=0,
        errors=0,
        mean_response_bytes=500.0,
        client_cpu_share=0.5,
        p50_by_path_ms=[p50, p50],
        p99_by_path_ms=[p50 * 2, p50 * 2],
        mean_by_path_ms=[p50, p50],
    )
    return replace(base, **changes)


def rows(mock_rate: float = 1000.0) -> list[Row]:
    return [Row(scenario, figures(mock_rate), figures(2000.0)) for scenario in SCENARIOS]


COMPARED = [(comparison, figures()) for comparison in COMPARISONS]


def test_a_clean_run_says_every_answer_was_a_200() -> None:
    assert failed_requests(rows(), COMPARED) == []
    assert "Every answer was a 200." in render(rows(), COMPARED, MEMORY, BenchOptions(), True)


def test_a_failure_in_a_first_and_deep_run_is_reported() -> None:
    compared = [*COMPARED[:-1], (COMPARED[-1][0], figures(not_ok=3))]
    failures = failed_requests(rows(), compared)
    assert failures == [f"{COMPARISONS[-1].name} first/deep (mock: 3 not 200, 0 errors)"]
    text = render(rows(), compared, MEMORY, BenchOptions(), True)
    assert "Every answer was a 200" not in text and failures[0] in text


def test_a_failure_of_the_ceiling_is_reported_too() -> None:
    broken = rows()
    broken[0] = replace(broken[0], ceiling=figures(errors=2))
    assert failed_requests(broken, COMPARED) == [
        f"{SCENARIOS[0].name} (ceiling: 0 not 200, 2 errors)"
    ]


def ten_record_target(text: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith("- 10-record page")]
    return line


def test_targets_say_met_or_missed_from_the_figures() -> None:
    # The mock at the ceiling's own rate meets the 10-record target; at a tenth it misses it.
    met = render(rows(2000.0), COMPARED, MEMORY, BenchOptions(), True)
    missed = render(rows(200.0), COMPARED, MEMORY, BenchOptions(), True)
    assert ten_record_target(met).endswith("(met)")
    assert ten_record_target(missed).endswith("(MISSED)")


def test_options_come_from_the_command_line_with_the_defaults_of_bench_options() -> None:
    assert options_from_arguments([]) == BenchOptions()
    options = options_from_arguments(["--only", "page10", "deep10", "--output", "x.md"])
    assert options.only == ("page10", "deep10") and options.output == Path("x.md")
