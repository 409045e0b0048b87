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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx

from conformance.launch import HOST, ROOT, ServerDidNotStart, free_port, started, stop

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


async def client(
    base_url: str, until: float, tally: Tally, rng: random.Random, invalid_share: float
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
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


async def load(base_url: str, seconds: float, clients: int, tally: Tally, share: float) -> None:
    until = time.monotonic() + seconds
    await asyncio.gather(
        *(client(base_url, until, tally, random.Random(n), share) for n in range(clients))
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (60)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before sampling")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (32)")
    parser.add_argument("--invalid-share", type=float, default=0.2, help="share of bad requests")
    parser.add_argument(
        "--rss-tolerance-kib", type=int, default=16 * 1024, help="allowed RSS growth (16 MiB)"
    )
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports")
    options = parser.parse_args()

    port = free_port()
    base_url = f"http://{HOST}:{port}"
    command = [
        *(sys.executable, "-m", "mockserver", "--host", HOST, "--port", str(port)),
        *("--log-level", "warning"),
    ]
    tally = Tally()
    try:
        with started(command, f"{base_url}/ui/", stdout=None, stderr=None) as process:
            # Warm-up under the same load: caches, allocator arenas and imports settle first.
            share = options.invalid_share
            asyncio.run(load(base_url, options.warmup, options.clients, Tally(), share))
            rss_start = rss_kib(process.pid)
            started_at = time.monotonic()
            asyncio.run(load(base_url, options.duration, options.clients, tally, share))
            elapsed = time.monotonic() - started_at
            rss_end = rss_kib(process.pid)
            exit_code = stop(process, timeout=30)
    except ServerDidNotStart as error:
        raise SystemExit(f"soak: the mock did not start: {error}") from None

    valid_total = sum(tally.valid.values())
    invalid_total = sum(tally.invalid.values())
    valid_errors = valid_total - tally.valid["200/2000"]
    invalid_errors = invalid_total - tally.invalid["400/4005"]
    latencies = sorted(tally.latencies) or [0.0]
    growth = rss_end - rss_start
    passed = (
        valid_errors == 0
        and invalid_errors == 0
        and growth <= options.rss_tolerance_kib
        and exit_code == 0
    )
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "duration_s": round(elapsed, 1),
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
            "p50": round(latencies[len(latencies) // 2] * 1000, 1),
            "p99": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
            "max": round(latencies[-1] * 1000, 1),
        },
        "rss_kib": {
            "start": rss_start,
            "end": rss_end,
            "growth": growth,
            "tolerance": options.rss_tolerance_kib,
        },
        "server_exit_code": exit_code,
        "passed": passed,
    }
    text = json.dumps(report, indent=2)
    print(text)
    options.report_dir.mkdir(parents=True, exist_ok=True)
    path = options.report_dir / f"soak-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(text + "\n", encoding="utf-8")
    print(f"soak: report written to {path.relative_to(ROOT)}; {'PASSED' if passed else 'FAILED'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
