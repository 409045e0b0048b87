"""`make bench`: the mock against the limits of its own stack, same server options, same client.

The ceiling is a bare ASGI callable (`bench/ceiling.py`) answering the mock's own answers as
pre-built bytes through the mock's `serve()` with the same options: httptools, uvloop, no access
log. A Starlette route with the same bytes shows what a framework alone costs, and nginx, where
it is installed, what the machine itself allows. The mock runs as the table's rows measure it
(access log off) and as `make mock` serves it (access log on, its lines written to a file).
Every server runs on one core and the load generator on the other. The targets of issues 14 and
27 are ratios within one run, the main ones from short slices of each server taken in turn
(`alternating`), each server in three processes of its own so that no process's luck decides a
ratio, printed with PASS or MISS. Then the mock is asked for 100,000 distinct
annotation requests and its resident size is read. When Prism (`@stoplight/prism-cli`) can be
run without installing anything, it serves the same `openapi.yaml` in its static mode and is
loaded like the mock, as an extra row.

A server variant is a row of `MOCK_VARIANTS` (name, label, options) plus, for a target, a line
in `_issue27_targets`: adding one (the journal's `--no-journal`) is those two lines.
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
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from bench import results
from bench.loadgen import Figures
from bench.profile import record_costs, record_writer
from conformance.launch import HOST, ROOT, free_port, started

REPORTS = ROOT / "reports"
# The same options for the ceilings and the mock's rows: they reach uvicorn through
# mockserver's serve().
SERVER_OPTIONS = ("--log-level", "warning", "--no-access-log")
# The mock as `make mock` serves it: the access log on (at the default level, info).
LOGGED_OPTIONS = ("--log-level", "info")
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
# The targets of issue 27, against the bare-ASGI ceiling.
LOGGED_SHARE = 0.6
ACCESS_LOG_COST = 0.10
JOURNAL_COST = 0.05
FRESH_SHARE = 0.5
FRESH1000_TIMES = 5.0


@dataclass(frozen=True)
class MockVariant:
    """The mock started with some options, for the alternating targets."""

    name: str
    label: str
    options: tuple[str, ...]
    # Only when `python -m mockserver --help` offers this option (a feature of another branch).
    needs: str = ""


MOCK_VARIANTS = (
    MockVariant("mock", "the mock, access log off", SERVER_OPTIONS),
    MockVariant("logged", "the mock as `make mock` serves it (access log on)", LOGGED_OPTIONS),
    # The journal (issue 20) is on by default: the rows above have it; this one has not.
    MockVariant(
        "nojournal",
        "the mock, access log and journal off",
        (*SERVER_OPTIONS, "--no-journal"),
        needs="--no-journal",
    ),
)


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
    # A 1000-record page never served before (pages 2001.. are asked by nothing else) and one
    # page asked again and again, in turn on one connection (issue 27: at most 5 times).
    Comparison(
        "fresh1000",
        "1000 records, a fresh page and the same page again: offsets 2001.. and 2",
        f"{RECORDS}?annotationRequestId={LARGE}&limit=1000&offset={{n}}",
        f"{RECORDS}?annotationRequestId={LARGE}&limit=1000&offset=2",
        range(2001, 2501),
    ),
)


# The main targets compare servers in short slices taken in turn: run one after the other,
# they would meet different moments of a shared machine.
SLICES = 5
SLICE_SECONDS = 1.0
# Each side of the alternating run is measured in this many processes of its own, started
# alike, its rate over all of them: one process's own luck (its memory layout, its hash seed:
# what pyperf starts several worker processes for) moved the same build's 10-record page by up
# to 7% from one process to another (2026-12-06 10:55 UTC: 31.6 to 33.8 us of server CPU a
# request), more than the 5% the journal's target allows.
PROCESSES = 3
# Pages each slice of an "each page once" side may ask: more than a slice can serve, so that no
# page is asked twice (a slice stops at the end of its pages rather than wrap round).
PAGES_PER_SLICE = 40_000


@dataclass(frozen=True)
class Side:
    """One server and path of an alternating run; with `first_page`, a walk of pages asked
    once each (`{n}` in the path), slice i taking the i-th PAGES_PER_SLICE of them. Sides of
    one name (the same server in several processes) make one rate."""

    name: str
    port: int
    path: str
    first_page: int | None = None


class Alternated(NamedTuple):
    """Requests per second of each side's name, over SLICES slices taken in turn and every
    process of that name; and of each of its processes, in the order of `sides`."""

    rates: dict[str, float]
    by_process: dict[str, list[float]]


def alternating(sides: Sequence[Side], run: dict[str, Any]) -> Alternated:
    """Each side asked SLICES times in turn, every other time in the other order."""
    # By side (one process of a server); a name's rate is over all its sides.
    requests = dict.fromkeys(sides, 0)
    seconds = dict.fromkeys(sides, 0.0)
    for index in range(SLICES):
        # Every other slice in the other order, so that no side always goes first.
        for side in sides if index % 2 == 0 else list(reversed(sides)):
            sequence = None
            limit = run["max_requests"]
            if side.first_page is not None:
                start = side.first_page + index * PAGES_PER_SLICE
                sequence, limit = range(start, start + PAGES_PER_SLICE), PAGES_PER_SLICE
            figures = load(
                side.port,
                side.path,
                sequence=sequence,
                **{
                    **run,
                    "warmup": 0.2,
                    "duration": SLICE_SECONDS,
                    "max_requests": limit,
                },
            )
            if figures.not_ok or figures.errors:
                raise RuntimeError(
                    f"{side.name}: {figures.not_ok} not 200, {figures.errors} errors"
                )
            requests[side] += figures.requests
            seconds[side] += figures.seconds
    rates, by_process = {}, {}
    for name in dict.fromkeys(side.name for side in sides):
        own = [side for side in sides if side.name == name]
        rates[name] = sum(requests[side] for side in own) / sum(seconds[side] for side in own)
        by_process[name] = [requests[side] / seconds[side] for side in own]
    return Alternated(rates, by_process)


@dataclass(frozen=True)
class Extras:
    """What the run measured besides the scenarios."""

    # Seconds per cold record by step of its task (in-process, bench/profile.py).
    step_costs: dict[int, float]
    # Requests per second by side of the alternating run (`alternating_sides`).
    rates: dict[str, float]
    # The same, by process of each side (its slowest and fastest shown in the table).
    by_process: dict[str, list[float]] = field(default_factory=dict)
    prism: Figures | None = None
    prism_note: str = ""
    # nginx's figures by scenario name, or why there are none.
    nginx: dict[str, Figures] | None = None
    nginx_note: str = ""


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
    """A scenario on the mock (access log off), the bare-ASGI ceiling and Starlette's."""

    scenario: Scenario
    mock: Figures
    ceiling: Figures
    starlette: Figures | None = None


def pin_to_server_cpu() -> None:
    os.sched_setaffinity(0, {SERVER_CPU})


@contextmanager
def server(
    module: str,
    *arguments: str,
    probe: str,
    pin: bool,
    options: Sequence[str] = SERVER_OPTIONS,
    log: Path | None = None,
) -> Iterator[tuple[int, int]]:
    """`python -m module` on a free loopback port; yields (port, pid) once it answers `probe`.
    Its standard output (the access log) goes to `log`, or nowhere."""
    port = free_port()
    command = [sys.executable, "-m", module, *arguments, "--port", str(port), *options]
    with ExitStack() as stack:
        stdout = stack.enter_context(log.open("wb")) if log is not None else subprocess.DEVNULL
        process = stack.enter_context(
            started(
                command,
                f"http://{HOST}:{port}{probe}",
                stdout=stdout,
                preexec_fn=pin_to_server_cpu if pin else None,
                timeout=60,
            )
        )
        yield port, process.pid


NGINX_CONFIG = """daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 60s;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    server {{
        listen {host}:{port};
        location / {{
            root {bodies};
            default_type application/json;
            try_files $uri.json =404;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    """nginx, where it is installed (Debian's package puts it in /usr/sbin)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


@contextmanager
def nginx_server(binary: str, bodies: Path, probe: str, pin: bool) -> Iterator[int]:
    """nginx serving the same bodies as the ceilings at /NAME: one process, no access log."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as root:
        config = Path(root) / "nginx.conf"
        config.write_text(
            NGINX_CONFIG.format(root=root, host=HOST, port=port, bodies=bodies.resolve())
        )
        command = [binary, "-p", root, "-c", str(config)]
        with started(
            command,
            f"http://{HOST}:{port}{probe}",
            preexec_fn=pin_to_server_cpu if pin else None,
            timeout=30,
        ):
            yield port


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
        for server, figures in (
            ("mock", row.mock),
            ("ceiling", row.ceiling),
            ("Starlette", row.starlette),
        )
        if figures is not None
    ]
    runs += [(f"{c.name} first/deep", "mock", figures) for c, figures in compared]
    return [
        f"{name} ({server}: {figures.not_ok} not 200, {figures.errors} errors)"
        for name, server, figures in runs
        if figures.not_ok or figures.errors
    ]


def untimed(label: str) -> str:
    """A target whose run timed no answer of a side: never PASS for what was not judged."""
    return f"- {label}: not measured, a side had no answer timed (NOT JUDGED)"


def target(label: str, value: float, limit: float, at_most: bool = False) -> str:
    """A target's line: its ratio, its limit, and PASS or MISS."""
    met = value <= limit if at_most else value >= limit
    shown = f"{value:.2f}"
    if float(shown) == limit and value != limit:
        # 0.4987 against 0.5 is a MISS: "0.50 (>= 0.5: MISS)" would read as a contradiction.
        shown = f"{value:.4f}"
    return f"- {label}: {shown} ({'<=' if at_most else '>='} {limit:g}: " + (
        "PASS)" if met else "MISS)"
    )


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


def nginx_lines(rows: Sequence[Row], extras: Extras) -> list[str]:
    """nginx serving the same bytes: what the machine allows, where nginx is installed."""
    if extras.nginx is None:
        return ["", f"nginx: no row ({extras.nginx_note})."]
    lines = [
        "",
        "nginx (one process, no access log) serving the same bytes, same client and core:",
        "",
        "| scenario | nginx req/s | bare ASGI req/s | bare ASGI / nginx | mock / nginx |",
        "|---|--:|--:|--:|--:|",
    ]
    for row in rows:
        figures = extras.nginx.get(row.scenario.name)
        if figures is None:
            continue
        rate = figures.requests_per_second
        lines.append(
            f"| {row.scenario.label} | {rate:,.0f} | {row.ceiling.requests_per_second:,.0f} "
            f"| {ratio(row.ceiling.requests_per_second, rate)} "
            f"| {ratio(row.mock.requests_per_second, rate)} |"
        )
    return lines


# The sides of the alternating run, as `alternating_table` names them.
SIDE_LABELS = {
    "bare": "bare-ASGI ceiling, 10-record page",
    "starlette": "Starlette ceiling, 10-record page",
    "mock": "mock, access log off, 10-record page",
    "logged": "mock as `make mock` serves it (access log on), 10-record page",
    "nojournal": "mock, access log and journal off, 10-record page",
    "fresh-first": "mock, fresh 10-record pages from record 1, each page once",
    "fresh-deep": "mock, fresh 10-record pages from record 1,000,001, each page once",
}


def alternating_table(extras: Extras) -> list[str]:
    rates = extras.rates
    bare = rates.get("bare", 0.0)
    lines = [
        "",
        f"In turn, {SLICES} slices of {SLICE_SECONDS:g} s each, in each of {PROCESSES} processes "
        "of every server (the targets' figures):",
        "",
        "| server and page | req/s | / bare ASGI | slowest and fastest process, req/s |",
        "|---|--:|--:|--:|",
    ]
    for name, rate in rates.items():
        processes = extras.by_process.get(name, [])
        spread = f"{min(processes):,.0f} and {max(processes):,.0f}" if processes else "-"
        lines.append(
            f"| {SIDE_LABELS.get(name, name)} | {rate:,.0f} | {ratio(rate, bare)} | {spread} |"
        )
    return lines


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
        *alternating_table(extras),
        *nginx_lines(rows, extras),
        *_comparison_table(compared),
        *prism_lines(by_name["page10"].mock, extras),
        "",
        "## Targets",
        "",
        "Issue 27, against the bare-ASGI ceiling:",
        "",
        *_issue27_targets(extras, compared, memory),
        "",
        "Issue 14:",
        "",
        *_targets(by_name, compared, extras),
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
        f"{options.warmup:g} s warm-up, {options.duration:g} s measured per server and scenario. "
        # Which loop wrote the mock's records (D81): fresh pages depend on it.
        f"Record writer: {record_writer()}.",
        "",
        "| scenario | mock req/s | bare ASGI req/s | mock / bare | Starlette req/s "
        "| mock / Starlette | mock p50 ms | bare p50 ms | mock p99 ms | bare p99 ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        mock, ceiling, starlette = row.mock, row.ceiling, row.starlette
        star_rate = starlette.requests_per_second if starlette else 0.0
        lines.append(
            f"| {row.scenario.label} | {mock.requests_per_second:,.0f} "
            f"| {ceiling.requests_per_second:,.0f} "
            f"| {ratio(mock.requests_per_second, ceiling.requests_per_second)} "
            f"| {star_rate:,.0f} | {ratio(mock.requests_per_second, star_rate)} "
            f"| {mock.p50_ms:.2f} | {ceiling.p50_ms:.2f} "
            f"| {mock.p99_ms:.2f} | {ceiling.p99_ms:.2f} |"
        )
    return lines


def _failures_line(
    rows: Sequence[Row], compared: Sequence[tuple[Comparison, Figures]]
) -> list[str]:
    failures = failed_requests(rows, compared)
    client_cpu = max(max(row.mock.client_cpu_share, row.ceiling.client_cpu_share) for row in rows)
    return [
        "",
        "Ratios are the mock's to a ceiling's (bare ASGI, or Starlette). Busiest client: "
        f"{client_cpu:.0%} of its core (below 100%: the client was not the limit). "
        + (f"Failed requests: {', '.join(failures)}." if failures else "Every answer was a 200."),
    ]


def _comparison_table(compared: Sequence[tuple[Comparison, Figures]]) -> list[str]:
    lines = [
        "",
        "Pages of `large-annotation-request` asked in turn in one run on one connection (the "
        "mock, access log off):",
        "",
        "| pages | first p50 ms | second p50 ms | second / first | first mean ms "
        "| second mean ms | second / first | first p99 ms | second p99 ms | second / first |",
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


def _issue27_targets(
    extras: Extras, compared: Sequence[tuple[Comparison, Figures]], memory: dict[str, float]
) -> list[str]:
    rates = extras.rates
    bare, mock, logged = rates["bare"], rates["mock"], rates["logged"]
    lines = [
        target(
            f"10-record page as `make mock` serves it (access log on) at >= {LOGGED_SHARE} of "
            f"the bare-ASGI ceiling ({logged:,.0f} and {bare:,.0f} req/s)",
            logged / bare,
            LOGGED_SHARE,
        ),
        target(
            f"the access log's cost, at most {ACCESS_LOG_COST:.0%} (1 - {logged:,.0f} / "
            f"{mock:,.0f} req/s, 10-record page, on and off)",
            1 - logged / mock,
            ACCESS_LOG_COST,
            at_most=True,
        ),
    ]
    if "nojournal" in rates:
        lines.append(
            target(
                f"the journal's cost, at most {JOURNAL_COST:.0%} (1 - {mock:,.0f} / "
                f"{rates['nojournal']:,.0f} req/s, 10-record page, access log off, journal on "
                "and off)",
                1 - mock / rates["nojournal"],
                JOURNAL_COST,
                at_most=True,
            )
        )
    else:
        lines.append(
            f"- the journal's cost, at most {JOURNAL_COST:.0%}: not measured (this build's mock "
            "has no `--no-journal`)"
        )
    for name, where in (("fresh-first", "record 1"), ("fresh-deep", "record 1,000,001")):
        lines.append(
            target(
                f"fresh 10-record pages from {where}, each page once, at >= {FRESH_SHARE} of "
                f"the bare-ASGI ceiling ({rates[name]:,.0f} and {bare:,.0f} req/s)",
                rates[name] / bare,
                FRESH_SHARE,
            )
        )
    fresh = dict(compared).get(COMPARISONS[3])
    if fresh is not None and not all(fresh.mean_by_path_ms):
        lines.append(untimed(f"a fresh 1000-record page at most {FRESH1000_TIMES:g} times"))
    elif fresh is not None:
        fresh_mean, again_mean = fresh.mean_by_path_ms
        lines.append(
            target(
                f"a fresh 1000-record page at most {FRESH1000_TIMES:g} times the same page "
                f"asked again (in turn on one connection: mean {fresh_mean:.3f} and "
                f"{again_mean:.3f} ms)",
                fresh_mean / again_mean,
                FRESH1000_TIMES,
                at_most=True,
            )
        )
    lines.append(_memory_target(memory))
    return lines


def _targets(
    by_name: Mapping[str, Row],
    compared: Sequence[tuple[Comparison, Figures]],
    extras: Extras,
) -> list[str]:
    return [
        _page10_target(extras),
        *_paging_target(compared),
        _step_cost_target(extras.step_costs),
        _page1000_target(by_name),
        *_deep_page_targets(compared),
    ]


def _page10_target(extras: Extras) -> str:
    mock10, ceiling10 = extras.rates["mock"], extras.rates["starlette"]
    return target(
        f"10-record page at >= {PAGE10_SHARE} of the Starlette ceiling ({mock10:,.0f} and "
        f"{ceiling10:,.0f} req/s in {SLICES} alternating slices of {SLICE_SECONDS:g} s, "
        f"{PROCESSES} processes each)",
        mock10 / ceiling10,
        PAGE10_SHARE,
    )


def _paging_target(compared: Sequence[tuple[Comparison, Figures]]) -> list[str]:
    paging = dict(compared).get(COMPARISONS[2])
    if paging is None:
        return []
    first_mean, deep_mean = paging.mean_by_path_ms
    if not (first_mean and deep_mean):
        return [untimed(f"paging once from record 1,000,001 at >= {DEEP_PAGING_SHARE}")]
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
    return target(
        f"a cold record at any step within {STEP_COST_LIMIT}x of one at step 0 (in-process, "
        + ", ".join(f"step {step} {cost * 1e6:.1f} us" for step, cost in costs.items())
        + f"; the worst, step {worst}, over step 0)",
        costs[worst] / costs[0],
        STEP_COST_LIMIT,
        at_most=True,
    )


def _page1000_target(by_name: Mapping[str, Row]) -> str:
    small, big = by_name["page10"].mock, by_name["page1000"].mock
    # What the bytes alone allow: the ceiling serves both pages pre-built.
    ceiling_sizes = (
        by_name["page1000"].ceiling.requests_per_second
        / by_name["page10"].ceiling.requests_per_second
    )
    # Issue 14 asked for 0.5 while the 10-record page was far below the ceiling. A server that
    # serves both pages at the ceiling's own rates gets the ceiling's ratio, below 0.5 on this
    # stack once the 10-record page nears it: the target is the lower of the two (C76).
    limit = min(PAGE1000_SHARE, round(ceiling_sizes, 2))
    return target(
        f"1000-record page at >= {PAGE1000_SHARE} of the 10-record page, or at >= the bare "
        f"ceiling's own 1000- / 10-record ratio where that is lower ({ceiling_sizes:.2f}; "
        "the table's rows)",
        big.requests_per_second / small.requests_per_second,
        limit,
    )


def _deep_page_targets(compared: Sequence[tuple[Comparison, Figures]]) -> list[str]:
    lines = []
    for comparison, figures in compared[:3]:
        first50, deep50 = figures.p50_by_path_ms
        first_mean, deep_mean = figures.mean_by_path_ms
        if not (first50 and deep50 and first_mean and deep_mean):
            lines.append(untimed(f"deep page within 10% of the first page, {comparison.label}"))
            continue
        slower50, slower_mean = deep50 / first50 - 1, deep_mean / first_mean - 1
        met = slower50 <= 0.10 and slower_mean <= 0.10
        lines.append(
            f"- deep page within 10% of the first page's latency (p50 and mean), "
            f"{comparison.label}: p50 {slower50:+.0%}, mean {slower_mean:+.0%} "
            f"(<= +10%: {'PASS' if met else 'MISS'})"
        )
    return lines


def _memory_target(memory: dict[str, float]) -> str:
    rss = memory["after_mb"]
    return (
        f"- resident size under {MEMORY_LIMIT_MB:.0f} MB after {memory['ids']:,.0f} distinct "
        f"annotation requests ({MEMORY_REQUESTS:,} requests of {MEMORY_IDS_PER_REQUEST} IDs, "
        f"{memory['seconds']:.0f} s): {rss:.0f} MB, peak {memory['peak_mb']:.0f} MB, "
        f"{memory['before_mb']:.0f} MB before (< {MEMORY_LIMIT_MB:.0f}: "
        + ("PASS)" if rss < MEMORY_LIMIT_MB else "MISS)")
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


def write_bodies(mock_port: int, scenarios: Sequence[Scenario]) -> Path:
    """The mock's answer of each scenario, as the ceilings and nginx serve it: NAME.json."""
    bodies = REPORTS / "bench-bodies"
    bodies.mkdir(parents=True, exist_ok=True)
    for scenario in scenarios:
        answer = httpx.get(f"http://{HOST}:{mock_port}{scenario.first_path()}", timeout=60)
        answer.raise_for_status()
        (bodies / f"{scenario.name}.json").write_bytes(answer.content)
    return bodies


def measure_scenarios(
    scenarios: Sequence[Scenario], ports: Mapping[str, int], run: dict[str, Any]
) -> list[Row]:
    """Each scenario on the bare ceiling, Starlette's, then the mock, under the same load."""
    rows: list[Row] = []
    for scenario in scenarios:
        print(f"bench: {scenario.name} ...", file=sys.stderr, flush=True)
        ceiling = load(ports["bare"], f"/{scenario.name}", sequence=None, **run)
        starlette = load(ports["starlette"], f"/{scenario.name}", sequence=None, **run)
        # A walk of pages asked once stops at its end rather than ask a page again.
        limit = len(scenario.sequence) if scenario.sequence else run["max_requests"]
        mock = load(
            ports["mock"],
            scenario.path,
            sequence=scenario.sequence,
            **{**run, "max_requests": limit},
        )
        rows.append(Row(scenario, mock, ceiling, starlette))
    return rows


def alternating_sides(ports: Mapping[str, Sequence[int]]) -> list[Side]:
    """The targets' sides: the ceilings and the mock's variants on the 10-record page, and the
    fresh pages of mocks of their own (no page of them is asked before); each in every process
    `ports` lists for it, the processes in turn (the first of each, then the second...)."""
    page10 = SCENARIOS[0].path
    walk = f"{RECORDS}?annotationRequestId={LARGE}&limit=10&offset={{n}}"
    # (side, the processes it is asked of, path, first page of a walk)
    kinds: list[tuple[str, str, str, int | None]] = [
        ("bare", "bare", "/page10", None),
        ("starlette", "starlette", "/page10", None),
        *((variant.name, variant.name, page10, None) for variant in MOCK_VARIANTS),
        ("fresh-first", "fresh", walk, 1),
        ("fresh-deep", "fresh", walk, 100_001),
    ]
    return [
        Side(name, ports[server][index], path, first_page)
        for index in range(max(map(len, ports.values()), default=0))
        for name, server, path, first_page in kinds
        if index < len(ports.get(server, ()))
    ]


def warm_fresh_mock(port: int, run: dict[str, Any]) -> None:
    """What a first request of a workflow draws once per process (its task histories), drawn
    on pages no side asks, so that the fresh pages measure a warm process."""
    walk = f"{RECORDS}?annotationRequestId={LARGE}&limit=10&offset={{n}}"
    load(port, walk, sequence=range(230_001, 250_001), **{**run, "duration": 2.0, "warmup": 0.0})


def measure_nginx(
    bodies: Path, scenarios: Sequence[Scenario], run: dict[str, Any]
) -> dict[str, Any]:
    """nginx's figures for every scenario, or why there are none (it is never required)."""
    binary = nginx_binary()
    if binary is None:
        return {"nginx_note": "nginx is not installed (Debian: apt-get install nginx)"}
    print("bench: nginx ...", file=sys.stderr, flush=True)
    try:
        with nginx_server(binary, bodies, f"/{scenarios[0].name}", pin=run["pin"]) as port:
            return {
                "nginx": {
                    scenario.name: load(port, f"/{scenario.name}", sequence=None, **run)
                    for scenario in scenarios
                }
            }
    except (OSError, RuntimeError) as error:
        return {"nginx_note": f"nginx did not run: {error}"}


def compare_pages(mock_port: int, run: dict[str, Any]) -> list[tuple[Comparison, Figures]]:
    """Pages asked in turn, on one connection."""
    compared: list[tuple[Comparison, Figures]] = []
    for comparison in COMPARISONS:
        print(f"bench: {comparison.name}, in turn ...", file=sys.stderr)
        # One connection: with several, a request's latency is mostly its wait behind the
        # others, the same for both kinds; alone, it is what serving the page costs. A walk
        # stops at its end rather than ask a page again.
        limit = 2 * len(comparison.sequence) if comparison.sequence else run["max_requests"]
        # Pages asked once each: a warm-up would spend the very pages it is there to time (a
        # 1000-record walk of 500 fresh pages once fitted in the warm-up whole, and nothing
        # was timed); the mock is warm from the scenarios before.
        warmup = 0.0 if comparison.sequence else run["warmup"]
        figures = load(
            mock_port,
            comparison.first,
            comparison.deep,
            sequence=comparison.sequence,
            **{**run, "connections": 1, "max_requests": limit, "warmup": warmup},
        )
        compared.append((comparison, figures))
    return compared


def mock_variants() -> list[MockVariant]:
    """The variants this build's mock can run (`needs` an option it offers)."""
    offered = subprocess.run(
        [sys.executable, "-m", "mockserver", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    return [variant for variant in MOCK_VARIANTS if not variant.needs or variant.needs in offered]


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
    # One core for the servers, one for the client: without two, both share what there is.
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
    probe = SCENARIOS[0].path
    REPORTS.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        ports: dict[str, int] = {}
        pids: dict[str, int] = {}
        # Every server of the alternating run in PROCESSES processes (the first of each also
        # serves the table's rows); with --only, one of each.
        copies = 1 if options.only else PROCESSES
        processes: dict[str, list[int]] = {}
        for variant in mock_variants():
            for index in range(copies):
                suffix = f"-{index + 1}" if index else ""
                log = REPORTS / f"bench-{variant.name}{suffix}.log"
                port, pid = stack.enter_context(
                    server(
                        "mockserver",
                        probe=probe,
                        pin=pinned,
                        options=variant.options,
                        log=log if variant.name == "logged" else None,
                    )
                )
                processes.setdefault(variant.name, []).append(port)
                if not index:
                    ports[variant.name], pids[variant.name] = port, pid
        # Mocks of their own for fresh pages: no page of them is asked before.
        processes["fresh"] = [
            stack.enter_context(server("mockserver", probe=probe, pin=pinned))[0]
            for _ in range(copies)
        ]
        bodies = write_bodies(ports["mock"], scenarios)
        for name, extra in (("bare", ()), ("starlette", ("--starlette",))):
            processes[name] = [
                stack.enter_context(
                    server("bench.ceiling", *extra, str(bodies), probe="/page10", pin=pinned)
                )[0]
                for _ in range(copies)
            ]
            ports[name] = processes[name][0]
        alternated = Alternated({}, {})
        if not options.only:
            print("bench: the targets, in alternating slices ...", file=sys.stderr, flush=True)
            for port in processes["fresh"]:
                warm_fresh_mock(port, run)
            alternated = alternating(alternating_sides(processes), run)
        rows = measure_scenarios(scenarios, ports, run)
        compared = compare_pages(ports["mock"], run) if not options.only else []
        memory = measure_memory(options, ports["mock"], pids["mock"], pinned)
    if options.only:
        # Targets compare scenarios with each other: without all of them, print the raw figures.
        for row in rows:
            print(json.dumps({"scenario": row.scenario.name, **asdict(row)}, default=str))
        print(json.dumps(memory))
        return 0
    extras = Extras(
        step_costs=step_costs,
        rates=alternated.rates,
        by_process=alternated.by_process,
        **measure_prism(run),
        **measure_nginx(bodies, scenarios, run),
    )
    table = render(rows, compared, memory, options, pinned, extras)
    results.record("throughput", results.throughput_rows(rows, extras.prism))
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(table, encoding="utf-8")
    print(table)
    print(f"(written to {options.output})")
    return 0
