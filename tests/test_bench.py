"""bench/: the report names every failed run, and its targets say met or MISSED as measured."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bench.loadgen import Figures, expand
from bench.runner import (
    COMPARISONS,
    SCENARIOS,
    BenchOptions,
    Extras,
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
STEP_COSTS = {0: 10e-6, 3: 13e-6, 10: 11e-6, 40: 11e-6}


def extras(mock_rate: float = 1000.0, **changes: object) -> Extras:
    """What a run measures besides the table: the 10-record page against the ceiling's 2000."""
    return replace(Extras(step_costs=STEP_COSTS, pairs={"ceiling": (mock_rate, 2000.0)}), **changes)


def test_a_clean_run_says_every_answer_was_a_200() -> None:
    assert failed_requests(rows(), COMPARED) == []
    assert "Every answer was a 200." in render(
        rows(), COMPARED, MEMORY, BenchOptions(), True, extras()
    )


def test_a_failure_in_a_first_and_deep_run_is_reported() -> None:
    compared = [*COMPARED[:-1], (COMPARED[-1][0], figures(not_ok=3))]
    failures = failed_requests(rows(), compared)
    assert failures == [f"{COMPARISONS[-1].name} first/deep (mock: 3 not 200, 0 errors)"]
    text = render(rows(), compared, MEMORY, BenchOptions(), True, extras())
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
    met = render(rows(2000.0), COMPARED, MEMORY, BenchOptions(), True, extras(2000.0))
    missed = render(rows(200.0), COMPARED, MEMORY, BenchOptions(), True, extras(200.0))
    assert ten_record_target(met).endswith("(met)")
    assert ten_record_target(missed).endswith("(MISSED)")


def test_options_come_from_the_command_line_with_the_defaults_of_bench_options() -> None:
    assert options_from_arguments([]) == BenchOptions()
    options = options_from_arguments(["--only", "page10", "deep10", "--output", "x.md"])
    assert options.only == ("page10", "deep10") and options.output == Path("x.md")


def target_line(text: str, start: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith(start)]
    return line


def test_the_issue_14_targets_follow_their_figures() -> None:
    # 1200 of 2000 req/s is 0.6 (met); step 3 at 1.3x step 0 (met), at 1.6x (missed).
    text = render(rows(), COMPARED, MEMORY, BenchOptions(), True, extras(1200.0))
    assert target_line(text, "- 10-record page").endswith("0.60 (met)")
    assert target_line(text, "- a cold record").endswith("(met)")
    slow = extras(step_costs={**STEP_COSTS, 3: 16e-6})
    slow_text = render(rows(), COMPARED, MEMORY, BenchOptions(), True, slow)
    assert target_line(slow_text, "- a cold record").endswith("1.60x at step 3 (MISSED)")
    # Paging: the mean latencies of the first and the deep pages asked in turn.
    deep_slower = [*COMPARED[:2], (COMPARISONS[2], figures(mean_by_path_ms=[1.0, 1.25]))]
    paging = render(rows(), deep_slower, MEMORY, BenchOptions(), True, extras())
    assert target_line(paging, "- paging once").endswith("0.80 (MISSED)")
    # 1000-record page: the table's rows (1000 and 1000 req/s here).
    assert target_line(text, "- 1000-record page").endswith("1.00 (met)")


def test_prism_gets_a_row_when_it_ran_and_a_reason_when_not() -> None:
    absent = render(rows(), COMPARED, MEMORY, BenchOptions(), True, extras(prism_note="no npx"))
    assert "Prism: no row (no npx)." in absent
    ran = extras(prism=figures(250.0))
    text = render(rows(), COMPARED, MEMORY, BenchOptions(), True, ran)
    assert "| Prism | 250 |" in text and "The mock serves 4.00 times Prism's rate" in text


def test_load_paths_write_out_shifted_page_numbers() -> None:
    assert expand(["/a?offset={n}", "/b?offset={n+100000}"], range(1, 3)) == [
        "/a?offset=1",
        "/b?offset=100001",
        "/a?offset=2",
        "/b?offset=100002",
    ]


def test_the_journals_cost_is_a_target_when_measured() -> None:
    def journal_line(pair: tuple[float, float]) -> str:
        measured = extras(pairs={"ceiling": (1000.0, 2000.0), "journal": pair})
        text = render(rows(), COMPARED, MEMORY, BenchOptions(), True, measured)
        (line,) = [line for line in text.splitlines() if "request journal" in line]
        return line

    assert journal_line((960.0, 1000.0)).endswith(
        "(960 and 1,000 req/s in 5 alternating slices of 2 s): 0.96 (met)"
    )
    assert journal_line((940.0, 1000.0)).endswith(": 0.94 (MISSED)")
    # A partial run (`--only`) measures no pair: no line rather than a made-up one.
    assert "request journal" not in render(rows(), COMPARED, MEMORY, BenchOptions(), True, extras())
