"""soak.html from a small synthetic soak report, and the samples taken while clients run."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from soak.__main__ import Tally
from soak.charts import render
from soak.series import errors, sampled
from tests.support.charts import SOAK


def test_four_charts_over_time() -> None:
    page = render(SOAK)
    ids = re.findall(r'<section id="([\w-]+)">', page)
    assert ids == ["memory", "throughput", "latency", "errors"]
    assert page.count("<svg") == 4
    assert "<!-- p99 -->" in page and "<!-- seconds since the measured run began -->" in page
    assert "FAILED: 3 valid requests did not answer 200/2000" in page
    # The errors chart says what it counted: with no bar to draw, an empty chart would not.
    total = sum(sample["errors"] for sample in SOAK["series"])
    assert f"{total:,} unexpected answers in {len(SOAK['series'])} samples." in page
    assert not re.findall(r'(?:href|src)="(?!#)', page)


def test_a_report_without_samples_says_so() -> None:
    page = render({**SOAK, "series": []})
    assert "<svg" not in page and page.count("the report has no samples") == 4


def test_unexpected_answers_are_counted_as_errors() -> None:
    tally = Tally(
        valid=Counter({"200/2000": 5, "500/5000": 2}),
        invalid=Counter({"400/4005": 3, "200/2000": 1}),
    )
    assert errors(tally) == 3


def test_samples_read_what_happened_since_the_last_one() -> None:
    tally = Tally()
    rss = iter(range(1000, 2000, 100))

    async def clients() -> None:
        for answer in ("200/2000", "200/2000", "500/5000"):
            await asyncio.sleep(0.03)
            tally.valid[answer] += 1
            tally.latencies.append(0.002)

    samples = asyncio.run(sampled(clients(), tally, lambda: next(rss), every=0.05))
    assert sum(s["errors"] for s in samples) == 1
    assert [s["rss_kib"] for s in samples] == list(range(1000, 1000 + 100 * len(samples), 100))
    assert all(s["p50_ms"] in (0.0, 2.0) for s in samples)
    assert samples[-1]["t_s"] >= 0.09
