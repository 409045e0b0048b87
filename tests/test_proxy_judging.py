"""One exchange judged by the proxy (`conformance/proxy/judging.py`): the suite's per-exchange
judgements, the observed ones and the traffic's, put together; which 5000 answers are
hiccups (C34). On hand-made exchanges, in-process; tests/test_proxy.py runs whole sessions.
"""

from __future__ import annotations

import calendar
import time

from conformance.exchange import Exchange
from conformance.proxy.judging import REJECTIONS, Hiccups, judge
from conformance.proxy.repeats import Repeats
from conformance.proxy.request import read_request
from conformance.proxy.traffic import Traffic
from tests.support.sample_record import record

DATE = "2025-04-08 14:20:00"
NOW = float(calendar.timegm(time.strptime(DATE, "%Y-%m-%d %H:%M:%S")))
STATUS = {2000: 200, 4005: 400, 402: 401, 5000: 500, 53003: 404}


def exchange(
    query: str,
    code: int,
    ids: list[int] | None = None,
    *,
    method: str = "GET",
    received_at: float = NOW,
    status: int | None = None,
    date: str = DATE,
    **headers: str,
) -> Exchange:
    """The operation asked with `query`, answered with HTTP status of `code` and an envelope."""
    data = {"count": len(ids), "data": [record(n) for n in ids]} if ids is not None else None
    body = {"code": code, "message": "m", "data": data, "date": date, "requestId": "ab" * 16,
            "success": code == 2000}  # fmt: skip
    return Exchange.build(
        method, f"http://up.test/statistics/record?{query}", status or STATUS[code], body,
        request_headers=headers, response_headers={"content-type": "application/json"},
        received_at=received_at,
    )  # fmt: skip


def failures(
    exchange: Exchange,
    query: str | None,
    hiccups: Hiccups | None = None,
    http_200: bool = False,
    zone: str = "UTC",
) -> dict[str, str]:
    request = read_request(query.encode()) if query is not None else None
    found = judge(exchange, request, Traffic(100, 10_000), hiccups or Hiccups(), http_200, zone)
    # Every failure is the proxy's: the report groups them by phase.
    assert {failure.phase for failure in found.failures} <= {"proxy"}
    return {failure.check: failure.message for failure in found.failures}


INVALID = "annotationRequestId=a&limit=0"
VALID = "annotationRequestId=a"


def test_a_5000_to_a_valid_request_is_a_hiccup_every_time() -> None:
    hiccups = Hiccups()
    for _ in range(3):
        assert hiccups.is_hiccup(exchange(VALID, 5000), read_request(VALID.encode()))


def test_a_5000_to_a_request_invalid_in_one_parameter_is_a_hiccup_once() -> None:
    hiccups = Hiccups()
    limit = read_request(INVALID.encode())
    offset = read_request(b"annotationRequestId=a&offset=0")
    assert hiccups.is_hiccup(exchange(INVALID, 5000), limit)
    assert not hiccups.is_hiccup(exchange(INVALID, 5000), limit)
    # Another parameter's first 5000 is its own first.
    assert hiccups.is_hiccup(exchange("annotationRequestId=a&offset=0", 5000), offset)
    assert not hiccups.is_hiccup(exchange(INVALID, 5000), limit)
    assert hiccups.invalid == {"limit": 3, "offset": 1}


def test_a_forced_5000_is_a_hiccup_even_to_an_invalid_request() -> None:
    hiccups = Hiccups()
    limit = read_request(INVALID.encode())
    for _ in range(2):
        assert hiccups.is_hiccup(exchange(INVALID, 5000, Prefer="code=5000"), limit)
    assert hiccups.invalid == {}


def test_only_a_5000_answer_to_a_get_of_the_operation_is_a_hiccup() -> None:
    hiccups = Hiccups()
    request = read_request(VALID.encode())
    assert not hiccups.is_hiccup(exchange(VALID, 4005), request)
    assert not hiccups.is_hiccup(exchange(VALID, 5000, method="POST"), request)
    assert not hiccups.is_hiccup(exchange(VALID, 5000), None)  # not the operation's request


def test_a_hiccup_is_noted_not_reported_and_a_persisting_5000_is_a_server_error() -> None:
    hiccups = Hiccups()
    first = judge(exchange(INVALID, 5000), read_request(INVALID.encode()), Traffic(9, 99),
                  hiccups, False)  # fmt: skip
    assert first.hiccup and "not_a_server_error" not in {f.check for f in first.failures}
    again = failures(exchange(INVALID, 5000), INVALID, hiccups)
    assert again["not_a_server_error"] == "answered 5000 (service hiccup)"
    assert "not_a_server_error" not in failures(exchange(VALID, 5000), VALID)


def test_a_refusal_is_judged_by_its_specific_check_and_the_generic_one_stays_silent() -> None:
    found = failures(exchange(INVALID, 2000, []), INVALID)
    assert set(found) == {"client_request_valid", "invalid_offset_limit_rejected"}
    assert found["client_request_valid"] == (
        "the contract refuses this request (a client bug): "
        "Invalid parameter: limit must be an integer >= 1, got 0"
    )
    # A near-miss name has no specific check: negative_data_rejection says it.
    near = "annotationRequestId%5B%5D=a"
    found = failures(exchange(near, 2000, []), near)
    assert set(found) == {"client_request_valid", "negative_data_rejection"}
    assert found["negative_data_rejection"].startswith("code 2000 to a request the contract ")


def test_a_refusal_is_not_held_against_an_answer_that_did_not_judge_the_parameters() -> None:
    # A signature refusal (a server may check signatures first) and a forced outcome.
    assert set(failures(exchange(INVALID, 402), INVALID)) == {"client_request_valid"}
    # The rest of the answer is still judged: a 402 sent with HTTP 402.
    refused = failures(exchange(INVALID, 402, status=402), INVALID)
    assert set(refused) == {"client_request_valid", "status_code_conformance",
                            "envelope_http_status"}  # fmt: skip
    assert refused["envelope_http_status"] == "HTTP 402 with code 402: expected HTTP 401"
    forced = exchange(INVALID, 2000, [], Prefer="code=2000")
    assert set(failures(forced, INVALID)) == {"client_request_valid"}
    assert "invalid_offset_limit_rejected" in REJECTIONS


def test_order_on_a_page_of_several_ids_is_multiple_ids_ordering() -> None:
    one = failures(exchange(VALID, 2000, [2, 1]), VALID)
    assert one == {"ordering": "the page is not in ascending id order (D16): [2, 1]"}
    both = "annotationRequestId=a&annotationRequestId=b"
    assert failures(exchange(both, 2000, [2, 1]), both) == {
        "multiple_ids_ordering": "the page is not in ascending id order (D16): [2, 1]"
    }


def test_the_clock_is_judged_on_the_operations_gets_only() -> None:
    late = exchange(VALID, 2000, [1], received_at=NOW + 7200)
    assert failures(late, VALID)["clock_and_zone"].startswith(
        f"`date` '{DATE}' is -7200 s from the suite's clock read in UTC"
    )
    assert failures(exchange(VALID, 2000, [1]), VALID) == {}
    posted = exchange(VALID, 2000, [1], method="POST", received_at=NOW + 7200)
    assert "clock_and_zone" not in failures(posted, VALID)
    assert "clock_and_zone" not in failures(late, None)


def test_the_traffic_judges_the_exchange_with_the_pages_before() -> None:
    traffic, hiccups = Traffic(100, 10_000), Hiccups()
    query = "annotationRequestId=a&limit=2&offset={}"
    pages = [(1, [1, 2], 5), (2, [3, 4], 4)]  # the count falls between the two pages
    found = []
    for page, ids, count in pages:
        exchanged = exchange(query.format(page), 2000, ids)
        body = dict(exchanged.body)
        body["data"] = {"count": count, "data": [record(n) for n in ids]}
        exchanged = Exchange.build(
            "GET", exchanged.url, 200, body, response_headers=dict(exchanged.response_headers),
            received_at=NOW,
        )  # fmt: skip
        request = read_request(query.format(page).encode())
        found.append(judge(exchanged, request, traffic, hiccups, False))
    assert "count_stable" in found[1].judged and "count_stable" not in found[0].judged
    assert [f.check for f in found[1].failures] == ["count_stable"]


def test_the_checks_an_exchange_exercised_are_reported_with_the_traffics() -> None:
    request = read_request(INVALID.encode())
    found = judge(exchange(INVALID, 4005), request, Traffic(9, 99), Hiccups(), False)
    assert {"negative_data_rejection", "invalid_offset_limit_rejected"} <= found.judged
    assert "positive_data_acceptance" not in found.judged
    valid = judge(exchange(VALID, 2000, [1]), read_request(VALID.encode()), Traffic(9, 99),
                  Hiccups(), False)  # fmt: skip
    assert {"positive_data_acceptance", "client_request_valid", "ordering"} <= valid.judged


def test_several_ids_rename_only_the_order_checks() -> None:
    both = "annotationRequestId=a&annotationRequestId=b"
    bad = exchange(both, 2000, [1])
    bad.body["data"]["data"][0]["status"] = 99
    found = failures(bad, both)
    assert "enum_membership" in found and "response_schema_conformance" in found


def test_the_http_200_style_is_judged_as_the_proxy_is_told() -> None:
    refused = exchange(INVALID, 4005, status=200)
    assert "envelope_http_status" in failures(refused, INVALID)
    assert failures(refused, INVALID, http_200=True) == {
        "client_request_valid": failures(refused, INVALID)["client_request_valid"]
    }


def test_the_clock_is_read_in_the_zone_the_proxy_is_given() -> None:
    # 22:20 in Shanghai is 14:20 UTC: right when the deployment's zone is given.
    shanghai = exchange(VALID, 2000, [1], date="2025-04-08 22:20:00")
    assert "clock_and_zone" in failures(shanghai, VALID)
    assert failures(shanghai, VALID, zone="Asia/Shanghai") == {}


def test_a_valid_page_answered_again_inherits_and_passes_again() -> None:
    # The same records again (a client polling): inherited, the rest judged on the whole page.
    repeats, traffic, hiccups = Repeats(), Traffic(9, 999), Hiccups()
    query = "annotationRequestId=a&limit=3"
    for _ in range(3):
        page = exchange(query, 2000, [1, 2, 3])
        found = judge(page, read_request(query.encode()), traffic, hiccups, False, "UTC", repeats)
        assert found.failures == []
    # An answer that is no page is judged without the memory of pages.
    refused = exchange(INVALID, 4005)
    found = judge(refused, read_request(INVALID.encode()), traffic, hiccups, False, "UTC", repeats)
    assert [failure.check for failure in found.failures] == ["client_request_valid"]
