"""What a soak saw second by second: memory, throughput, latency and errors over time.

A verdict at the end says whether memory grew; a curve says when, and whether throughput or
latency drifted on the way. While the clients run, a task of the same event loop reads the
tally every `every` seconds: the requests answered since the last sample, their p50 and p99,
the unexpected answers among them, and the server's resident memory.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

EVERY_SECONDS = 1.0
EXPECTED_VALID = "200/2000"
EXPECTED_INVALID = "400/4005"


class Counted(Protocol):
    """What a sample reads of the soak's tally (soak/__main__.py's `Tally`)."""

    @property
    def valid(self) -> Counter[str]: ...

    @property
    def invalid(self) -> Counter[str]: ...

    @property
    def latencies(self) -> list[float]: ...


def errors(tally: Counted) -> int:
    """Answers other than the one expected: 2000 to a valid request, 4005 to an invalid one."""
    valid = sum(tally.valid.values()) - tally.valid[EXPECTED_VALID]
    return valid + sum(tally.invalid.values()) - tally.invalid[EXPECTED_INVALID]


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


async def sampled(
    work: Awaitable[None],
    tally: Counted,
    resident_kib: Callable[[], int],
    every: float = EVERY_SECONDS,
) -> list[dict[str, Any]]:
    """Run `work` (the clients) to its end, sampling every `every` seconds; the samples."""
    task = asyncio.ensure_future(work)
    samples: list[dict[str, Any]] = []
    started = last = time.monotonic()
    seen, failed = len(tally.latencies), errors(tally)
    while not task.done():
        await asyncio.wait({task}, timeout=every)
        now = time.monotonic()
        count = len(tally.latencies)
        window = sorted(tally.latencies[seen:count])
        failing = errors(tally)
        samples.append({
            "t_s": round(now - started, 3),
            "rss_kib": resident_kib(),
            "requests_per_s": round(len(window) / (now - last), 1) if now > last else 0.0,
            "p50_ms": round(_percentile(window, 0.5) * 1000, 2),
            "p99_ms": round(_percentile(window, 0.99) * 1000, 2),
            "errors": failing - failed,
        })  # fmt: skip
        seen, failed, last = count, failing, now
    await task  # its exception, if any, is the run's
    return samples
