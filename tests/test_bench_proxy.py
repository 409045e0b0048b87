"""bench/proxy.py: the table's ratios and issue 23's targets, PASS or MISS as measured."""

from __future__ import annotations

import argparse

from bench.proxy import CLIENTS, PAGES, Tally, render

OPTIONS = argparse.Namespace(connections=16, rounds=3, slice=2.0)


def tally(rate: float, p50: float, cpu_ms: float = 1.0, failed: int = 0) -> Tally:
    requests = int(rate * 6)
    return Tally(requests, 6.0, cpu_ms * requests / 1000, [p50] * 3, [p50 * 2] * 3, failed)


def figures(
    ours: float, prism: float | None, ours_p50: float, prism_p50: float = 3.0
) -> tuple[dict[str, dict[str, Tally]], dict[str, dict[str, Tally]]]:
    """The same figures for both pages: rates under load, p50s on one connection."""
    loaded, alone = {}, {}
    for label, _ in PAGES:
        loaded[label] = {"upstream": tally(10_000, 1.0), "ours": tally(ours, 5.0)}
        alone[label] = {"upstream": tally(5_000, 0.2), "ours": tally(1_000, ours_p50)}
        if prism is not None:
            loaded[label]["prism"] = tally(prism, 9.0)
            alone[label]["prism"] = tally(500, prism_p50)
    return loaded, alone


def test_ratios_and_targets_pass_when_met() -> None:
    loaded, alone = figures(ours=1600, prism=1000, ours_p50=0.6)
    text = "\n".join(
        render(OPTIONS, ["upstream", "ours", "prism"], loaded, alone, (CLIENTS, 80, 110), "")
    )
    assert "| 10-record page | prism | 1,000 | 9.00 | 18.00 | 1.000 | 1.60 |" in text
    assert "| 10-record page | upstream | 10,000 | 1.00 | 2.00 | 1.000 | 0.16 |" in text
    assert "| 10-record page | 0.20 | 0.60 | 0.40 | 3.00 | 2.80 |" in text
    assert "10-record page: ours at >= 1.5x Prism's throughput: 1.60x (PASS)" in text
    assert "added p50 0.40 ms, at most Prism's 2.80 ms (PASS); aim 0.5 ms (PASS)" in text
    assert f"{CLIENTS:,} answered 200; resident size 80 MB before, 110 MB" in text
    assert "+30 MB, at most +150 MB (PASS)" in text
    assert "MISS" not in text


def test_each_target_missed_says_miss() -> None:
    loaded, alone = figures(ours=1400, prism=1000, ours_p50=3.5)
    loaded[PAGES[1][0]]["ours"] = tally(1400, 5.0, failed=2)
    text = "\n".join(
        render(OPTIONS, ["upstream", "ours", "prism"], loaded, alone, (CLIENTS, 80, 300), "")
    )
    assert "1000-record page: ours at >= 1.5x Prism's throughput: 1.40x (MISS)" in text
    assert "added p50 3.30 ms, at most Prism's 2.80 ms (MISS); aim 0.5 ms (MISS)" in text
    assert "+220 MB, at most +150 MB (MISS)" in text
    assert "answers other than 200, or errors: 1000-record page ours (MISS)" in text


def test_without_prism_there_is_no_ratio_to_it_and_the_note_says_why() -> None:
    loaded, alone = figures(ours=1600, prism=None, ours_p50=0.3)
    text = "\n".join(
        render(
            OPTIONS, ["upstream", "ours"], loaded, alone, (CLIENTS - 1, 80, 90), "Prism: no row."
        )
    )
    assert "Prism: no row." in text and "| prism |" not in text
    assert "throughput" not in text.split("Targets")[1].split("\n")[2]
    assert "at most Prism's: no row; aim 0.5 ms (PASS)" in text
    # A client not answered is a miss, however little memory grew.
    assert f"{CLIENTS - 1:,} answered 200" in text and "+10 MB, at most +150 MB (MISS)" in text
