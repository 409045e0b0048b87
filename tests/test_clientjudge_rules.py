"""The client rules (clientjudge/paging.py, retries.py, signing.py) over journal entries.

Each rule both ways: the mistake flagged with the requests that show it, and the correct
styles next to it left alone. Entries are the mock's journal format (D44), one second apart
unless a test sets the times.
"""

from __future__ import annotations

from typing import Any

from clientjudge.exchanges import from_entry
from clientjudge.verdict import Verdict, judge
from tests.support.journal import T0, entry

IDS = "annotationRequestId=a"


def verdict(entries: list[dict[str, Any]]) -> Verdict:
    return judge([from_entry(item) for item in entries])


def flagged(entries: list[dict[str, Any]]) -> dict[str, tuple[int, ...]]:
    """Each rule broken and the requests it names."""
    return {finding.rule: finding.requests for finding in verdict(entries).findings}


def page(seq: int, offset: int, limit: int, count: int, **more: Any) -> dict[str, Any]:
    """A successful page as the mock serves it: `returned` from count, offset and the cap."""
    served = min(limit, 1000)
    returned = max(0, min(served, count - (offset - 1) * served))
    query = f"{more.pop('ids', IDS)}&offset={offset}&limit={limit}"
    return entry(seq, query, count=count, returned=returned, limit=served, **more)


def walk(offsets: list[int], limit: int, count: int, start: int = 1) -> list[dict[str, Any]]:
    return [page(start + n, offset, limit, count) for n, offset in enumerate(offsets)]


# paging-offset-as-index


def test_offset_growing_by_the_limit_is_read_as_an_index() -> None:
    found = flagged(walk([1, 11, 21, 31], limit=10, count=35))
    assert found == {"paging-offset-as-index": (1, 2, 3, 4)}
    message = verdict(walk([1, 11, 21], limit=10, count=35)).findings[0].message
    assert "#2 ?annotationRequestId=a&offset=11&limit=10" in message
    assert "offset 1 then 11 at limit 10" in message


def test_a_zero_based_index_is_caught_too() -> None:
    entries = [entry(1, f"{IDS}&offset=0&limit=50", code=4005), *walk([50, 100], 50, 120, 2)]
    assert "paging-offset-as-index" in flagged(entries)


def test_an_index_stepped_by_the_records_of_a_capped_page_is_caught() -> None:
    # limit=5000 is served as 1000: a client adding the records it got steps by 1000.
    found = flagged(walk([1, 1001, 2001], limit=5000, count=2500))
    assert found["paging-offset-as-index"] == (1, 2, 3)


def test_sequential_paging_at_any_limit_is_not_an_index() -> None:
    for limit, count in [(1, 4), (2, 7), (10, 35), (1000, 2500), (5000, 3500)]:
        pages = -(-count // min(limit, 1000)) + 1  # every page, then the empty one after
        found = verdict(walk(list(range(1, pages + 1)), limit, count))
        assert found.problems == (), limit
        assert [f.rule for f in found.findings] == (["limit-over-max"] if limit > 1000 else [])


def test_parallel_pages_after_page_one_in_any_order_are_not_an_index() -> None:
    # Pages 3 then 5 at limit 2 grow by the limit, but page 4 was asked too (later).
    assert flagged(walk([1, 3, 5, 2, 7, 4, 6], limit=2, count=13)) == {}


def test_other_ids_are_another_series() -> None:
    entries = [page(1, 1, 10, 35), page(2, 11, 10, 35, ids="annotationRequestId=b")]
    assert flagged(entries) == {}


# paging-short-page-as-end and limit-over-max


def test_a_capped_page_taken_for_the_last_one_loses_records() -> None:
    entries = [page(1, 1, 5000, 2500)]
    assert flagged(entries) == {"paging-short-page-as-end": (1,), "limit-over-max": (1,)}
    message = next(f for f in verdict(entries).findings if f.rule == "paging-short-page-as-end")
    assert "1000 of 2500 records" in message.message


def test_reading_on_after_a_capped_page_is_correct() -> None:
    found = verdict(walk([1, 2, 3, 4], limit=5000, count=2500))
    assert [f.rule for f in found.findings] == ["limit-over-max"]
    assert found.findings[0].requests == (1, 2, 3, 4)
    assert found.has_problems is False


def test_the_next_page_asked_first_by_a_parallel_client_counts() -> None:
    entries = [page(1, 2, 5000, 2500), page(2, 1, 5000, 2500), page(3, 3, 5000, 2500)]
    assert "paging-short-page-as-end" not in flagged(entries)
    # Another client's next page does not read on for this one (which stopped there too).
    other = page(2, 2, 5000, 2500, client="10.0.0.9:1")
    assert flagged([page(1, 1, 5000, 2500), other])["paging-short-page-as-end"] == (1, 2)


def test_a_capped_page_that_holds_everything_is_the_last() -> None:
    assert "paging-short-page-as-end" not in flagged([page(1, 1, 5000, 1000)])
    assert "paging-short-page-as-end" not in flagged([page(1, 1, 5000, 700)])


def test_a_limit_of_1000_is_not_over_the_maximum() -> None:
    assert flagged([page(1, 1, 1000, 5000)]) == {}


# paging-refetch


def test_a_page_read_twice_in_one_walk_is_a_refetch() -> None:
    found = flagged(walk([1, 2, 2, 3], limit=10, count=35))
    assert found == {"paging-refetch": (2, 3)}


def test_a_dashboard_polling_page_one_is_not_a_refetch() -> None:
    assert flagged(walk([1] * 6, limit=10, count=35)) == {}
    # Without offset: the default page 1.
    entries = [entry(n, f"{IDS}&limit=20", count=35, returned=20, limit=20) for n in (1, 2, 3)]
    assert flagged(entries) == {}


def test_walking_again_from_page_one_is_a_new_walk() -> None:
    assert flagged(walk([1, 2, 3, 4, 1, 2, 3, 4], limit=10, count=35)) == {}


def test_reading_the_last_short_page_again_sees_new_records() -> None:
    assert flagged(walk([1, 2, 3, 4, 4, 4], limit=10, count=35)) == {}


def test_a_page_read_again_after_an_error_is_a_retry_not_a_refetch() -> None:
    entries = [*walk([1, 2], 10, 35), entry(3, f"{IDS}&offset=3&limit=10", code=5000)]
    entries += walk([2, 3], 10, 35, start=4)
    assert "paging-refetch" not in flagged(entries)


# paging-limit-changed


def test_a_walk_continued_at_another_limit_skips_records() -> None:
    entries = [page(1, 1, 10, 93), page(2, 2, 50, 93)]
    found = verdict(entries)
    assert [(f.rule, f.requests) for f in found.findings] == [("paging-limit-changed", (1, 2))]
    assert "page 1 at limit 10, then page 2 at limit 50" in found.findings[0].message


def test_a_new_walk_at_another_limit_and_limits_served_alike_are_not_a_change() -> None:
    assert flagged([page(1, 1, 10, 93), page(2, 1, 50, 93), page(3, 2, 50, 93)]) == {}
    # 5000 and 1000 are both served as 1000 (D5): the same page size.
    assert "paging-limit-changed" not in flagged([page(1, 1, 5000, 2500), page(2, 2, 1000, 2500)])
    # Other IDs are another walk.
    assert flagged([page(1, 1, 10, 93), page(2, 2, 50, 93, ids="annotationRequestId=b")]) == {}


# retry-not-retryable


def test_resending_a_request_that_cannot_change_is_flagged() -> None:
    for code in (4005, 53003, 401, 402, 403):
        entries = [entry(1, f"{IDS}&limit=x", code=code), entry(2, f"{IDS}&limit=x", code=code)]
        assert "retry-not-retryable" in flagged(entries), code
        assert flagged(entries)["retry-not-retryable"] == (1, 2)


def test_a_changed_request_after_a_refusal_is_not_a_retry() -> None:
    entries = [entry(1, f"{IDS}&limit=x", code=4005), entry(2, f"{IDS}&limit=10", count=3)]
    assert flagged(entries) == {}


def test_re_signing_with_a_fresh_timestamp_after_403_is_the_fix() -> None:
    signed = [["x-stardust-key", "k"], ["x-sign", "[REDACTED]"]]
    stale = entry(1, IDS, code=403, headers=[*signed, ["x-ts", str(int(T0 * 1000) - 900_000)]])
    fresh = entry(2, IDS, count=3, headers=[*signed, ["x-ts", str(int(T0 * 1000) + 2000)]])
    assert "retry-not-retryable" not in flagged([stale, fresh])
    again = entry(2, IDS, code=403, headers=stale["headers"])
    assert "retry-not-retryable" in flagged([stale, again])


def test_a_retry_on_a_new_connection_is_still_the_same_client() -> None:
    again = entry(2, IDS, code=53003, client="127.0.0.1:50999")
    assert "retry-not-retryable" in flagged([entry(1, IDS, code=53003), again])
    fast = entry(2, IDS, at=T0 + 1.01, count=3, client="127.0.0.1:50999")
    assert "retry-no-backoff" in flagged([entry(1, IDS, at=T0 + 1, code=5000), fast])


def test_the_same_request_sent_concurrently_is_not_a_retry() -> None:
    # Two tabs of a dashboard: the second left before the first's answer arrived.
    first = entry(1, IDS, at=T0, code=53003, elapsed_ms=40.0)
    twin = entry(2, IDS, at=T0 + 0.01, code=53003)
    assert flagged([first, twin]) == {}
    hiccup = entry(1, IDS, at=T0, code=5000, elapsed_ms=40.0)
    assert flagged([hiccup, entry(2, IDS, at=T0 + 0.01, code=5000)]) == {}
    # Then a retry 20 ms after that first answer is still hammering.
    retry = entry(3, IDS, at=T0 + 0.06, count=3)
    assert "retry-no-backoff" in flagged([hiccup, entry(2, IDS, at=T0 + 0.01, code=5000), retry])


def test_another_client_sending_the_same_request_is_not_a_retry() -> None:
    entries = [entry(1, IDS, code=53003), entry(2, IDS, code=53003, client="10.1.1.1:5")]
    assert flagged(entries) == {}


# retry-no-backoff


def attempts(gaps: list[float], final: int = 2000) -> list[dict[str, Any]]:
    """A 5000, retried after each gap (seconds after the previous answer), ending in `final`."""
    entries, at = [], T0
    for n, gap in enumerate([0.0, *gaps]):
        at += gap
        code = 5000 if n < len(gaps) else final
        entries.append(entry(n + 1, IDS, at=at, code=code, elapsed_ms=0.0, count=3))
    return entries


def test_a_5000_retried_within_100_ms_is_hammering() -> None:
    found = verdict(attempts([0.05]))
    assert [f.rule for f in found.findings] == ["retry-no-backoff"]
    assert "retried 50 ms after the 5000" in found.findings[0].message


def test_gaps_that_do_not_grow_are_no_back_off() -> None:
    found = verdict(attempts([1.0, 1.0, 1.0]))
    assert [(f.rule, f.requests) for f in found.findings] == [("retry-no-backoff", (1, 2))]
    assert "1.00, 1.00, 1.00 s" in found.findings[0].message


def test_growing_back_off_even_jittered_is_correct() -> None:
    assert flagged(attempts([0.2, 0.4, 0.8, 1.6])) == {}
    assert flagged(attempts([0.3, 0.25, 0.9])) == {}
    # Capped: the later gaps stop growing but exceed the first.
    assert flagged(attempts([0.5, 1.0, 2.0, 2.0, 2.0])) == {}
    assert flagged(attempts([0.3])) == {}


def test_a_patient_poller_through_two_5000s_is_not_hammering() -> None:
    assert flagged(attempts([30.0, 30.0])) == {}


def test_the_gap_runs_from_the_answer_not_the_request() -> None:
    # Sent 0.4 s after the first request, but only 50 ms after its slow answer arrived.
    slow = entry(1, IDS, at=T0, code=5000, elapsed_ms=350.0)
    retry = entry(2, IDS, at=T0 + 0.4, count=3)
    assert "retry-no-backoff" in flagged([slow, retry])


# signing-missing and signing-invalid

KEY = ["x-stardust-key", "helix"]
SIGN = ["x-sign", "[REDACTED]"]


def ts(seconds: float) -> list[str]:
    return ["x-ts", str(round(seconds * 1000))]


def test_unsigned_requests_refused_402_miss_their_headers() -> None:
    entries = [entry(1, IDS, code=402, headers=[]), entry(2, f"{IDS}&offset=2", code=402,
               headers=[KEY])]  # fmt: skip
    found = verdict(entries)
    assert [(f.rule, f.requests) for f in found.findings] == [("signing-missing", (1, 2))]
    assert "without X-STARDUST-KEY, X-TS, X-SIGN" in found.findings[0].message
    assert "without X-TS, X-SIGN" in found.findings[0].message


def test_a_stale_timestamp_reports_the_skew_seen() -> None:
    stale = entry(1, IDS, at=T0, code=403, headers=[KEY, SIGN, ts(T0 - 312.4)])
    found = verdict([stale])
    assert [f.rule for f in found.findings] == ["signing-invalid"]
    assert (
        "stale X-TS; clock skew 312.4 s: X-TS behind the arrival time" in found.findings[0].message
    )
    ahead = entry(1, IDS, at=T0, code=403, headers=[KEY, SIGN, ts(T0 + 75)])
    assert "75.0 s: X-TS ahead of" in verdict([ahead]).findings[0].message


def test_a_wrong_signature_and_an_unknown_key_are_invalid() -> None:
    wrong = entry(1, IDS, at=T0, code=401, headers=[KEY, SIGN, ts(T0 + 1)])
    unknown = entry(2, f"{IDS}&offset=2", at=T0, code=402, headers=[KEY, SIGN, ts(T0)])
    found = verdict([wrong, unknown])
    assert [(f.rule, f.requests) for f in found.findings] == [("signing-invalid", (1, 2))]
    assert "wrong signature; clock skew 1.0 s" in found.findings[0].message
    assert "access key unknown" in found.findings[0].message


def test_a_drifting_clock_still_accepted_is_worth_knowing() -> None:
    drifting = entry(1, IDS, at=T0, count=3, headers=[KEY, SIGN, ts(T0 - 200)])
    found = verdict([drifting, entry(2, f"{IDS}&offset=2", at=T0, count=3,
                                     headers=[KEY, SIGN, ts(T0 - 59)])])  # fmt: skip
    assert [(f.rule, f.severity, f.requests) for f in found.findings] == [
        ("signing-clock-drift", "info", (1,))
    ]
    assert "clock skew 200.0 s: X-TS behind the arrival time" in found.findings[0].message
    assert found.has_problems is False


def test_outcomes_forced_with_prefer_are_the_clients_tests_not_its_mistakes() -> None:
    entries = [
        entry(n, IDS, code=code, headers=[["prefer", f"code={code}"]])
        for n, code in enumerate((402, 401, 403, 53003), 1)
    ]
    # Each forced once: another Prefer is another request, and no signing was judged.
    assert flagged(entries) == {}
    again = entry(5, IDS, code=53003, headers=[["prefer", "code=53003"]])
    assert flagged([*entries, again]) == {"retry-not-retryable": (4, 5)}


def test_signed_requests_answered_are_clean_and_unsigned_ones_unchecked_too() -> None:
    signed = [entry(n, f"{IDS}&offset={n}", headers=[KEY, SIGN, ts(T0)], count=3) for n in (1, 2)]
    assert flagged(signed) == {}
    # A server that does not check signatures answers unsigned requests: nothing to judge.
    assert flagged([entry(1, IDS, headers=[], count=3)]) == {}
