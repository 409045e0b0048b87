"""`python -m soak`: hold concurrent clients against a fresh mock and report errors and memory.

Loopback only and bounded in time. Valid requests must all answer 2000; a share of invalid
ones must all answer 4005. The server's resident memory is sampled after a warm-up and at the
end; the run fails if any request failed or memory grew beyond the tolerance.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from bench.loadgen import percentile
from conformance.launch import HOST, ROOT, ServerDidNotStart, free_port, started, stop
from soak.series import sampled

VALID_IDS = ["7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b", "soak-a", "soak-b", "é" * 100]
INVALID_QUERIES = [
    "limit=0",
    "limit=abc",
    "offset=-1",
    "annotationRequestId=" + "x" * 256,
    "annotationRequestId=%FF",
    "annotationRequestId=a%00",
    "annotationRequestId=" + ",".join(f"i{n}" for n in range(101)),
]


@dataclass
class Tally:
    valid: Counter[str] = field(default_factory=Counter)
    invalid: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def valid_url(rng: random.Random) -> str:
    ids = rng.sample(VALID_IDS, rng.randint(1, 3))
    query = "&".join(f"annotationRequestId={quote(i)}" for i in ids)
    return (
        f"/statistics/record?{query}&offset={rng.randint(1, 50)}&limit={rng.choice([1, 10, 100])}"
    )


@dataclass(frozen=True)
class SoakOptions:
    """A soak run; the defaults are `make soak`'s."""

    duration: float = 60.0
    warmup: float = 10.0
    clients: int = 32
    invalid_share: float = 0.2
    rss_tolerance_kib: int = 16 * 1024
    report_dir: Path = ROOT / "reports"


@dataclass(frozen=True)
class Measurement:
    """What a run saw of the server, besides the answers."""

    elapsed: float
    rss_start_kib: int
    rss_end_kib: int
    exit_code: int
    # A sample a second while the clients ran (soak/series.py), for soak.html.
    series: tuple[dict[str, Any], ...] = ()


async def client(
    http: httpx.AsyncClient,
    base_url: str,
    until: float,
    tally: Tally,
    rng: random.Random,
    invalid_share: float,
) -> None:
    while time.monotonic() < until:
        invalid = rng.random() < invalid_share
        if invalid:
            # Invalid queries are sent pre-encoded so that the bytes arrive as written.
            extra = rng.choice(INVALID_QUERIES)
            base = "annotationRequestId=a&" if "annotationRequestId" not in extra else ""
            url = httpx.URL(f"{base_url}/statistics/record?{base}{extra}")
        else:
            url = httpx.URL(f"{base_url}{valid_url(rng)}")
        started = time.monotonic()
        try:
            response = await http.get(url)
            outcome = f"{response.status_code}/{response.json().get('code')}"
        except (httpx.HTTPError, ValueError) as error:
            outcome = f"error/{type(error).__name__}"
        tally.latencies.append(time.monotonic() - started)
        (tally.invalid if invalid else tally.valid)[outcome] += 1


async def load(
    base_url: str,
    seconds: float,
    clients: int,
    tally: Tally,
    share: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """`clients` concurrent clients for `seconds`; `transport` replaces the network in tests."""
    until = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base_url, timeout=30, transport=transport) as http:
        await asyncio.gather(
            *(client(http, base_url, until, tally, random.Random(n), share) for n in range(clients))
        )


def build_parser(defaults: SoakOptions = SoakOptions()) -> argparse.ArgumentParser:
    d = defaults
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    add = parser.add_argument
    add("--duration", type=float, default=d.duration, help="seconds of load (%(default)g)")
    add("--warmup", type=float, default=d.warmup, help="seconds before sampling (%(default)g)")
    add("--clients", type=int, default=d.clients, help="concurrent clients (%(default)s)")
    add("--invalid-share", type=float, default=d.invalid_share, help="share of bad requests")
    add(
        "--rss-tolerance-kib",
        type=int,
        default=d.rss_tolerance_kib,
        help="allowed RSS growth in KiB (%(default)s)",
    )
    add("--report-dir", type=Path, default=d.report_dir)
    return parser


def options_from_arguments(arguments: Sequence[str] | None = None) -> SoakOptions:
    """The options, checked; an impossible one exits 2 with argparse's message naming it."""
    parser = build_parser()
    parsed = parser.parse_args(arguments)
    if not parsed.duration > 0:
        parser.error(f"--duration: {parsed.duration:g} is not above 0 seconds")
    if not parsed.warmup >= 0:
        parser.error(f"--warmup: {parsed.warmup:g} is negative")
    if parsed.clients < 1:
        parser.error(f"--clients: {parsed.clients} is below 1")
    if not 0 <= parsed.invalid_share < 1:
        parser.error(f"--invalid-share: {parsed.invalid_share:g} is not in [0, 1)")
    return SoakOptions(**vars(parsed))


def measure(options: SoakOptions, tally: Tally) -> Measurement:
    """A fresh mock under load: warm-up, then `duration` seconds counted into `tally`."""
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    command = [
        *(sys.executable, "-m", "mockserver", "--host", HOST, "--port", str(port)),
        *("--log-level", "warning"),
    ]
    share = options.invalid_share
    with started(command, f"{base_url}/ui/", stdout=None, stderr=None) as process:
        # Warm-up under the same load: caches, allocator arenas and imports settle first.
        asyncio.run(load(base_url, options.warmup, options.clients, Tally(), share))
        rss_start = rss_kib(process.pid)
        started_at = time.monotonic()
        work = load(base_url, options.duration, options.clients, tally, share)
        samples = asyncio.run(sampled(work, tally, lambda: rss_kib(process.pid)))
        elapsed = time.monotonic() - started_at
        rss_end = rss_kib(process.pid)
        exit_code = stop(process, timeout=30)
    return Measurement(elapsed, rss_start, rss_end, exit_code, tuple(samples))


def report(options: SoakOptions, tally: Tally, measured: Measurement) -> dict[str, Any]:
    """The verdict and its figures; `problems` says why a run failed."""
    valid_total = sum(tally.valid.values())
    invalid_total = sum(tally.invalid.values())
    valid_errors = valid_total - tally.valid["200/2000"]
    invalid_errors = invalid_total - tally.invalid["400/4005"]
    latencies = sorted(tally.latencies) or [0.0]
    growth = measured.rss_end_kib - measured.rss_start_kib
    problems = []
    # A run that sent nothing proved nothing: it fails rather than passing vacuously.
    if valid_total == 0:
        problems.append("no valid request was answered")
    if valid_errors:
        problems.append(f"{valid_errors} valid requests did not answer 200/2000")
    if invalid_errors:
        problems.append(f"{invalid_errors} invalid requests did not answer 400/4005")
    if growth > options.rss_tolerance_kib:
        problems.append(f"resident memory grew {growth} KiB")
    if measured.exit_code != 0:
        problems.append(f"the server exited with {measured.exit_code}")
    elapsed = measured.elapsed or float("inf")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "duration_s": round(measured.elapsed, 1),
        "clients": options.clients,
        "requests": valid_total + invalid_total,
        "requests_per_s": round((valid_total + invalid_total) / elapsed, 1),
        "valid": {"total": valid_total, "errors": valid_errors, "outcomes": dict(tally.valid)},
        "invalid": {
            "total": invalid_total,
            "not_4005": invalid_errors,
            "outcomes": dict(tally.invalid),
        },
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1),
            "p99": round(percentile(latencies, 0.99) * 1000, 1),
            "max": round(latencies[-1] * 1000, 1),
        },
        "rss_kib": {
            "start": measured.rss_start_kib,
            "end": measured.rss_end_kib,
            "growth": growth,
            "tolerance": options.rss_tolerance_kib,
        },
        "server_exit_code": measured.exit_code,
        "problems": problems,
        "passed": not problems,
        "series": list(measured.series),
    }


def write_charts(result: dict[str, Any], path: Path) -> None:
    """soak.html, when matplotlib (the `charts` extra) is installed; else one line says so."""
    try:
        from soak.charts import render

        text = render(result)
    except ImportError:
        print("soak: no charts: matplotlib is not installed (pip install '.[charts]')")
        return
    path.write_text(text, encoding="utf-8")
    print(f"soak: charts written to {path}")


def main(arguments: Sequence[str] | None = None) -> int:
    options = options_from_arguments(arguments)
    tally = Tally()
    try:
        measured = measure(options, tally)
    except ServerDidNotStart as error:
        raise SystemExit(f"soak: the mock did not start: {error}") from None
    result = report(options, tally, measured)
    text = json.dumps(result, indent=2)
    print(text)
    options.report_dir.mkdir(parents=True, exist_ok=True)
    path = options.report_dir / f"soak-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(text + "\n", encoding="utf-8")
    verdict = "PASSED" if result["passed"] else "FAILED: " + "; ".join(result["problems"])
    print(f"soak: report written to {path}; {verdict}")
    write_charts(result, options.report_dir / "soak.html")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
