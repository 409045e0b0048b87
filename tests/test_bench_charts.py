"""bench.html from a small synthetic bench.json: every measured section drawn, the others named."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import charts, results
from bench.charts import main, render
from tests.support.charts import BENCH


def _sections(page: str) -> dict[str, str]:
    parts = re.split(r'<section id="([\w-]+)">', page)[1:]
    return dict(zip(parts[::2], parts[1::2], strict=True))


@pytest.fixture(scope="module")
def page() -> str:
    return render(BENCH)


def test_each_chart_is_an_inline_svg(page: str) -> None:
    sections = _sections(page)
    assert list(sections) == ["throughput", "latency-by-offset", "proxy"]
    assert "<svg" in sections["throughput"] and "<svg" in sections["latency-by-offset"]


def test_throughput_draws_every_server_of_the_first_pages(page: str) -> None:
    throughput = _sections(page)["throughput"]
    for label in ("<!-- mock -->", "<!-- ceiling -->", "<!-- Prism -->", "<!-- bare ASGI -->",
                  "<!-- 10 records -->", "<!-- 1000 records -->", "<!-- 3,100 -->"):  # fmt: skip
        assert label in throughput, label
    assert "1,234" not in throughput  # the deep page is another chart's
    assert "Not measured: Prism at 1000, bare ASGI at 1000." in throughput
    # On the chart too: a server not measured at a size is labelled so, never a bar of 0.
    assert throughput.count("<!-- not measured -->") == 2


def test_latency_by_offset_draws_cold_and_warm(page: str) -> None:
    latency = _sections(page)["latency-by-offset"]
    for label in ("<!-- warm -->", "<!-- cold -->", "<!-- p50 latency, ms -->",
                  "<!-- p99 latency, ms -->", "offset (page number, log scale)"):  # fmt: skip
        assert label in latency, label


def test_a_section_not_measured_is_named_not_drawn(page: str) -> None:
    proxy = _sections(page)["proxy"]
    assert "<svg" not in proxy and "No figures: bench.proxy did not run" in proxy


def test_the_page_loads_nothing(page: str) -> None:
    assert (
        """<meta http-equiv="Content-Security-Policy"
  content="default-src 'none';"""
        in page
    )
    assert not re.findall(r"<(?:script|link|img|iframe)\b", page)
    # matplotlib's own references stay inside the page: `href="#id"`, `url(#clip)`.
    assert not re.findall(r'(?:href|src)="(?!#)', page)
    assert not re.findall(r"url\((?!#)", page)


def test_main_writes_the_page_and_record_keeps_other_sections(tmp_path: Path) -> None:
    source = tmp_path / "bench.json"
    source.write_text(json.dumps({"sections": {"offsets": BENCH["sections"]["latency_by_offset"]}}))
    proxy = [{"page": "10-record page", "server": "mock", "p50_ms": 1.0, "cpu_ms_per_request": 0.3}]
    results.record("proxy", proxy, source)
    saved = json.loads(source.read_text(encoding="utf-8"))
    assert saved["sections"]["proxy"]["rows"] == proxy and "offsets" in saved["sections"]
    assert main(["--input", str(source), "--output", str(tmp_path / "bench.html")]) == 0
    written = _sections((tmp_path / "bench.html").read_text(encoding="utf-8"))
    assert "<svg" in written["proxy"] and "<svg" not in written["throughput"]


def test_a_missing_results_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--input", str(tmp_path / "none.json")])
    assert stopped.value.code == 2
    assert f"--input: {tmp_path / 'none.json'}" in capsys.readouterr().err


def test_query_of_reads_page_size_offset_and_ids() -> None:
    found = results.query_of("/statistics/record?annotationRequestId=a,b&limit=1000&offset=7")
    assert found == {"limit": 1000, "offset": 7, "ids": 2}
    # The bench's first pages name no offset: page 1.
    assert results.query_of("/statistics/record?annotationRequestId=a") == {
        "limit": 10,
        "offset": 1,
        "ids": 1,
    }
    assert charts.throughput([]).missing == "no first-page rows"


def test_throughput_rows_take_every_server_a_row_holds() -> None:
    """A bench row with a second ceiling (Starlette's) gives it a row of its own."""
    figures = SimpleNamespace(requests_per_second=100.0, p50_ms=1.0, p99_ms=2.0)
    scenario = SimpleNamespace(
        name="page10", first_path=lambda: "/r?annotationRequestId=a&limit=10"
    )
    rows = [SimpleNamespace(scenario=scenario, mock=figures, ceiling=figures, starlette=figures),
            SimpleNamespace(scenario=scenario, mock=figures, ceiling=figures)]  # fmt: skip
    found = results.throughput_rows(rows, prism=figures)
    assert [row["server"] for row in found] == [
        "mock",
        "ceiling",
        "starlette",
        "mock",
        "ceiling",
        "Prism",
    ]
    expected = {"server": "mock", "scenario": "page10", "limit": 10, "offset": 1, "ids": 1,
                "requests_per_second": 100.0, "p50_ms": 1.0, "p99_ms": 2.0}  # fmt: skip
    assert found[0] == expected
