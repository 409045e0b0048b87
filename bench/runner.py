"""`make bench`: the mock against a bare Starlette ceiling, same server options, same client.

For every scenario the ceiling (pre-built bytes of the mock's own answer) and the mock are
loaded one after the other by the same load generator, each server on one core and the client
on the other. The table gives requests per second and p50/p99 latency, each as a ratio to the
ceiling; the machine is noisy, so the ratios within one run are the figures that count. Then
the mock is asked for 100,000 distinct annotation requests and its resident size is read. When
Prism (`@stoplight/prism-cli`) can be run without installing anything, it serves the same
`openapi.yaml` in its static mode and is loaded like the mock, as an extra row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import Figures
from bench.profile import record_costs
from conformance.launch import HOST, ROOT, free_port, started

REPORTS = ROOT / "reports"
# The same options for both servers: they reach uvicorn through mockserver's serve().
SERVER_OPTIONS = ("--log-level", "warning", "--no-access-log")
SERVER_CPU = 0
CLIENT_CPU = 1
LARGE = "large-annotation-request"
RECORDS = "/statistics/record"
TWENTY_IDS = ",".join(f"bench-{index}" for index in range(20))
MEMORY_REQUESTS = 5_000
MEMORY_IDS_PER_REQUEST = 20
MEMORY_LIMIT_MB = 200.0
# The targets of issue 14, each a ratio within one run.
PAGE10_SHARE = 0.6
DEEP_PAGING_SHARE = 0.9
STEP_COST_LIMIT = 1.5
PAGE1000_SHARE = 0.5
# Issue 20: the request journal (on by default) keeps this share of the 10-record page's rate.
JOURNAL_SHARE = 0.95


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    path: str
    # Pages asked once each, `{n}` in the path running through these numbers.
    sequence: range | None = None

    def first_path(self) -> str:
        return self.path.replace("{n}", str(self.sequence[0])) if self.sequence else self.path


SCENARIOS = (
    Scenario("page10", "10-record page", f"{RECORDS}?annotationRequestId={LARGE}&limit=10"),
    Scenario("page1000", "1000-record page", f"{RECORDS}?annotationRequestId={LARGE}&limit=1000"),
    Scenario(
        "deep10",
        "deep page: 10 records from record 1,000,001",
        f"{RECORDS}?annotationRequestId={LARGE}&limit=10&offset=100001",
    ),
    Scenario(
        "deep1000",
        "deep page: 1000 records from record 1,000,001",
        f"{RECORDS}?annotationRequestId={LARGE}&limit=1000&offset=1001",
    ),
    Scenario(
        "ids20",
        "20 annotation requests in one query, 10 records",
        f"{RECORDS}?annotationRequestId={TWENTY_IDS}&limit=10",
    ),
    Scenario(
        "walk10",
        "paging from the first page, 10 records, each page once",
        f"{RECORDS}?annotationRequestId={LARGE}&limit=10&offset={{n}}",
        range(1, 60_001),
    ),
    Scenario(
        "walkdeep10",
        "paging from record 1,000,001, 10 records, each page once",
        f"{RECORDS}?annotationRequestId={LARGE}&limit=10&offset={{n}}",
        range(100_001, 160_001),
    ),
)


@dataclass(frozen=True)
class Comparison:
    """A first and a deep page asked in turn in one run: the same conditions for both."""

    name: str
    label: str
    first: str
    deep: str
    sequence: range | None = None


FIRST10 = f"{RECORDS}?annotationRequestId={LARGE}&limit=10&offset=1"
COMPARISONS = (
    Comparison("deep10", "10 records: offset 1 and 100001", FIRST10, SCENARIOS[2].path),
    Comparison(
        "deep1000",
        "1000 records: offset 1 and 1001",
        f"{RECORDS}?annotationRequestId={LARGE}&limit=1000&offset=1",
        SCENARIOS[3].path,
    ),
    # Paging once from record 1 and from record 1,000,001, a page of each in turn on one
    # connection: each page is asked once, so each is generated, and the machine's drift falls
    # on both alike. A client paging through a request (a sync job) does exactly this.
    Comparison(
        "cold10",
        "10 records, each page once: offsets 1.. and 100001..",
        f"{RECORDS}?annotationRequestId={LARGE}&limit=10&offset={{n}}",
        f"{RECORDS}?annotationRequestId={LARGE}&limit=10&offset={{n+100000}}",
        range(1, 60_001),
    ),
)


# The 10-record page's target compares the mock with the ceiling in short slices taken in turn:
# run one after the other, the two meet different moments of a shared machine.
SLICES = 5
SLICE_SECONDS = 2.0


# (port, path): one side of an alternating run.
Side = tuple[int, str]


def alternating(sides: Sequence[Side], run: dict[str, Any]) -> list[float]:
    """Requests per second of each side, over SLICES slices taken in turn."""
    requests = [0] * len(sides)
    seconds = [0.0] * len(sides)
    for index in range(SLICES):
        # Every other slice in the other order, so that neither side always goes first.
        order = list(enumerate(sides))
        for side, (port, path) in order if index % 2 == 0 else reversed(order):
            figures = load(
                port, path, sequence=None, **{**run, "warmup": 0.2, "duration": SLICE_SECONDS}
            )
            requests[side] += figures.requests
            seconds[side] += figures.seconds
    return [count / elapsed for count, elapsed in zip(requests, seconds, strict=True)]


@dataclass(frozen=True)
class Extras:
    """What the run measured besides the scenarios: Prism's row, cold records by step."""

    # Seconds per cold record by step of its task (in-process, bench/profile.py).
    step_costs: dict[int, float]
    # Requests per second by name of an alternating run: "ceiling" is the mock's and the
    # ceiling's 10-record page.
    pairs: dict[str, tuple[float, float]]
    prism: Figures | None = None
    prism_note: str = ""


@dataclass(frozen=True)
class BenchOptions:
    """A benchmark run; the defaults are `make bench`'s."""

    duration: float = 5.0
    warmup: float = 1.0
    connections: int = 16
    # Scenario names to run; empty: all of them, the comparisons and the targets.
    only: tuple[str, ...] = ()
    output: Path = REPORTS / "bench.md"


@dataclass(frozen=True)
class Row:
    scenario: Scenario
    mock: Figures
    ceiling: Figures


def pin_to_server_cpu() -> None:
    os.sched_setaffinity(0, {SERVER_CPU})


@contextmanager
def server(module: str, *arguments: str, probe: str, pin: bool) -> Iterator[tuple[int, int]]:
    """`python -m module` on a free loopback port; yields (port, pid) once it answers `probe`."""
    port = free_port()
    command = [sys.executable, "-m", module, *arguments, "--port", str(port), *SERVER_OPTIONS]
    with started(
        command,
        f"http://{HOST}:{port}{probe}",
        preexec_fn=pin_to_server_cpu if pin else None,
        timeout=60,
    ) as process:
        yield port, process.pid


def load(
    port: int,
    *paths: str,
    sequence: range | None,
    connections: int,
    warmup: float,
    duration: float,
    max_requests: int,
    pin: bool,
) -> Figures:
    """One run of the load generator, in a process of its own."""
    command = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--port",
        str(port),
        "--connections",
        str(connections),
        "--warmup",
        str(warmup),
        "--duration",
        str(duration),
        "--max-requests",
        str(max_requests),
    ]
    if pin:
        command += ["--cpu", str(CLIENT_CPU)]
    if sequence is not None:
        command += ["--sequence", f"{sequence.start}:{sequence.stop}"]
    command += paths
    timeout = warmup + duration + 60
    done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr.decode()[-2000:]}")
    return Figures(**json.loads(done.stdout))


def resident_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident size of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def prism_command() -> list[str] | None:
    """How to run Prism without installing it: $PRISM, `prism` on the PATH, or npx's cache."""
    if os.environ.get("PRISM"):
        return [os.environ["PRISM"]]
    if shutil.which("prism"):
        return ["prism"]
    if not shutil.which("npx"):
        return None
    command = ["npx", "--no-install", "@stoplight/prism-cli"]
    try:
        probe = subprocess.run([*command, "--version"], cwd=ROOT, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return command if probe.returncode == 0 else None


@contextmanager
def prism_server(command: Sequence[str], probe: str, pin: bool) -> Iterator[int]:
    """Prism's static mock of openapi.yaml on a free loopback port, in a process group of its
    own: npx runs Prism as a child, which must not outlive the run."""
    port = free_port()
    group: list[int] = []

    def own_group() -> None:
        os.setsid()
        if pin:
            pin_to_server_cpu()

    arguments = [*command, "mock", "openapi.yaml", "-h", HOST, "-p", str(port)]
    try:
        with started(
            arguments,
            f"http://{HOST}:{port}{probe}",
            stderr=subprocess.DEVNULL,
            preexec_fn=own_group,
            on_start=lambda process: group.append(process.pid),
            timeout=120,
        ):
            yield port
    finally:
        for pid in group:
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}" if reference else "-"


def failed_requests(
    rows: Sequence[Row], compared: Sequence[tuple[Comparison, Figures]]
) -> list[str]:
    """Every run with an answer other than a 200 or a failed request, named; none: []."""
    runs = [
        (row.scenario.name, server, figures)
        for row in rows
        for server, figures in (("mock", row.mock), ("ceiling", row.ceiling))
    ]
    runs += [(f"{c.name} first/deep", "mock", figures) for c, figures in compared]
    return [
        f"{name} ({server}: {figures.not_ok} not 200, {figures.errors} errors)"
        for name, server, figures in runs
        if figures.not_ok or figures.errors
    ]


def target(label: str, value: float, at_least: float) -> str:
    return f"- {label}: {value:.2f} ({'met' if value >= at_least else 'MISSED'})"


def prism_lines(mock: Figures, extras: Extras) -> list[str]:
    """The optional row: the mock's 10-record page against Prism's static answer."""
    if extras.prism is None:
        return ["", f"Prism: no row ({extras.prism_note})."]
    prism = extras.prism
    return [
        "",
        "Against Prism (`@stoplight/prism-cli`, static mode: the contract's example, same "
        "`openapi.yaml`, same client and core), 10-record page:",
        "",
        "| server | req/s | p50 ms | p99 ms |",
        "|---|--:|--:|--:|",
        f"| mock | {mock.requests_per_second:,.0f} | {mock.p50_ms:.2f} | {mock.p99_ms:.2f} |",
        f"| Prism | {prism.requests_per_second:,.0f} | {prism.p50_ms:.2f} | {prism.p99_ms:.2f} |",
        "",
        f"The mock serves {ratio(mock.requests_per_second, prism.requests_per_second)} times "
        f"Prism's rate{'' if not prism.not_ok else f'; Prism answered {prism.not_ok} non-200'}.",
    ]


def render(
    rows: Sequence[Row],
    compared: Sequence[tuple[Comparison, Figures]],
    memory: dict[str, float],
    options: BenchOptions,
    pinned: bool,
    extras: Extras,
) -> str:
    by_name = {row.scenario.name: row for row in rows}
    lines = [
        *_scenario_table(rows, options, pinned),
        *_failures_line(rows, compared),
        *_comparison_table(compared),
        *prism_lines(by_name["page10"].mock, extras),
        "",
        "## Targets",
        "",
        *_targets(by_name, compared, memory, extras),
    ]
    return "\n".join(lines) + "\n"


def _scenario_table(rows: Sequence[Row], options: BenchOptions, pinned: bool) -> list[str]:
    lines = [
        f"# make bench: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}. "
        f"Servers: uvicorn `{' '.join(SERVER_OPTIONS)}`"
        + (f", pinned to CPU {SERVER_CPU}; client on CPU {CLIENT_CPU}" if pinned else "")
        + f". Client: {options.connections} keep-alive connections, "
        f"{options.warmup:g} s warm-up, {options.duration:g} s measured per server and scenario.",
        "",
        "| scenario | mock req/s | ceiling req/s | ratio | mock p50 ms | ceiling p50 ms | ratio "
        "| mock p99 ms | ceiling p99 ms | ratio |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        mock, ceiling = row.mock, row.ceiling
        lines.append(
            f"| {row.scenario.label} | {mock.requests_per_second:,.0f} "
            f"| {ceiling.requests_per_second:,.0f} "
            f"| {ratio(mock.requests_per_second, ceiling.requests_per_second)} "
            f"| {mock.p50_ms:.2f} | {ceiling.p50_ms:.2f} | {ratio(mock.p50_ms, ceiling.p50_ms)} "
            f"| {mock.p99_ms:.2f} | {ceiling.p99_ms:.2f} | {ratio(mock.p99_ms, ceiling.p99_ms)} |"
        )
    return lines


def _failures_line(
    rows: Sequence[Row], compared: Sequence[tuple[Comparison, Figures]]
) -> list[str]:
    failures = failed_requests(rows, compared)
    client_cpu = max(max(row.mock.client_cpu_share, row.ceiling.client_cpu_share) for row in rows)
    return [
        "",
        f"Ratios are mock / ceiling. Busiest client: {client_cpu:.0%} of its core "
        "(below 100%: the client was not the limit). "
        + (f"Failed requests: {', '.join(failures)}." if failures else "Every answer was a 200."),
    ]


def _comparison_table(compared: Sequence[tuple[Comparison, Figures]]) -> list[str]:
    lines = [
        "",
        "First and deep pages of `large-annotation-request`, asked in turn in one run on one "
        "connection (the mock):",
        "",
        "| pages | first p50 ms | deep p50 ms | deep / first | first mean ms | deep mean ms "
        "| deep / first | first p99 ms | deep p99 ms | deep / first |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for comparison, figures in compared:
        (first50, deep50), (first99, deep99) = figures.p50_by_path_ms, figures.p99_by_path_ms
        first_mean, deep_mean = figures.mean_by_path_ms
        lines.append(
            f"| {comparison.label} | {first50:.3f} | {deep50:.3f} | {ratio(deep50, first50)} "
            f"| {first_mean:.3f} | {deep_mean:.3f} | {ratio(deep_mean, first_mean)} "
            f"| {first99:.3f} | {deep99:.3f} | {ratio(deep99, first99)} |"
        )
    return lines


def _targets(
    by_name: Mapping[str, Row],
    compared: Sequence[tuple[Comparison, Figures]],
    memory: dict[str, float],
    extras: Extras,
) -> list[str]:
    return [
        _page10_target(extras),
        *_paging_target(compared),
        _step_cost_target(extras.step_costs),
        _page1000_target(by_name),
        *_deep_page_targets(compared),
        _memory_target(memory),
        *_journal_target(extras),
    ]


def _journal_target(extras: Extras) -> list[str]:
    if "journal" not in extras.pairs:
        return []
    with_journal, without = extras.pairs["journal"]
    return [
        target(
            f"10-record page with the request journal at >= {JOURNAL_SHARE} of the same with "
            f"--no-journal ({with_journal:,.0f} and {without:,.0f} req/s in {SLICES} "
            f"alternating slices of {SLICE_SECONDS:g} s)",
            with_journal / without,
            JOURNAL_SHARE,
        )
    ]


def measure_journal_cost(mock_port: int, run: dict[str, Any]) -> tuple[float, float]:
    """The 10-record page on the mock (journal on) and on one started with --no-journal, in
    alternating slices: (with, without) requests per second."""
    print("bench: the journal's cost, in alternating slices ...", file=sys.stderr, flush=True)
    path = SCENARIOS[0].path
    with server("mockserver", "--no-journal", probe=path, pin=run["pin"]) as (bare_port, _):
        with_journal, without = alternating([(mock_port, path), (bare_port, path)], run)
    return with_journal, without


def _page10_target(extras: Extras) -> str:
    mock10, ceiling10 = extras.pairs["ceiling"]
    return target(
        f"10-record page at >= {PAGE10_SHARE} of the ceiling ({mock10:,.0f} and "
        f"{ceiling10:,.0f} req/s in {SLICES} alternating slices of {SLICE_SECONDS:g} s)",
        mock10 / ceiling10,
        PAGE10_SHARE,
    )


def _paging_target(compared: Sequence[tuple[Comparison, Figures]]) -> list[str]:
    paging = dict(compared).get(COMPARISONS[2])
    if paging is None:
        return []
    first_mean, deep_mean = paging.mean_by_path_ms
    return [
        target(
            f"paging once from record 1,000,001 at >= {DEEP_PAGING_SHARE} of paging once "
            f"from record 1 (10-record pages, each asked once, in turn on one connection: "
            f"mean {first_mean:.3f} and {deep_mean:.3f} ms, so first / deep mean)",
            first_mean / deep_mean,
            DEEP_PAGING_SHARE,
        )
    ]


def _step_cost_target(costs: Mapping[int, float]) -> str:
    worst = max(costs, key=lambda step: costs[step])
    return (
        f"- a cold record at any step within {STEP_COST_LIMIT}x of one at step 0 (in-process, "
        + ", ".join(f"step {step} {cost * 1e6:.1f} us" for step, cost in costs.items())
        + f"): worst {costs[worst] / costs[0]:.2f}x at step {worst} "
        + f"({'met' if costs[worst] / costs[0] <= STEP_COST_LIMIT else 'MISSED'})"
    )


def _page1000_target(by_name: Mapping[str, Row]) -> str:
    small, big = by_name["page10"].mock, by_name["page1000"].mock
    # What the bytes alone allow: the ceiling serves both pages pre-built.
    ceiling_sizes = (
        by_name["page1000"].ceiling.requests_per_second
        / by_name["page10"].ceiling.requests_per_second
    )
    return target(
        f"1000-record page at >= {PAGE1000_SHARE} of the 10-record page (the table's rows; "
        f"the ceiling's own 1000- / 10-record ratio: {ceiling_sizes:.2f})",
        big.requests_per_second / small.requests_per_second,
        PAGE1000_SHARE,
    )


def _deep_page_targets(compared: Sequence[tuple[Comparison, Figures]]) -> list[str]:
    lines = []
    for comparison, figures in compared:
        first50, deep50 = figures.p50_by_path_ms
        first_mean, deep_mean = figures.mean_by_path_ms
        slower50, slower_mean = deep50 / first50 - 1, deep_mean / first_mean - 1
        met = slower50 <= 0.10 and slower_mean <= 0.10
        lines.append(
            f"- deep page within 10% of the first page's latency (p50 and mean), "
            f"{comparison.label}: p50 {slower50:+.0%}, mean {slower_mean:+.0%} "
            f"({'met' if met else 'MISSED'})"
        )
    return lines


def _memory_target(memory: dict[str, float]) -> str:
    rss = memory["after_mb"]
    return (
        f"- resident size under {MEMORY_LIMIT_MB:.0f} MB after {memory['ids']:,.0f} distinct "
        f"annotation requests ({MEMORY_REQUESTS:,} requests of {MEMORY_IDS_PER_REQUEST} IDs, "
        f"{memory['seconds']:.0f} s): {rss:.0f} MB, peak {memory['peak_mb']:.0f} MB, "
        f"{memory['before_mb']:.0f} MB before ({'met' if rss < MEMORY_LIMIT_MB else 'MISSED'})"
    )


def measure_prism(run: dict[str, Any]) -> dict[str, Any]:
    """Prism's figures for the 10-record page, or why there are none (it is never required)."""
    command = prism_command()
    if command is None:
        return {"prism_note": "npx or @stoplight/prism-cli not available; set PRISM to run it"}
    print("bench: Prism ...", file=sys.stderr, flush=True)
    try:
        with prism_server(command, SCENARIOS[0].path, pin=run["pin"]) as port:
            return {"prism": load(port, SCENARIOS[0].path, sequence=None, **run)}
    except (OSError, RuntimeError) as error:
        return {"prism_note": f"Prism did not run: {error}"}


def build_parser(defaults: BenchOptions = BenchOptions()) -> argparse.ArgumentParser:
    d = defaults
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    add = parser.add_argument
    add("--duration", type=float, default=d.duration, help="seconds measured per run")
    add("--warmup", type=float, default=d.warmup, help="seconds before measuring")
    add("--connections", type=int, default=d.connections)
    add("--only", nargs="*", default=list(d.only), help="scenario names to run (default: all)")
    add("--output", type=Path, default=d.output)
    return parser


def options_from_arguments(arguments: Sequence[str] | None = None) -> BenchOptions:
    parsed = build_parser().parse_args(arguments)
    return BenchOptions(**{**vars(parsed), "only": tuple(parsed.only or ())})


def measure_scenarios(
    options: BenchOptions, scenarios: Sequence[Scenario], mock_port: int, run: dict[str, Any]
) -> tuple[list[Row], dict[str, tuple[float, float]]]:
    """Each scenario on the ceiling, then on the mock, under the same load; then (with every
    scenario) the 10-record page on both in alternating slices, as `Extras.pairs`."""
    bodies = REPORTS / "bench-bodies"
    bodies.mkdir(parents=True, exist_ok=True)
    for scenario in scenarios:
        answer = httpx.get(f"http://{HOST}:{mock_port}{scenario.first_path()}", timeout=60)
        answer.raise_for_status()
        (bodies / f"{scenario.name}.json").write_bytes(answer.content)
    rows: list[Row] = []
    ceiling_server = server(
        "bench.ceiling", str(bodies), probe=f"/{scenarios[0].name}", pin=run["pin"]
    )
    with ceiling_server as (ceiling_port, _):
        for scenario in scenarios:
            print(f"bench: {scenario.name} ...", file=sys.stderr, flush=True)
            ceiling = load(ceiling_port, f"/{scenario.name}", sequence=None, **run)
            mock = load(mock_port, scenario.path, sequence=scenario.sequence, **run)
            rows.append(Row(scenario, mock, ceiling))
        pairs: dict[str, tuple[float, float]] = {}
        if not options.only:
            print("bench: mock and ceiling, in alternating slices ...", file=sys.stderr)
            mock_rate, ceiling_rate = alternating(
                [(mock_port, SCENARIOS[0].path), (ceiling_port, "/page10")], run
            )
            pairs["ceiling"] = (mock_rate, ceiling_rate)
    return rows, pairs


def compare_pages(mock_port: int, run: dict[str, Any]) -> list[tuple[Comparison, Figures]]:
    """First and deep pages asked in turn, on one connection."""
    compared: list[tuple[Comparison, Figures]] = []
    for comparison in COMPARISONS:
        print(f"bench: {comparison.name}, first and deep in turn ...", file=sys.stderr)
        # One connection: with several, a request's latency is mostly its wait behind the
        # others, the same for both kinds; alone, it is what serving the page costs.
        figures = load(
            mock_port,
            comparison.first,
            comparison.deep,
            sequence=comparison.sequence,
            **{**run, "connections": 1},
        )
        compared.append((comparison, figures))
    return compared


def measure_memory(
    options: BenchOptions, mock_port: int, mock_pid: int, pinned: bool
) -> dict[str, float]:
    """The mock's resident size before and after MEMORY_REQUESTS requests of new IDs."""
    print("bench: memory ...", file=sys.stderr, flush=True)
    before, _ = resident_mb(mock_pid)
    ids = ",".join(f"mem-{{n}}-{index}" for index in range(MEMORY_IDS_PER_REQUEST))
    started = time.monotonic()
    asked = load(
        mock_port,
        f"{RECORDS}?annotationRequestId={ids}&limit=10",
        sequence=range(MEMORY_REQUESTS),
        connections=options.connections,
        warmup=0.0,
        duration=600.0,
        max_requests=MEMORY_REQUESTS,
        pin=pinned,
    )
    if asked.requests != MEMORY_REQUESTS or asked.not_ok or asked.errors:
        raise RuntimeError(f"memory run did not complete: {asked}")
    after, peak = resident_mb(mock_pid)
    return {
        "ids": float(MEMORY_REQUESTS * MEMORY_IDS_PER_REQUEST),
        "before_mb": before,
        "after_mb": after,
        "peak_mb": peak,
        "seconds": time.monotonic() - started,
    }


def main(arguments: Sequence[str] | None = None) -> int:
    options = options_from_arguments(arguments)
    # One core for the server, one for the client: without two, both share what there is.
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    scenarios = [s for s in SCENARIOS if not options.only or s.name in options.only]
    # In-process and before any server starts, so that nothing else competes for the core.
    print("bench: cold records by step ...", file=sys.stderr, flush=True)
    step_costs = record_costs()
    run: dict[str, Any] = {
        "connections": options.connections,
        "warmup": options.warmup,
        "duration": options.duration,
        "max_requests": 5_000_000,
        "pin": pinned,
    }
    with server("mockserver", probe=SCENARIOS[0].path, pin=pinned) as (mock_port, mock_pid):
        rows, pairs = measure_scenarios(options, scenarios, mock_port, run)
        if not options.only:
            pairs["journal"] = measure_journal_cost(mock_port, run)
        compared = compare_pages(mock_port, run) if not options.only else []
        memory = measure_memory(options, mock_port, mock_pid, pinned)
    if options.only:
        # Targets compare scenarios with each other: without all of them, print the raw figures.
        for row in rows:
            print(json.dumps({"scenario": row.scenario.name, **asdict(row)}, default=str))
        print(json.dumps(memory))
        return 0
    extras = Extras(step_costs=step_costs, pairs=pairs, **measure_prism(run))
    table = render(rows, compared, memory, options, pinned, extras)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(table, encoding="utf-8")
    print(table)
    print(f"(written to {options.output})")
    return 0
