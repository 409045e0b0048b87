"""`python -m bench.proxy` (run by `make bench`): what the validating proxy costs a client.

The mock alone, then the proxy in front of the same mock, loaded by the same load generator
with the same pages; the table gives each one's p50/p99 latency and throughput and the ratio of
proxy to mock. The proxy reads each answer whole and judges it before the client gets it
(decision C32), so the cost grows with the page: a 10-record and a 1000-record page are shown.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench import results
from bench.runner import LARGE, RECORDS, REPORTS, load, ratio
from conformance.launch import HOST, free_port, started

PAGES = (
    ("10-record page", f"{RECORDS}?annotationRequestId={LARGE}&limit=10"),
    ("1000-record page", f"{RECORDS}?annotationRequestId={LARGE}&limit=1000"),
)
MOCK_OPTIONS = ("--log-level", "warning", "--no-access-log")


@contextmanager
def serving(command: Sequence[str], port: int) -> Iterator[int]:
    """The server's pid, once it answers."""
    with started(command, f"http://{HOST}:{port}{RECORDS}", timeout=60) as process:
        yield process.pid


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (Linux /proc): a figure the machine's other
    load inflates far less than latency."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(options: argparse.Namespace, found: list[dict[str, Any]] | None = None) -> list[str]:
    """The table's rows; each measured figure also appended to `found` (bench.json)."""
    mock_port, proxy_port = free_port(), free_port()
    mock = [sys.executable, "-m", "mockserver", "--port", str(mock_port), *MOCK_OPTIONS]
    rows = [
        "| page | mock p50 ms | proxy p50 ms | p50 ratio | mock p99 ms | proxy p99 ms "
        "| p99 ratio | mock req/s | proxy req/s | mock CPU ms/req | proxy CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as reports, serving(mock, mock_port) as mock_pid:
        proxy = [
            *(sys.executable, "-m", "conformance", "proxy", "--port", str(proxy_port)),
            *("--upstream", f"http://{HOST}:{mock_port}", "--report-dir", reports),
        ]
        with serving(proxy, proxy_port) as proxy_pid:
            for label, path in PAGES:
                figures, cpu = [], []
                for port, pids in ((mock_port, (mock_pid,)), (proxy_port, (mock_pid, proxy_pid))):
                    # One request first: the validators compile on a status's first answer.
                    httpx.get(f"http://{HOST}:{port}{path}", timeout=60)
                    before = [cpu_seconds(pid) for pid in pids]
                    figures.append(
                        load(
                            port,
                            path,
                            sequence=None,
                            connections=options.connections,
                            warmup=0,
                            duration=options.duration,
                            max_requests=1_000_000,
                            pin=False,
                        )
                    )
                    cpu.append(cpu_seconds(pids[-1]) - before[-1])
                alone, through = figures
                for name, measured, seconds in (
                    ("mock", alone, cpu[0]),
                    ("proxy", through, cpu[1]),
                ):
                    if found is not None:
                        found.append({
                            "page": label, "server": name, "p50_ms": measured.p50_ms,
                            "p99_ms": measured.p99_ms,
                            "requests_per_second": measured.requests_per_second,
                            "cpu_ms_per_request":
                                seconds * 1000 / measured.requests if measured.requests else 0.0,
                        })  # fmt: skip
                if alone.not_ok or through.not_ok or alone.errors or through.errors:
                    raise RuntimeError(f"{label}: answers other than 200 or errors: {figures}")
                rows.append(
                    f"| {label} | {alone.p50_ms:.2f} | {through.p50_ms:.2f} "
                    f"| {ratio(through.p50_ms, alone.p50_ms)} | {alone.p99_ms:.2f} "
                    f"| {through.p99_ms:.2f} | {ratio(through.p99_ms, alone.p99_ms)} "
                    f"| {alone.requests_per_second:.0f} | {through.requests_per_second:.0f} "
                    f"| {_per_request(cpu[0], alone.requests)} "
                    f"| {_per_request(cpu[1], through.requests)} |"
                )
    return rows


def _per_request(seconds: float, requests: int) -> str:
    return f"{seconds * 1000 / requests:.2f}" if requests else "-"


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.proxy", description=__doc__)
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured per run")
    options = parser.parse_args(arguments)
    found: list[dict[str, Any]] = []
    rows = measure(options, found)
    results.record("proxy", found)
    text = "\n".join(
        [
            "## The validating proxy in front of the mock, against the mock alone",
            "",
            f"{options.connections} keep-alive connections, {options.duration:g} s per run, "
            "loopback. CPU ms/req: the server process's CPU time (the proxy's own, for the "
            "proxy column) over the requests answered.",
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
