"""`python -m bench.offsets` (run by `make bench`): latency by offset, cold and warm.

The contract's deep-page promise is that page 200,000 costs what page 1 costs. Pages at a
range of offsets of the 2,500,000-record request are asked in turn on one connection, in two
runs: warm (the same page again and again: the mock's page cache answers) and cold (each page
once: every one is generated). Asked in turn, all offsets meet the same moments of a shared
machine. The figures go to `reports/bench.json` (section `latency_by_offset`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from bench import results
from bench.runner import LARGE, RECORDS, SCENARIOS, load, server

OFFSETS = (1, 100, 1_000, 10_000, 100_000, 240_000)
LIMIT = 10
# Pages per offset in the cold run: far more than a run reaches, so none is asked twice.
COLD_PAGES = 5_000


def path(offset: str | int) -> str:
    return f"{RECORDS}?annotationRequestId={LARGE}&limit={LIMIT}&offset={offset}"


def measure(duration: float, pinned: bool) -> list[dict[str, Any]]:
    run: dict[str, Any] = {"connections": 1, "warmup": 0.2, "duration": duration,
                           "max_requests": 1_000_000, "pin": pinned}  # fmt: skip
    rows: list[dict[str, Any]] = []
    with server("mockserver", probe=SCENARIOS[0].path, pin=pinned) as (port, _):
        warm = load(port, *(path(o) for o in OFFSETS), sequence=None, **run)
        # `{n+K}` runs through COLD_PAGES pages from each offset, one page of each in turn.
        cold_paths = [path(f"{{n+{offset - 1}}}") for offset in OFFSETS]
        cold = load(port, *cold_paths, sequence=range(1, COLD_PAGES + 1), **run)
    for mode, figures in (("warm", warm), ("cold", cold)):
        if figures.not_ok or figures.errors:
            raise RuntimeError(f"{mode}: answers other than 200, or errors: {figures}")
        for index, offset in enumerate(OFFSETS):
            rows.append({
                "mode": mode, "limit": LIMIT, "offset": offset,
                "p50_ms": figures.p50_by_path_ms[index], "p99_ms": figures.p99_by_path_ms[index],
                "mean_ms": figures.mean_by_path_ms[index],
            })  # fmt: skip
    return rows


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.offsets", description=__doc__)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds measured per run")
    options = parser.parse_args(arguments)
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    print("bench: latency by offset, warm then cold ...", file=sys.stderr, flush=True)
    rows = measure(options.duration, pinned)
    results.record("latency_by_offset", rows)
    for row in rows:
        print(f"{row['mode']:5} offset {row['offset']:>7}: p50 {row['p50_ms']:.3f} ms, "
              f"p99 {row['p99_ms']:.3f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
