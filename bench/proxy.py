"""`python -m bench.proxy` (run by `make bench`): the validating proxy against Prism's, in front
of the same mock, from one run.

Three servers, each in a process of its own, loaded by the same load generator with the same
pages: the mock alone (the upstream), this project's proxy in front of it, and Prism's
(`prism proxy`, `@stoplight/prism-cli`) in front of it whenever Prism runs without installing
anything (`bench.runner.prism_command`: $PRISM, `prism` on the PATH, or npx's cache). For the
10-record and the 1000-record page it gives each server's throughput under 16 connections and
its CPU per request, the ratios ours / Prism and ours / upstream, then the median latency each
proxy adds on one connection (no queueing), and the targets of issue 23 as PASS or MISS. The
servers are measured in short slices taken in turn, so that a shared machine's moments fall on
all of them alike. Last, 2,000 clients connect to our proxy at once, and its resident size is
read while they are all connected (memory bounded under many clients).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import httpx

from bench import results
from bench.runner import LARGE, RECORDS, REPORTS, load, prism_command, ratio, resident_mb
from conformance.launch import HOST, free_port, started

PAGES = (
    ("10-record page", f"{RECORDS}?annotationRequestId={LARGE}&limit=10"),
    ("1000-record page", f"{RECORDS}?annotationRequestId={LARGE}&limit=1000"),
)
MOCK_OPTIONS = ("--log-level", "warning", "--no-access-log")
# Issue 23's targets.
THROUGHPUT_OVER_PRISM = 1.5
ADDED_P50_AIM_MS = 0.5
CLIENTS = 2_000
# Resident size our proxy may gain while CLIENTS are connected at once.
CLIENTS_RSS_LIMIT_MB = 150.0


@dataclass
class Tally:
    """One server's slices of one page, added up."""

    requests: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    p50s: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)
    failed: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1000 / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    pid: int


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (Linux /proc): a figure the machine's other
    load inflates far less than latency."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pid: int) -> float:
    """The CPU of a process and its children's (npx runs Prism as a child of its own)."""
    total = cpu_seconds(pid)
    with suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            total += group_cpu_seconds(int(child))
    return total


def more_files() -> None:
    """Room for CLIENTS connections: the soft limit of open files raised to the hard one (the
    servers started after this inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 3 * CLIENTS + 100
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


@contextmanager
def own_group(command: Sequence[str], probe: str, log: Path) -> Iterator[int]:
    """`command` in a process group of its own (npx's child must not outlive the run); its pid
    once `probe` answers."""
    group: list[int] = []
    with log.open("wb") as sink:
        try:
            with started(
                command,
                probe,
                stdout=sink,
                stderr=sink,
                preexec_fn=os.setsid,
                on_start=lambda process: group.append(process.pid),
                timeout=120,
            ) as process:
                yield process.pid
        finally:
            for pid in group:
                with suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGTERM)


def slices(
    servers: Sequence[Server], path: str, connections: int, rounds: int, seconds: float
) -> dict[str, Tally]:
    """Each server loaded `rounds` times for `seconds`, in turn, the order reversed each round."""
    tallies = {server.name: Tally() for server in servers}
    for index in range(rounds):
        order = servers if index % 2 == 0 else list(reversed(servers))
        for server in order:
            before = group_cpu_seconds(server.pid)
            figures = load(
                server.port,
                path,
                sequence=None,
                connections=connections,
                warmup=0.3,
                duration=seconds,
                max_requests=5_000_000,
                pin=False,
            )
            tally = tallies[server.name]
            tally.cpu += group_cpu_seconds(server.pid) - before
            tally.requests += figures.requests
            tally.seconds += figures.seconds
            tally.p50s.append(figures.p50_ms)
            tally.p99s.append(figures.p99_ms)
            tally.failed += figures.not_ok + figures.errors
    return tallies


async def _hold(port: int, path: str, clients: int, pid: int) -> tuple[int, float]:
    """`clients` connections at once, each asking `path`; (answered, resident MB) read while
    every connection is still open."""
    request = f"GET {path} HTTP/1.1\r\nhost: {HOST}\r\n\r\n".encode()

    async def one() -> tuple[asyncio.StreamWriter, bool]:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        return writer, head.startswith(b"HTTP/1.1 200")

    done = await asyncio.gather(*(one() for _ in range(clients)), return_exceptions=True)
    rss, _ = resident_mb(pid)
    answered = 0
    for item in done:
        if isinstance(item, BaseException):
            continue
        writer, ok = item
        answered += ok
        writer.close()
    return answered, rss


def many_clients(server: Server, path: str) -> tuple[int, float, float]:
    """(answered, resident MB before, resident MB with CLIENTS connected) of our proxy."""
    before, _ = resident_mb(server.pid)
    answered, during = asyncio.run(_hold(server.port, path, CLIENTS, server.pid))
    return answered, before, during


def verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


def measure(options: argparse.Namespace) -> list[str]:
    more_files()
    prism = prism_command()
    logs = Path(tempfile.mkdtemp(prefix="bench-proxy-"))
    with ExitStack() as stack:
        mock_port, ours_port = free_port(), free_port()
        mock_pid = stack.enter_context(
            own_group(
                [sys.executable, "-m", "mockserver", "--port", str(mock_port), *MOCK_OPTIONS],
                f"http://{HOST}:{mock_port}{RECORDS}",
                logs / "mock.log",
            )
        )
        upstream = f"http://{HOST}:{mock_port}"
        ours_pid = stack.enter_context(
            own_group(
                [
                    *(sys.executable, "-m", "conformance", "proxy", "--port", str(ours_port)),
                    *("--upstream", upstream, "--report-dir", str(logs)),
                ],
                f"http://{HOST}:{ours_port}{RECORDS}",
                logs / "proxy.log",
            )
        )
        servers = [Server("upstream", mock_port, mock_pid), Server("ours", ours_port, ours_pid)]
        prism_note = "Prism: no row (npx or @stoplight/prism-cli not available; set PRISM)."
        if prism is not None:
            prism_port = free_port()
            try:
                prism_pid = stack.enter_context(
                    own_group(
                        [
                            *prism,
                            "proxy",
                            "openapi.yaml",
                            upstream,
                            "-h",
                            HOST,
                            "-p",
                            str(prism_port),
                        ],
                        f"http://{HOST}:{prism_port}{RECORDS}",
                        logs / "prism.log",
                    )
                )
                servers.append(Server("prism", prism_port, prism_pid))
                prism_note = f"Prism: `{' '.join(prism)} proxy openapi.yaml {upstream}`."
            except (OSError, RuntimeError) as error:
                prism_note = f"Prism: no row (it did not start: {error})."
        return _rows(options, servers, prism_note)


def _rows(options: argparse.Namespace, servers: list[Server], prism_note: str) -> list[str]:
    loaded: dict[str, dict[str, Tally]] = {}
    alone: dict[str, dict[str, Tally]] = {}
    for label, path in PAGES:
        for server in servers:
            # One request first: the validators compile on a status's first answer.
            httpx.get(f"http://{HOST}:{server.port}{path}", timeout=60)
        print(f"bench.proxy: {label}, {options.connections} connections ...", file=sys.stderr)
        loaded[label] = slices(servers, path, options.connections, options.rounds, options.slice)
        print(f"bench.proxy: {label}, one connection ...", file=sys.stderr)
        alone[label] = slices(servers, path, 1, options.rounds, options.slice)
    ours = next(server for server in servers if server.name == "ours")
    print(f"bench.proxy: {CLIENTS} clients at once ...", file=sys.stderr)
    crowd = many_clients(ours, PAGES[0][1])
    # The same figures as data, for bench.html (bench/charts.py).
    results.record("proxy", [
        {"page": label, "server": name, "p50_ms": median(tally.p50s),
         "p99_ms": median(tally.p99s), "requests_per_second": tally.rate,
         "cpu_ms_per_request": tally.cpu_ms}
        for label, by_server in loaded.items()
        for name, tally in by_server.items()
    ])  # fmt: skip
    return render(options, [server.name for server in servers], loaded, alone, crowd, prism_note)


def render(
    options: argparse.Namespace,
    names: list[str],
    loaded: dict[str, dict[str, Tally]],
    alone: dict[str, dict[str, Tally]],
    crowd: tuple[int, float, float],
    prism_note: str,
) -> list[str]:
    """The tables and the targets, from the figures of one run."""
    has_prism = "prism" in names
    lines = [
        f"{options.connections} keep-alive connections; each server measured in "
        f"{options.rounds} slices of {options.slice:g} s taken in turn; loopback. CPU ms/req: "
        "the server process's CPU time (user + system, /proc) over the requests it answered. "
        + prism_note,
        "",
        "| page | server | req/s | p50 ms | p99 ms | CPU ms/req | ours / this |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    failed = []
    for label, _ in PAGES:
        ours = loaded[label]["ours"]
        for name in names:
            tally = loaded[label][name]
            failed += [f"{label} {name}"] if tally.failed or alone[label][name].failed else []
            lines.append(
                f"| {label} | {name} | {tally.rate:,.0f} | {median(tally.p50s):.2f} "
                f"| {median(tally.p99s):.2f} | {tally.cpu_ms:.3f} "
                f"| {'-' if name == 'ours' else ratio(ours.rate, tally.rate)} |"
            )
    lines += [
        "",
        "Added median latency on one connection (the proxy's p50 minus the upstream's alone):",
        "",
        "| page | upstream p50 ms | ours p50 ms | ours added ms | Prism p50 ms | Prism added ms |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    added: dict[str, tuple[float, float | None]] = {}
    for label, _ in PAGES:
        p50 = {name: median(alone[label][name].p50s) for name in names}
        ours_added = p50["ours"] - p50["upstream"]
        prism_added = p50["prism"] - p50["upstream"] if has_prism else None
        added[label] = (ours_added, prism_added)
        prism_cells = (
            f"{p50['prism']:.2f} | {prism_added:.2f}" if prism_added is not None else "- | -"
        )
        lines.append(
            f"| {label} | {p50['upstream']:.2f} | {p50['ours']:.2f} | {ours_added:.2f} "
            f"| {prism_cells} |"
        )
    lines += ["", "Targets (issue 23):", ""]
    for label, _ in PAGES:
        ours = loaded[label]["ours"]
        if has_prism:
            share = ours.rate / loaded[label]["prism"].rate
            lines.append(
                f"- {label}: ours at >= {THROUGHPUT_OVER_PRISM}x Prism's throughput: "
                f"{share:.2f}x ({verdict(share >= THROUGHPUT_OVER_PRISM)})"
            )
        ours_added, prism_added = added[label]
        against = (
            f"Prism's {prism_added:.2f} ms ({verdict(ours_added <= prism_added)})"
            if prism_added is not None
            else "Prism's: no row"
        )
        lines.append(
            f"- {label}: one-connection added p50 {ours_added:.2f} ms, at most {against}; "
            f"aim {ADDED_P50_AIM_MS} ms ({verdict(ours_added <= ADDED_P50_AIM_MS)})"
        )
    lines.append(
        "- ours / upstream throughput: "
        + ", ".join(
            f"{label} {ratio(loaded[label]['ours'].rate, loaded[label]['upstream'].rate)}"
            for label, _ in PAGES
        )
    )
    answered, before, during = crowd
    grown = during - before
    lines.append(
        f"- {CLIENTS:,} clients connected at once to ours: {answered:,} answered 200; resident "
        f"size {before:.0f} MB before, {during:.0f} MB with all connected: +{grown:.0f} MB, "
        f"at most +{CLIENTS_RSS_LIMIT_MB:.0f} MB "
        f"({verdict(grown <= CLIENTS_RSS_LIMIT_MB and answered == CLIENTS)})"
    )
    if failed:
        lines.append(f"- answers other than 200, or errors: {', '.join(failed)} (MISS)")
    return lines


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.proxy", description=__doc__)
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--rounds", type=int, default=3, help="slices per server and load")
    parser.add_argument("--slice", type=float, default=2.0, help="seconds of one slice")
    options = parser.parse_args(arguments)
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = measure(options)
    text = "\n".join(
        [
            f"## The validating proxy, against Prism's, in front of the mock ({started_at})",
            "",
            *rows,
        ]
    )
    print(text)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench-proxy.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
