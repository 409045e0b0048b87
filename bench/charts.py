"""`python -m bench.charts` (run by `make bench`): `reports/bench.html` from `reports/bench.json`.

Three pictures of what `make bench` measured: throughput by page size for every server it
loaded (the mock, the ceiling, Prism, and any other the bench adds); latency by offset, warm
and cold (the deep-page promise: a flat line); the validating proxy's cost against the mock
alone. A section the run did not measure says so instead of a picture. Needs the `charts`
extra (matplotlib).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.plot import Chart, figure, page, svg
from bench.results import RESULTS

Rows = Sequence[Mapping[str, Any]]


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _grouped_bars(
    ax: Any, groups: Sequence[str], series: Mapping[str, Sequence[float | None]]
) -> None:
    width = 0.8 / max(1, len(series))
    for index, (name, values) in enumerate(series.items()):
        positions = [g + (index - (len(series) - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(positions, [value or 0.0 for value in values], width, label=name)
        # A value the run did not measure is said so on the chart, not drawn as a 0.
        labels = ["not measured" if value is None else _number(value) for value in values]
        ax.bar_label(bars, labels=labels, fontsize=7, padding=2)
    ax.set_xticks(range(len(groups)), groups)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def throughput(rows: Rows) -> Chart:
    """Requests per second by page size, for the first page of a single ID, by server."""
    chosen = [r for r in rows if r.get("ids") == 1 and r.get("offset") in (1, None)]
    if not chosen:
        return Chart("throughput", "Throughput by page size", missing="no first-page rows")
    sizes = sorted({int(r["limit"]) for r in chosen})
    servers = list(dict.fromkeys(str(r["server"]) for r in chosen))
    series: dict[str, list[float | None]] = {}
    for name in servers:
        by_size = {int(r["limit"]): float(r["requests_per_second"])
                   for r in reversed(chosen) if r["server"] == name}  # fmt: skip
        series[name] = [by_size.get(size) for size in sizes]
    fig, ax = figure()
    _grouped_bars(ax, [f"{size} records" for size in sizes], series)
    ax.set_ylabel("requests per second")
    missing = [
        f"{name} at {size}"
        for name in servers
        for size, v in zip(sizes, series[name], strict=True)
        if v is None
    ]
    note = "First page of one annotation request, same load generator and core for every server."
    if missing:
        note += f" Not measured: {', '.join(missing)}."
    return Chart("throughput", "Throughput by page size", svg(fig), note)


def latency_by_offset(rows: Rows) -> Chart:
    if not rows:
        return Chart("latency-by-offset", "Latency by offset, cold and warm",
                     missing="bench.offsets did not run")  # fmt: skip
    # p50 and p99 side by side: on one axis, a p99 spike of a busy machine flattens the p50s.
    fig, axes = figure(width=9.0, columns=2)
    for ax, key in zip(axes, ("p50_ms", "p99_ms"), strict=True):
        for mode in dict.fromkeys(str(r["mode"]) for r in rows):
            mine = sorted((r for r in rows if r["mode"] == mode), key=lambda r: int(r["offset"]))
            offsets = [int(r["offset"]) for r in mine]
            ax.plot(offsets, [float(r[key]) for r in mine], marker="o", label=mode)
        ax.set_xscale("log")
        ax.set_xlabel("offset (page number, log scale)")
        ax.set_ylabel(f"{key.removesuffix('_ms')} latency, ms")
        ax.set_ylim(bottom=0)
        ax.legend(frameon=False, fontsize=8)
        ax.grid(alpha=0.3)
    limit = rows[0].get("limit", "?")
    note = (
        f"{limit}-record pages of a 2,500,000-record request on one connection. Warm: the "
        "same page again (cached); cold: each page once (generated). The promise: a flat line."
    )
    return Chart("latency-by-offset", "Latency by offset, cold and warm", svg(fig), note)


def _value(rows: Rows, server: str, page_name: str, key: str) -> float:
    found = [r for r in rows if r["server"] == server and r["page"] == page_name]
    return float(found[0][key]) if found else 0.0


def proxy_cost(rows: Rows) -> Chart:
    if not rows:
        return Chart("proxy", "The validating proxy's cost", missing="bench.proxy did not run")
    pages = list(dict.fromkeys(str(r["page"]) for r in rows))
    servers = list(dict.fromkeys(str(r["server"]) for r in rows))
    fig, (left, right) = figure(width=9.0, columns=2)
    measures = (
        (left, "p50_ms", "p50 latency, ms"),
        (right, "cpu_ms_per_request", "server CPU per request, ms"),
    )
    for ax, key, label in measures:
        series = {name: [_value(rows, name, p, key) for p in pages] for name in servers}
        _grouped_bars(ax, pages, series)
        ax.set_ylabel(label)
    note = (
        "Each server loaded in turn (upstream: the mock alone; the proxies in front of it), "
        "median p50 of its slices; CPU: each server's own process."
    )
    return Chart("proxy", "The validating proxy's cost", svg(fig), note)


def render(results: Mapping[str, Any]) -> str:
    sections = results.get("sections", {})

    def rows(name: str) -> Rows:
        found: Rows = sections.get(name, {}).get("rows", [])
        return found

    when = [f"{name}: measured {s.get('when', '?')}" for name, s in sections.items()]
    charts = [throughput(rows("throughput")), latency_by_offset(rows("latency_by_offset")),
              proxy_cost(rows("proxy"))]  # fmt: skip
    return page("make bench", ["Figures from reports/bench.json.", *when], charts)


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.charts", description=__doc__)
    parser.add_argument("--input", type=Path, default=RESULTS)
    parser.add_argument("--output", type=Path, default=RESULTS.with_name("bench.html"))
    options = parser.parse_args(arguments)
    try:
        results = json.loads(options.input.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        parser.error(f"--input: {options.input}: {error}")
    try:
        text = render(results)
    except ImportError:
        parser.error("matplotlib is not installed: pip install '.[charts]'")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text, encoding="utf-8")
    print(f"bench: charts written to {options.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
