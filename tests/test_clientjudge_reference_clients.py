"""The rules both ways on real clients: each bad reference client is flagged with exactly its
rule, each good one comes out clean (no error, no warning), against the in-process mock.

The clients are in tests/support/reference_clients.py; their traffic is recorded as the
mock's journal records it, and judged also after a round trip through HAR (what
`client-verdict` reads).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from clientjudge.findings import Verdict
from clientjudge.verdict import judge
from conformance.har import read_har, to_har
from tests.support import reference_clients as rc


def problems(verdict: Verdict) -> dict[str, tuple[int, ...]]:
    return {f.rule: f.requests for f in verdict.problems}


def clean(mock: rc.Mock) -> Verdict:
    verdict = judge(mock.exchanges)
    assert problems(verdict) == {}, [f.message for f in verdict.problems]
    assert verdict.requests == len(mock.exchanges) > 0
    return verdict


# Good clients: no error, no warning.


@pytest.mark.parametrize(
    ("ids", "limit", "count"),
    [((rc.SMALL,), 1, 6), ((rc.MEDIUM,), 10, 93), ((rc.LARGE,), 1000, 2310),
     ((rc.LARGE,), 5000, 2310)],
    ids=["limit-1", "limit-10", "limit-1000", "limit-5000"],
)  # fmt: skip
def test_sequential_paging_at_any_limit_is_clean(
    ids: tuple[str, ...], limit: int, count: int
) -> None:
    mock = rc.mock()
    with mock.client() as http:
        assert len(rc.read_all(http, ids, limit)) == count
    verdict = clean(mock)
    # Above 1000 the only word is the info that the page was capped.
    assert [f.rule for f in verdict.findings] == (["limit-over-max"] if limit > 1000 else [])


def test_parallel_paging_after_page_one_is_clean() -> None:
    mock = rc.mock()

    async def run() -> int:
        async with mock.async_client() as http:
            return len(await rc.read_all_parallel(http, (rc.MEDIUM,), 7))

    assert asyncio.run(run()) == 93
    offsets = [e.offset for e in mock.exchanges]
    assert offsets[0] == 1 and offsets[1:] != sorted(offsets[1:]), "pages out of order"
    assert judge(mock.exchanges).findings == ()


@pytest.mark.parametrize("form", ["comma", "repeated"])
def test_both_forms_of_ids_are_clean(form: str) -> None:
    mock = rc.mock()
    with mock.client() as http:
        assert len(rc.read_all(http, rc.PAIR, 5, form=form)) == 19
    assert judge(mock.exchanges).findings == ()


def test_a_dashboard_polling_page_one_is_clean() -> None:
    mock = rc.mock()
    with mock.client() as http:
        assert rc.dashboard(http, (rc.MEDIUM,), polls=8, sleep=mock.clock.sleep) == [93] * 8
    assert judge(mock.exchanges).findings == ()


def test_retries_with_growing_back_off_are_clean() -> None:
    mock = rc.mock()
    with mock.client(failures=3) as http:
        assert len(rc.read_all_with_backoff(http, (rc.MEDIUM,), 50, mock.clock.sleep)) == 93
    assert [e.answer_code for e in mock.exchanges[:4]] == [5000, 5000, 5000, 2000]
    assert judge(mock.exchanges).findings == ()


def test_signed_requests_are_clean() -> None:
    mock = rc.signing_mock()
    with mock.client() as http:
        assert len(rc.read_all(http, (rc.MEDIUM,), 20, sign=rc.signer(mock.clock))) == 93
    assert judge(mock.exchanges).findings == ()


def test_a_client_testing_its_error_handling_with_prefer_is_clean() -> None:
    mock = rc.mock()
    with mock.client(failures=2) as http:
        assert rc.error_handling_suite(http, (rc.SMALL,), mock.clock.sleep) == [
            53003,
            401,
            402,
            403,
            2000,
        ]
    assert judge(mock.exchanges).findings == ()


# Bad clients: exactly their rule.


def test_offset_read_as_an_index_is_flagged() -> None:
    mock = rc.mock()
    with mock.client() as http:
        # Records lost: page 1 and page 11 of 10 pages, that is, 10 of 93.
        assert len(rc.offset_as_index(http, (rc.MEDIUM,), 10)) == 10
    assert problems(judge(mock.exchanges)) == {"paging-offset-as-index": (1, 2)}


def test_a_capped_page_taken_for_the_end_is_flagged() -> None:
    mock = rc.mock()
    with mock.client() as http:
        assert len(rc.capped_page_as_end(http, (rc.LARGE,))) == 1000
    verdict = judge(mock.exchanges)
    assert problems(verdict) == {"paging-short-page-as-end": (1,)}
    assert [f.rule for f in verdict.findings] == ["paging-short-page-as-end", "limit-over-max"]


def test_a_page_read_twice_is_flagged() -> None:
    mock = rc.mock()
    with mock.client() as http:
        assert len(rc.peek_then_read(http, (rc.MEDIUM,), 40)) == 93
    # Page 1 twice is a poll; page 2 twice is the refetch (page 3, the last, is short).
    assert problems(judge(mock.exchanges)) == {"paging-refetch": (3, 4)}


def test_a_walk_that_changes_its_limit_is_flagged() -> None:
    mock = rc.mock()
    with mock.client() as http:
        # Records 11 to 50 never read: 10 + 43 of 93.
        assert len(rc.switch_limit(http, (rc.MEDIUM,))) == 53
    assert problems(judge(mock.exchanges)) == {"paging-limit-changed": (1, 2)}


def test_a_53003_retried_is_flagged() -> None:
    mock = rc.mock()
    with mock.client() as http:
        assert rc.retry_everything(http, (rc.UNKNOWN,), mock.clock.sleep) is None
    assert problems(judge(mock.exchanges)) == {"retry-not-retryable": (1, 2, 3)}


def test_a_5000_retried_at_once_is_flagged() -> None:
    mock = rc.mock()
    with mock.client(failures=3) as http:
        assert rc.retry_at_once(http, (rc.SMALL,))["code"] == 2000
    verdict = judge(mock.exchanges)
    assert problems(verdict) == {"retry-no-backoff": (1, 2)}
    assert "retried 0 ms after the 5000" in verdict.findings[0].message


def test_a_5000_retried_every_second_is_flagged() -> None:
    mock = rc.mock()
    with mock.client(failures=3) as http:
        assert rc.retry_every_second(http, (rc.SMALL,), mock.clock.sleep)["code"] == 2000
    verdict = judge(mock.exchanges)
    assert problems(verdict) == {"retry-no-backoff": (1, 2)}
    assert "gaps that do not grow: 1.00, 1.00, 1.00 s" in verdict.findings[0].message


def test_an_unsigned_client_is_flagged() -> None:
    mock = rc.signing_mock()
    with mock.client() as http:
        assert rc.unsigned(http, (rc.MEDIUM,)) == 402
    assert problems(judge(mock.exchanges)) == {"signing-missing": (1,)}


def test_a_skewed_clock_is_flagged_with_its_skew() -> None:
    mock = rc.signing_mock()
    with mock.client() as http:
        assert rc.signed_once(http, (rc.MEDIUM,), rc.signer(mock.clock, skew=-600)) == 403
    verdict = judge(mock.exchanges)
    assert problems(verdict) == {"signing-invalid": (1,)}
    assert "stale X-TS; clock skew 600.0 s: X-TS behind the arrival time" in (
        verdict.findings[0].message
    )


def test_a_wrong_secret_is_flagged() -> None:
    mock = rc.signing_mock()
    with mock.client() as http:
        assert rc.signed_once(http, (rc.MEDIUM,), rc.signer(mock.clock, secret="nope")) == 401
    assert problems(judge(mock.exchanges)) == {"signing-invalid": (1,)}


def test_a_recording_judged_from_har_gives_the_same_verdict(tmp_path: Path) -> None:
    mock = rc.mock()
    with mock.client() as http:
        rc.offset_as_index(http, (rc.MEDIUM,), 10)
        rc.read_all(http, (rc.SMALL,), 5000)
    path = tmp_path / "traffic.har"
    path.write_text(json.dumps(to_har(mock.exchanges)), encoding="utf-8")
    again = judge(read_har([path]))
    assert again == judge(mock.exchanges)
    assert {f.rule for f in again.findings} == {"paging-offset-as-index", "limit-over-max"}
