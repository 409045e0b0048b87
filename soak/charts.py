"""`soak.html`: a soak's samples over time as four charts (the `charts` extra, matplotlib).

Resident memory, requests per second, p50 and p99 latency, and unexpected answers, each
against the seconds since the measured run began; written next to the run's JSON report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.plot import Chart, figure, page, svg

CHARTS = (
    ("memory", "Resident memory over time", "resident memory, MiB"),
    ("throughput", "Requests per second over time", "requests per second"),
    ("latency", "p50 and p99 latency over time", "latency, ms"),
    ("errors", "Errors over time", "unexpected answers per sample"),
)


def _chart(key: str, title: str, label: str, samples: Sequence[Mapping[str, Any]]) -> Chart:
    times = [float(s["t_s"]) for s in samples]
    fig, ax = figure(height=2.8)
    if key == "memory":
        ax.plot(times, [s["rss_kib"] / 1024 for s in samples], marker=".")
    elif key == "throughput":
        ax.plot(times, [s["requests_per_s"] for s in samples], marker=".")
    elif key == "latency":
        ax.plot(times, [s["p50_ms"] for s in samples], marker=".", label="p50")
        ax.plot(times, [s["p99_ms"] for s in samples], marker=".", label="p99")
        ax.legend(frameon=False, fontsize=8)
    else:
        ax.bar(times, [s["errors"] for s in samples], width=0.8, color="#b03024")
    ax.set_xlabel("seconds since the measured run began")
    ax.set_ylabel(label)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    note = ""
    if key == "errors":
        # With none, the chart has no bar at all: say that it was measured and none came.
        total = sum(int(s["errors"]) for s in samples)
        note = f"{total:,} unexpected answers in {len(samples)} samples."
    return Chart(key, title, svg(fig), note)


def render(result: Mapping[str, Any]) -> str:
    """The page of one soak report (soak/__main__.py's `report`, with its `series`)."""
    samples = result.get("series") or []
    verdict = "PASSED" if result.get("passed") else "FAILED: " + "; ".join(result["problems"])
    intro = [
        f"{result.get('date', '')}: {result.get('clients')} clients for "
        f"{result.get('duration_s')} s, {result.get('requests')} requests; {verdict}.",
    ]
    if not samples:
        charts = [
            Chart(key, title, missing="the report has no samples") for key, title, _ in CHARTS
        ]
    else:
        charts = [_chart(key, title, label, samples) for key, title, label in CHARTS]
    return page("make soak", intro, charts)
