"""The judgements as pure functions of recorded exchanges: no server, no socket.

These are what a validating proxy reuses on traffic it merely observes, so each is shown here
to keep and to break its rule on hand-made exchanges.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from conformance import across_exchanges, per_exchange
from conformance.exchange import Exchange, Summary
from conformance.failures import Failure
from conformance.registry import REGISTRY
from tests.support.sample_record import record
from tests.support.servers import ROOT

BASE = "http://h/statistics/record"


def envelope(code: int = 2000, data: Any = None) -> dict[str, Any]:
    return {
        "code": code,
        "message": "m",
        "data": data,
        "date": "2025-04-08 14:20:00",
        "requestId": "9876543210abcdef9876543210abcdef",
        "success": code == 2000,
    }


def page(query: str, count: int, ids: Sequence[int], **headers: str) -> Exchange:
    """A 2000 page answering `query`."""
    body = envelope(2000, {"count": count, "data": [record(i) for i in ids]})
    return Exchange.build(
        "GET", f"{BASE}?{query}", 200, body,
        response_headers={"Content-Type": "application/json", **headers},
    )  # fmt: skip


def walk(
    ids: str, count: int, limit: int, offsets: Sequence[int], first: int = 1
) -> list[Exchange]:
    """Correct pages of a request whose records have ids first, first+1, ..."""
    result = []
    for offset in offsets:
        start = (offset - 1) * limit
        records = range(first + start, first + min(count, start + limit))
        result.append(page(f"{ids}&offset={offset}&limit={limit}", count, list(records)))
    return result


def checks(failures: Any) -> set[str]:
    return {failure.check for failure in failures}


# The exchange as an observer reads it.


def test_exchange_reads_the_query_as_the_contract_does() -> None:
    exchange = page("annotationRequestId=a,b&annotationRequestId=a&offset=2&limit=5000", 3, [])
    assert exchange.ids == ("a", "b")
    assert exchange.id_set == frozenset({"a", "b"})
    assert (exchange.offset, exchange.limit, exchange.served_limit) == (2, 5000, 1000)
    assert exchange.path == "/statistics/record"
    assert exchange.is_page and exchange.count == 3 and exchange.records == []
    assert page("annotationRequestId=a&offset=1&offset=2", 0, []).offset is None
    assert page("annotationRequestId=a&limit=x", 0, []).limit is None
    assert not page("annotationRequestId=a&limit=x", 0, []).is_page
    defaults = page("annotationRequestId=a", 0, [])
    assert (defaults.offset, defaults.limit) == (1, 10)
    assert page("annotationRequestId=a%2Cb", 0, []).ids == ("a", "b")


def test_an_answer_is_read_from_the_body_else_from_its_summary() -> None:
    # The client rules (clientjudge/) read these; a journal entry keeps no body (D44).
    full = page("annotationRequestId=a&limit=2", 7, [record(1), record(2)])
    assert (full.answer_code, full.answer_count, full.answer_returned) == (2000, 7, 2)
    summary = Summary(code=2000, count=9, returned=1, limit=2)
    # A body wins over a summary; without a body, the summary speaks.
    both = Exchange("GET", f"{BASE}?annotationRequestId=a", 200, full.body, summary=summary)
    assert (both.answer_code, both.answer_count, both.answer_returned) == (2000, 7, 2)
    bare = Exchange("GET", f"{BASE}?annotationRequestId=a", 200, summary=summary)
    assert (bare.answer_code, bare.answer_count, bare.answer_returned) == (2000, 9, 1)
    assert (bare.code, bare.count, bare.records, bare.is_page) == (None, None, None, False)
    refused = Exchange("GET", BASE, 404, summary=Summary(code=53003, count=9, returned=1))
    assert (refused.answer_code, refused.answer_count, refused.answer_returned) == (
        53003,
        None,
        None,
    )
    error = Exchange.build("GET", BASE, 404, envelope(53003))
    assert (error.answer_code, error.answer_count, error.answer_returned) == (53003, None, None)
    nothing = Exchange("GET", BASE, 200)
    assert (nothing.answer_code, nothing.answer_count, nothing.answer_returned) == (
        None,
        None,
        None,
    )


def test_a_request_started_when_sent_else_its_answer_time_less_the_elapsed() -> None:
    assert Exchange("GET", BASE, 200, received_at=10.0, elapsed=0.25).started_at == 9.75
    sent = Exchange("GET", BASE, 200, received_at=10.0, elapsed=0.25, sent_at=9.5)
    assert sent.started_at == 9.5
    assert (sent.seq, sent.client, sent.summary) == (None, "", None)


# One exchange.


def _error(query: str, code: int, status: int, method: str = "GET", **headers: str) -> Exchange:
    return Exchange.build(
        method, f"{BASE}?{query}", status, envelope(code),
        response_headers={"content-type": "application/json", **headers},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "status", "allow", "broken"),
    [
        ("POST", 405, "GET, HEAD", False),
        ("DELETE", 404, "", False),
        ("QUERY", 501, "", False),
        ("PUT", 400, "", False),
        ("POST", 200, "", True),
        ("PATCH", 500, "", True),
        ("POST", 405, "POST", True),
    ],
)
def test_other_methods_any_4xx_or_501(method: str, status: int, allow: str, broken: bool) -> None:
    exchange = Exchange.build(
        method, f"{BASE}?annotationRequestId=a", status, None, response_headers={"Allow": allow}
    )
    message = per_exchange.other_methods_refused(exchange, False)
    assert (message is not None) is broken, message
    assert per_exchange.not_a_server_error(exchange, False) is None or status == 500


def test_a_501_is_not_a_server_error_but_a_5000_is() -> None:
    other = Exchange.build("QUERY", BASE, 501, None)
    assert per_exchange.not_a_server_error(other, False) is None
    assert per_exchange.not_a_server_error(_error("annotationRequestId=a", 5000, 500), False)


@pytest.mark.parametrize(
    ("query", "code", "broken"),
    [
        ("annotationRequestId=a&offset=1&offset=2", 2000, True),
        ("annotationRequestId=a&limit=1&limit=2", 2000, True),
        ("annotationRequestId=a&limit=1&limit=2", 4005, False),
        ("annotationRequestId=a&limit=1", 2000, False),
    ],
)
def test_repeated_offset_or_limit_must_answer_4005(query: str, code: int, broken: bool) -> None:
    exchange = _error(query, code, 200 if code == 2000 else 400)
    message = per_exchange.repeated_offset_limit_rejected(exchange, False)
    assert (message is not None) is broken, message


@pytest.mark.parametrize(
    ("item", "code", "broken"),
    [
        ("é" * 128, 2000, True),  # 256 bytes accepted
        ("é" * 128, 4005, False),
        ("é" * 127 + "a", 4005, True),  # 255 bytes rejected
        ("é" * 127 + "a", 53003, False),
        ("a" * 255, 4005, False),  # not a multi-byte ID: nothing to say about bytes
    ],
)
def test_id_length_is_counted_in_bytes(item: str, code: int, broken: bool) -> None:
    from urllib.parse import quote

    exchange = _error(f"annotationRequestId={quote(item)}", code, 400)
    message = per_exchange.id_byte_length(exchange, False)
    assert (message is not None) is broken, message


@pytest.mark.parametrize(
    ("query", "count", "size", "check"),
    [
        ("offset=1&limit=10", 25, 10, None),
        ("offset=3&limit=10", 25, 5, None),
        ("offset=3&limit=10", 25, 10, "pagination_complete"),
        ("offset=2&limit=10", 25, 9, "pagination_complete"),
        ("offset=4&limit=10", 25, 0, None),
        ("offset=4&limit=10", 25, 5, "past_last_page_empty"),
        ("offset=1&limit=1001", 1500, 1000, None),
        ("offset=1&limit=1001", 1500, 1001, "limit_capped"),
        ("offset=2&limit=5000", 1500, 500, None),
    ],
)
def test_page_size_follows_count_offset_and_capped_limit(
    query: str, count: int, size: int, check: str | None
) -> None:
    exchange = page(f"annotationRequestId=a&{query}", count, list(range(1, size + 1)))
    found = per_exchange.page_size(exchange)
    assert (found[0] if found else None) == check, found


def test_judge_names_each_failure_after_its_check() -> None:
    body = {**envelope(4005), "success": True, "requestId": "X"}
    exchange = Exchange.build(
        "GET", f"{BASE}?annotationRequestId=a", 200, body,
        response_headers={"content-type": "text/plain"},
    )  # fmt: skip
    found = checks(per_exchange.judge(exchange))
    assert found == {
        "content_type_conformance",
        "response_schema_conformance",
        "envelope_success_matches_code",
        "envelope_request_id",
        "envelope_http_status",
    }
    # In the HTTP-200 style the status is right; the schema is read from the code (4005).
    assert "envelope_http_status" not in checks(per_exchange.judge(exchange, True))
    assert not list(per_exchange.judge(walk("annotationRequestId=a", 3, 2, [1])[0]))


def test_judgement_names_are_registered_checks() -> None:
    from conformance import catalog

    assert set(per_exchange.JUDGEMENTS) <= set(catalog.ALL_CHECKS)


# Across exchanges.


def test_stable_pages_pass_every_judgement() -> None:
    exchanges = [
        *walk("annotationRequestId=a", 25, 10, [1, 2, 3, 4]),
        *walk("annotationRequestId=a", 25, 1000, [1]),
        *walk("annotationRequestId=a", 25, 10, [1]),
    ]
    assert dict(across_exchanges.judge_all(exchanges)) == {}
    assert across_exchanges.growth(exchanges) == []


def test_append_only_growth_is_recognised_not_failed() -> None:
    before = walk("annotationRequestId=a", 25, 10, [1, 2])
    after = walk("annotationRequestId=a", 27, 10, [3, 4, 1])
    exchanges = [*before, *after]
    assert dict(across_exchanges.judge_all(exchanges)) == {}
    grown = across_exchanges.growth(exchanges)
    assert [(g.first, g.last) for g in grown] == [(25, 27)]
    assert "grew from 25 to 27" in str(grown[0])


def test_a_count_that_depends_on_the_page_fails_though_it_rises_while_walking() -> None:
    exchanges = [
        page(f"annotationRequestId=a&offset={offset}&limit=10", 25 + offset, [])
        for offset in (1, 2, 3)
    ] + [page("annotationRequestId=a&offset=1&limit=10", 26, [])]
    failures = list(across_exchanges.count_stable(exchanges))
    assert len(failures) == 1
    assert "count 28 on page 3 of limit 10, then 26 on page 1" in failures[0].message


def test_a_per_page_count_is_named_as_such_once() -> None:
    exchanges = [
        page("annotationRequestId=a&offset=1&limit=1000", 25, list(range(1, 26))),
        page("annotationRequestId=a&offset=1&limit=10", 10, list(range(1, 11))),
        page("annotationRequestId=a&offset=2&limit=10", 10, list(range(11, 21))),
    ]
    found = across_exchanges.judge_all(exchanges)
    assert set(found) == {"count_stable"}
    assert len(found["count_stable"]) == 1
    assert "count looks per-page, not total" in found["count_stable"][0].message


def test_overlap_and_skip_are_told_apart() -> None:
    ok = walk("annotationRequestId=a", 25, 10, [1])
    reference = walk("annotationRequestId=a", 25, 1000, [1])
    overlap = page("annotationRequestId=a&offset=2&limit=10", 25, list(range(10, 20)))
    skip = page("annotationRequestId=a&offset=2&limit=10", 25, list(range(12, 22)))
    overlapping = across_exchanges.judge_all([*reference, *ok, overlap])
    assert set(overlapping) == {"pagination_no_overlap"}
    assert (
        "record 10 is on page 1 of limit 10 and on page 2"
        in overlapping["pagination_no_overlap"][0].message
    )
    skipping = across_exchanges.judge_all([*reference, *ok, skip])
    assert set(skipping) == {"pagination_complete"}
    assert "skips or shifts" in skipping["pagination_complete"][0].message


def test_a_zero_based_offset_is_diagnosed() -> None:
    exchanges = [
        page("annotationRequestId=a&offset=1&limit=1", 25, [2]),
        page("annotationRequestId=a&offset=1&limit=10", 25, list(range(11, 21))),
    ]
    failures = list(across_exchanges.slices_of_one_order(exchanges))
    assert len(failures) == 1
    assert "offset looks 0-based" in failures[0].message


def test_ids_ascend_across_pages_of_several_ids() -> None:
    query = "annotationRequestId=a&annotationRequestId=b"
    concatenated = [
        page(f"{query}&offset=1&limit=3", 6, [100, 101, 102]),
        page(f"{query}&offset=2&limit=3", 6, [1, 2, 3]),
    ]
    failures = list(across_exchanges.ascending_across_pages(concatenated))
    assert checks(failures) == {"ordering"}
    assert "page 2 starts at id 1, page 1 of the same limit ends at id 102" in failures[0].message


def test_same_request_same_answer_allows_a_page_to_grow_at_its_end() -> None:
    first = page("annotationRequestId=a&offset=3&limit=10", 25, list(range(21, 26)))
    grown = page("annotationRequestId=a&offset=3&limit=10", 27, list(range(21, 28)))
    assert not list(across_exchanges.same_request_same_answer([first, grown]))
    changed = page("annotationRequestId=a&offset=3&limit=10", 25, list(range(21, 26)))
    assert changed.records is not None
    changed.records[2]["status"] = 9
    failures = list(across_exchanges.same_request_same_answer([first, changed]))
    assert len(failures) == 1 and "record 23 changed its fields ['status']" in failures[0].message


def test_forms_of_one_id_set_agree() -> None:
    plain = page("annotationRequestId=a&annotationRequestId=b&offset=1&limit=5", 9, [1, 2])
    comma = page("annotationRequestId=a,b&offset=1&limit=5", 9, [1, 2])
    assert not list(across_exchanges.forms_agree([plain, comma]))
    wrong = page("annotationRequestId=a,b&offset=1&limit=5", 4, [1, 2])
    assert checks(across_exchanges.forms_agree([plain, wrong])) == {"multiple_ids"}
    single = page("annotationRequestId=a&offset=1&limit=5", 4, [1, 2])
    doubled = page("annotationRequestId=a&annotationRequestId=a&offset=1&limit=5", 8, [1, 2])
    assert checks(across_exchanges.forms_agree([single, doubled])) == {"duplicate_ids_once"}


def test_counts_add_up_between_the_sums_before_and_after() -> None:
    def alone(name: str, count: int) -> Exchange:
        return page(f"annotationRequestId={name}&offset=1&limit=1", count, [1] if count else [])

    together = page("annotationRequestId=a&annotationRequestId=b&offset=1&limit=1", 12, [1])
    assert not list(across_exchanges.counts_add_up([alone("a", 5), alone("b", 6), together,
                                                    alone("a", 5), alone("b", 7)]))  # fmt: skip
    failures = list(across_exchanges.counts_add_up([alone("a", 5), alone("b", 8), together]))
    assert len(failures) == 1
    assert "answered count 12; the IDs' counts add up to 13" in failures[0].message
    only_first = page("annotationRequestId=a&annotationRequestId=b&offset=1&limit=1", 5, [1])
    failures = list(across_exchanges.counts_add_up([alone("a", 5), alone("b", 7), only_first]))
    assert "only one of the IDs was counted" in failures[0].message


# The envelope rules inside Schemathesis: each registered check calls its rule.


@pytest.mark.parametrize("name", sorted(per_exchange.RULES))
def test_envelope_rules_as_schemathesis_checks_raise(name: str) -> None:
    import json

    from conformance.st_hooks import envelope_check

    broken = {
        "envelope_success_matches_code": {**envelope(4005), "success": True},
        "envelope_data_null_on_error": {**envelope(4005), "data": {}},
        "envelope_request_id": {**envelope(2000, {"count": 0, "data": []}), "requestId": "X"},
        "envelope_date": {**envelope(2000, {"count": 0, "data": []}), "date": "2025"},
        "envelope_http_status": envelope(53003),
    }[name]
    check = envelope_check(name)
    case = SimpleNamespace(method="GET")
    response = SimpleNamespace(status_code=200, content=json.dumps(broken).encode())
    with pytest.raises(AssertionError):
        check(None, response, case)
    good = envelope(2000, {"count": 0, "data": []})
    check(None, SimpleNamespace(status_code=200, content=json.dumps(good).encode()), case)
    # Other methods carry no envelope: nothing to judge.
    check(None, response, SimpleNamespace(method="POST"))


def test_every_registered_check_has_a_description_and_a_kind() -> None:
    from conformance import catalog

    assert list(REGISTRY) and set(REGISTRY) == set(catalog.ALL_CHECKS)
    for entry in REGISTRY.values():
        assert entry.description and not entry.description.endswith(":")


def test_failures_carry_the_request_that_shows_them() -> None:
    exchange = page("annotationRequestId=a&offset=2&offset=3", 0, [])
    failure = next(iter(per_exchange.judge(exchange)))
    assert isinstance(failure, Failure)
    assert failure.curl.startswith("curl ") and "offset=2&offset=3" in failure.curl


# Edges, one row each (found by `make mutate`).


@pytest.mark.parametrize(
    ("query", "code", "method", "broken"),
    [
        ("offset=0", 2000, "GET", True),
        ("offset=0", 4005, "GET", False),
        ("offset=-1", 2000, "GET", True),
        ("limit=", 2000, "GET", True),
        ("limit=1.5", 2000, "GET", True),
        ("limit=2147483647", 2000, "GET", False),
        ("limit=2147483648", 2000, "GET", True),
        ("limit=1", 2000, "GET", False),
        ("offset=1&offset=0", 2000, "GET", False),  # repeated: D24's check
        ("offset=0", 2000, "POST", False),
    ],
)
def test_invalid_offset_or_limit_must_answer_4005(
    query: str, code: int, method: str, broken: bool
) -> None:
    exchange = Exchange.build(method, f"{BASE}?annotationRequestId=a&{query}", 200, envelope(code))
    message = per_exchange.invalid_offset_limit_rejected(exchange, False)
    assert (message is not None) is broken, message


MULTI_255 = "%C3%A9" * 127 + "a"  # 255 bytes of UTF-8, 128 characters


@pytest.mark.parametrize(
    ("query", "broken"),
    [
        (f"annotationRequestId={MULTI_255}", True),
        (f"annotationRequestId={MULTI_255}&limit=1", True),
        (f"annotationRequestId={MULTI_255}&annotationRequestId=a%20b", True),
        (f"annotationRequestId={MULTI_255}&annotationRequestId=a%C2%80b", True),
        # The 4005 has another reason: nothing to say about the ID's length.
        (f"annotationRequestId={MULTI_255}&offset=0", False),
        (f"annotationRequestId={MULTI_255}&limit=0", False),
        (f"annotationRequestId={MULTI_255}&limit=x", False),
        (f"annotationRequestId={MULTI_255}&offset=x", False),
        (f"annotationRequestId={MULTI_255}&annotationRequestId=a%01b", False),
        (f"annotationRequestId={MULTI_255}&annotationRequestId=a%7Fb", False),
        (f"annotationRequestId={MULTI_255},", False),
        (f"annotationRequestId={MULTI_255}" + "&annotationRequestId=b" * 100, False),
        (f"annotationRequestId={MULTI_255}" + "&annotationRequestId=b" * 99, True),
    ],
)
def test_a_255_byte_id_is_refused_only_for_another_reason(query: str, broken: bool) -> None:
    exchange = Exchange.build("GET", f"{BASE}?{query}", 400, envelope(4005))
    message = per_exchange.id_byte_length(exchange, False)
    assert (message is not None) is broken, message
    if broken:
        assert "an ID of 255 bytes (128 characters) answered 4005" in message


@pytest.mark.parametrize(
    ("info", "instances", "attributes", "problem"),
    [
        ({}, 0, 0, None),
        ({"a": 1, "b": 2}, 2, 1, None),
        ({"a": 1}, 0, 2, "sums to 1; modifyInstanceNum + modifyAttributesNum is 2"),
        ({"a": 1}, 2, 0, "sums to 1; modifyInstanceNum + modifyAttributesNum is 2"),
        ({"a": -1, "b": 2}, 1, 0, "values [-1, 2] are not all non-negative integers"),
        ({"a": True}, 1, 0, "values [True] are not all non-negative integers"),
        # Shape errors are the schema's to report.
        ([1], 1, 0, None),
        ({"a": 5}, "1", 0, None),
        ({"a": 5}, 1, None, None),
    ],
)
def test_instance_info_sums_to_the_modifications(
    info: Any, instances: Any, attributes: Any, problem: str | None
) -> None:
    item = {**record(7), "instanceInfo": info, "modifyInstanceNum": instances,
            "modifyAttributesNum": attributes}  # fmt: skip
    found = per_exchange.instance_info_problem(item)
    if problem is None:
        assert found is None
    else:
        assert found == f"record 7: instanceInfo {problem} (D3)"


def test_judge_names_its_phase_and_skips_the_envelope_of_other_methods() -> None:
    broken = {**envelope(4005), "success": True}
    failures = list(per_exchange.judge(_error("annotationRequestId=a", 4005, 400), phase="p"))
    assert failures == []
    exchange = Exchange.build(
        "GET", f"{BASE}?annotationRequestId=a", 400, broken,
        response_headers={"content-type": "application/json"},
    )  # fmt: skip
    found = list(per_exchange.judge(exchange, phase="proxy"))
    assert {f.phase for f in found} == {"proxy"}
    assert all(f.curl == exchange.curl for f in found)
    posted = Exchange.build("POST", f"{BASE}?annotationRequestId=a", 405, broken,
                            response_headers={"allow": "GET"})  # fmt: skip
    assert list(per_exchange.judge(posted)) == []


def test_pages_past_the_end_are_judged_only_as_such() -> None:
    pages = walk("annotationRequestId=a", 30, 10, [1, 2, 3])
    # Exactly at the end (30 records, page 4 of 10): past it, repeating the last page.
    repeated = page("annotationRequestId=a&offset=4&limit=10", 30, list(range(21, 31)))
    found = across_exchanges.judge_all([*pages, repeated])
    assert set(found) == {"past_last_page_empty"}


def test_a_count_falling_right_after_the_first_page_fails_naming_both_pages() -> None:
    first, second = walk("annotationRequestId=a", 25, 10, [1, 2])
    lower = page("annotationRequestId=a&offset=3&limit=10", 24, list(range(21, 25)))
    failures = list(across_exchanges.count_stable([first, lower]))
    assert len(failures) == 1
    assert failures[0].message.startswith("'a': count 25 on page 1 of limit 10, then 24 on page 3")
    assert failures[0].curl == lower.curl and failures[0].phase == "observed"
    again = page("annotationRequestId=a&offset=2&limit=10", 27, list(range(11, 21)))
    later = page("annotationRequestId=a&offset=3&limit=10", 27, list(range(21, 28)))
    tail = page("annotationRequestId=a&offset=1&limit=10", 26, list(range(1, 11)))
    failures = list(across_exchanges.count_stable([first, second, again, later, tail]))
    # The fall is from where the highest count was first seen.
    assert "count 27 on page 2 of limit 10, then 26 on page 1" in failures[0].message


def test_growth_seen_on_the_last_page_only() -> None:
    exchanges = [*walk("annotationRequestId=a", 25, 10, [1, 2]),
                 *walk("annotationRequestId=a", 26, 10, [3])]  # fmt: skip
    assert [(g.first, g.last) for g in across_exchanges.growth(exchanges)] == [(25, 26)]
    assert str(across_exchanges.growth(exchanges)[0]).startswith("'a' grew from 25 to 26")
    together = walk("annotationRequestId=a&annotationRequestId=b", 3, 10, [1])
    later = walk("annotationRequestId=a&annotationRequestId=b", 4, 10, [1])
    assert str(across_exchanges.growth([*together, *later])[0]).startswith("a&b grew from 3")


def test_positions_are_not_judged_on_pages_out_of_order() -> None:
    pages = [
        page("annotationRequestId=a&offset=1&limit=3", 6, [1, 1, 2]),
        page("annotationRequestId=a&offset=2&limit=3", 6, [2, 3, 4]),
    ]
    assert list(across_exchanges.slices_of_one_order(pages)) == []


@pytest.mark.parametrize(("code", "status"), [(4005, 400), (402, 401), (53003, 404), (5000, 500)])
def test_documented_error_envelopes_match_their_schema(code: int, status: int) -> None:
    """`data: null` is valid where the contract says `nullable: true` (OpenAPI 3.0)."""
    exchange = _error("annotationRequestId=a", code, status)
    assert per_exchange.response_schema_conformance(exchange, False) is None
    wrong = Exchange.build("GET", exchange.url, status, {**envelope(code), "data": 5})
    assert per_exchange.response_schema_conformance(wrong, False) is not None


def _scenario() -> list[Exchange]:
    """One series with one fault per request form, as a proxy would record it."""
    a = [
        *walk("annotationRequestId=a", 30, 10, [1, 2, 3]),
        page("annotationRequestId=a&offset=4&limit=10", 30, list(range(21, 31))),
    ]
    b = [*walk("annotationRequestId=b", 30, 1000, [1], first=100)]
    b += [
        page(
            f"annotationRequestId=b&offset={o}&limit=10",
            30,
            list(range(100 + (o - 1) * 3, 110 + (o - 1) * 3)),
        )
        for o in (1, 2, 3)
    ]
    c = [page(f"annotationRequestId=c&offset={o}&limit=10", 25 + o, []) for o in (1, 2)]
    c += [page("annotationRequestId=c&offset=1&limit=10", 26, [])]
    d = [
        page("annotationRequestId=d&offset=1&limit=1", 25, [302]),
        page("annotationRequestId=d&offset=1&limit=10", 25, list(range(311, 321))),
    ]
    e = [
        page("annotationRequestId=e&offset=1&limit=3", 3, [501, 502, 503]),
        page("annotationRequestId=e&offset=1&limit=3", 3, [501, 502]),
    ]
    f = [
        page("annotationRequestId=f&annotationRequestId=g&offset=1&limit=5", 2, [1, 2]),
        page("annotationRequestId=f,g&offset=1&limit=5", 3, [1, 2, 3]),
        page("annotationRequestId=f&offset=1&limit=5", 2, [1, 2]),
        page("annotationRequestId=f&annotationRequestId=f&offset=1&limit=5", 4, [1, 2]),
    ]
    h = [
        page("annotationRequestId=h&offset=1&limit=1", 4, [1]),
        page("annotationRequestId=i&offset=1&limit=1", 5, [9]),
        page("annotationRequestId=h&annotationRequestId=i&offset=1&limit=1", 4, [1]),
    ]
    return [*a, *b, *c, *d, *e, *f, *h]  # fmt: skip


def test_judge_all_on_a_recorded_series_gives_the_golden_failures() -> None:
    """Every failure of a mixed series: check, message, phase and request, exactly.

    tests/golden/across_exchanges.txt holds them, one repr a line; a change of wording shows
    here as a diff to review.
    """
    found = [
        repr((check, f.message, f.phase, f.curl.split("?")[1][:60]))
        for check, failures in across_exchanges.judge_all(_scenario(), "golden").items()
        for f in failures
    ]
    golden = (ROOT / "tests" / "golden" / "across_exchanges.txt").read_text(encoding="utf-8")
    assert found == golden.splitlines()


NOON = 1_767_268_800.0  # 2026-01-01 12:00:00 UTC


def _dated(date: str, created: str = "2025-04-01 10:00:00", method: str = "GET") -> Exchange:
    body = envelope(2000, {"count": 1, "data": [{**record(1), "createdTime": created}]})
    body["date"] = date
    return Exchange.build(method, f"{BASE}?annotationRequestId=a", 200, body, received_at=NOON)


@pytest.mark.parametrize(
    ("date", "zone", "problem"),
    [
        ("2026-01-01 12:00:00", "UTC", None),
        ("2026-01-01 12:04:59", "UTC", None),
        ("2026-01-01 11:55:01", "UTC", None),
        ("2026-01-01 12:05:01", "UTC", "is +301 s from the suite's clock read in UTC; `date`"),
        ("2026-01-01 20:00:00", "UTC", "+28800 s from the suite's clock read in UTC: `date` "
                                       "looks like another zone (UTC+8)"),
        ("2026-01-01 04:00:00", "UTC", "looks like another zone (UTC-8)"),
        ("2026-01-01 20:00:00", "Asia/Shanghai", None),
        ("2026-01-01 12:00:00", "Asia/Shanghai", "read in Asia/Shanghai: `date` looks like "
                                                 "another zone (UTC-8)"),
        ("2026-01-01 12:30:00", "UTC", "is +1800 s from the suite's clock read in UTC; `date`"),
    ],
)  # fmt: skip
def test_date_is_the_time_of_the_answer_in_the_zone(
    date: str, zone: str, problem: str | None
) -> None:
    found = per_exchange.clock_and_zone(_dated(date), zone)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found, found
        assert f"`date` is the answer's time in {zone} (D15" in found


def test_created_time_is_not_later_than_the_answer() -> None:
    same = _dated("2026-01-01 12:00:00", "2026-01-01 12:00:00")
    assert per_exchange.clock_and_zone(same) is None
    found = per_exchange.clock_and_zone(_dated("2026-01-01 12:00:00", "2026-01-01 12:00:01"))
    assert found == (
        "record 1: createdTime '2026-01-01 12:00:01' is later than the answer's date "
        "'2026-01-01 12:00:00': createdTime and date are in one zone (D15)"
    )
    # Nothing to judge: another method, no time of arrival, a date that is not a date.
    assert per_exchange.clock_and_zone(_dated("2026-01-01 20:00:00", method="POST")) is None
    late = Exchange.build("GET", BASE, 200, {**envelope(2000), "date": "2026-01-01 20:00:00"})
    assert per_exchange.clock_and_zone(late) is None
    assert per_exchange.clock_and_zone(_dated("2026-13-01 12:00:00")) is None


def test_json_schema_reads_nullable_as_a_null_type() -> None:
    schema = {
        "type": "object",
        "nullable": True,
        "properties": {"a": {"type": ["string"], "nullable": True}, "b": {"nullable": False}},
        "allOf": [{"type": "integer", "nullable": True}, {"nullable": True}],
        "description": "nullable: true",
    }
    assert per_exchange.json_schema(schema) == {
        "type": ["object", "null"],
        "properties": {"a": {"type": ["string", "null"]}, "b": {}},
        "allOf": [{"type": ["integer", "null"]}, {}],
        "description": "nullable: true",
    }
    assert per_exchange.json_schema([1, "x"]) == [1, "x"]


@pytest.mark.parametrize(
    ("item", "code", "method", "broken"),
    [
        ("a%01b", 53003, "GET", True),
        ("a%7Fb", 53003, "GET", True),
        ("a%1Fb", 2000, "GET", True),
        ("a%01b", 4005, "GET", False),
        ("a%01b", 53003, "POST", False),
        ("a%20b", 53003, "GET", False),  # a space is not a control character
        ("a%C2%80b", 53003, "GET", False),  # U+0080 is outside D22's ranges
    ],
)
def test_ids_with_control_characters_answer_4005(
    item: str, code: int, method: str, broken: bool
) -> None:
    exchange = Exchange.build(method, f"{BASE}?annotationRequestId={item}", 404, envelope(code))
    message = per_exchange.id_characters_rejected(exchange, False)
    assert (message is not None) is broken, message
    if broken:
        assert message.endswith(f"answered code {code}; expected 4005 (D22)")


def test_the_http_200_style_is_judged_against_the_schema_of_the_code() -> None:
    error = Exchange.build("GET", f"{BASE}?annotationRequestId=a", 200, envelope(4005))
    assert per_exchange.response_schema_conformance(error, True) is None
    # Mirrored statuses: a 200 must carry the success envelope.
    found = per_exchange.response_schema_conformance(error, False)
    assert found is not None and found.startswith("HTTP 200 body does not match the contract")
    # The style maps only a 200; another status is read as it is.
    created = Exchange.build("GET", error.url, 201, envelope(4005))
    assert per_exchange.response_schema_conformance(created, True) is None  # undocumented
    unknown = Exchange.build("GET", error.url, 200, envelope(9999))
    assert per_exchange.response_schema_conformance(unknown, True) is None
    assert per_exchange.status_code_conformance(created, True) is not None


@pytest.mark.parametrize("name", sorted(per_exchange.RULES))
def test_envelope_judgements_judge_get_envelopes_only(name: str) -> None:
    judgement = per_exchange._envelope_rule(name)
    broken = {
        "envelope_success_matches_code": {**envelope(4005), "success": True},
        "envelope_data_null_on_error": {**envelope(4005), "data": {}},
        "envelope_request_id": {**envelope(2000, {"count": 0, "data": []}), "requestId": "X"},
        "envelope_date": {**envelope(2000, {"count": 0, "data": []}), "date": "2025"},
        "envelope_http_status": envelope(53003),
    }[name]
    status = 200
    message = judgement(Exchange.build("GET", BASE, status, broken), False)
    assert message == per_exchange.RULES[name](status, broken, False)
    assert message is not None
    assert judgement(Exchange.build("POST", BASE, status, broken), False) is None
    assert judgement(Exchange.build("GET", BASE, status, {"no": "code"}), False) is None
    if name == "envelope_http_status":
        assert judgement(Exchange.build("GET", BASE, 200, broken), True) is None


# Boundaries and the messages of each per-exchange judgement (they were found unexercised by
# `make mutate`, docs/conformance.md C26).


def test_the_http_200_style_reads_the_schema_of_the_mapped_status() -> None:
    # A 4005 carried by HTTP 200 is judged against the 400 schema: a broken one fails.
    broken = {key: value for key, value in envelope(4005).items() if key != "message"}
    error = Exchange.build("GET", f"{BASE}?annotationRequestId=a", 200, broken)
    found = per_exchange.response_schema_conformance(error, True)
    assert found is not None and "message" in found, found


@pytest.mark.parametrize(
    ("method", "status", "content_type", "expected"),
    [
        ("GET", 200, "application/json; charset=utf-8", None),
        ("GET", 200, "Application/JSON", None),
        ("GET", 418, "text/plain", None),  # undocumented: status_code_conformance says so
        ("POST", 200, "text/plain", None),  # only the documented GET answers are judged
        ("GET", 200, "", "HTTP 200 answered Content-Type 'none', not application/json"),
        ("GET", 400, "text/html; x=y", "HTTP 400 answered Content-Type 'text/html', not "
                                       "application/json"),
    ],
)  # fmt: skip
def test_content_type_judges_the_media_type_of_documented_get_answers(
    method: str, status: int, content_type: str, expected: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    exchange = Exchange.build(
        method, f"{BASE}?annotationRequestId=a", status, envelope(), response_headers=headers
    )
    assert per_exchange.content_type_conformance(exchange, False) == expected


def test_schema_messages_show_where_and_what() -> None:
    text = "x" * 300
    html = Exchange.build("GET", BASE, 200, None, text=text)
    assert per_exchange.response_schema_conformance(html, False) == (
        f"HTTP 200: the body is not JSON: {text[:200]!r}"
    )
    bad = page("annotationRequestId=a", 1, [1])
    assert bad.body is not None
    bad.body["data"]["data"][0]["status"] = "done"
    found = per_exchange.response_schema_conformance(bad, False)
    assert found is not None
    assert found.startswith("HTTP 200 body does not match the contract at /data/data/0/status: ")


@pytest.mark.parametrize(
    ("method", "status", "body", "expected"),
    [
        ("GET", 500, None, "HTTP 500: a server error"),
        ("GET", 502, None, "HTTP 502: a server error"),
        ("GET", 503, envelope(4005), "HTTP 503: a server error"),
        ("POST", 501, None, None),
        ("GET", 499, None, None),
        ("GET", 500, envelope(5000), "answered 5000 (service hiccup)"),
        ("POST", 500, envelope(5000), None),  # a hiccup is reported on GETs only
        ("GET", 200, envelope(5000), "answered 5000 (service hiccup)"),
    ],
)  # fmt: skip
def test_server_errors_and_hiccups(
    method: str, status: int, body: Any, expected: str | None
) -> None:
    exchange = Exchange.build(method, BASE, status, body)
    assert per_exchange.not_a_server_error(exchange, False) == expected


@pytest.mark.parametrize(
    ("method", "status", "headers", "expected"),
    [
        ("HEAD", 200, {}, None),  # HEAD is GET without a body, not another method
        ("POST", 405, {}, "POST answered 405 with Allow []: it must name GET"),
        ("POST", 405, {"Allow": ""}, "POST answered 405 with Allow []: it must name GET"),
        ("PUT", 405, {"Allow": "post, put"},
         "PUT answered 405 with Allow ['POST', 'PUT']: it must name GET"),
        ("PUT", 405, {"Allow": "head, get"}, None),
        ("POST", 302, {}, "POST answered HTTP 302; the contract documents only GET: expected a "
                          "4xx (405 is usual) or 501"),
    ],
)  # fmt: skip
def test_other_methods_messages_name_the_method_and_allow(
    method: str, status: int, headers: dict[str, str], expected: str | None
) -> None:
    exchange = Exchange.build(
        method, f"{BASE}?annotationRequestId=a", status, None, response_headers=headers
    )
    assert per_exchange.other_methods_refused(exchange, False) == expected


def test_repeated_offset_and_limit_are_both_named() -> None:
    exchange = _error("annotationRequestId=a&offset=1&offset=2&limit=1&limit=2", 2000, 200)
    assert per_exchange.repeated_offset_limit_rejected(exchange, False) == (
        "offset and limit sent twice answered code 2000; expected 4005 (D24): the server "
        "silently took one of the values"
    )


@pytest.mark.parametrize(
    ("ids", "code", "method", "expected"),
    [
        (",".join(["a"] * 101), 2000, "GET",
         "101 IDs in one request answered code 2000; at most 100 (D9): 4005"),
        ("&annotationRequestId=".join(["a"] * 101), 53003, "GET",
         "101 IDs in one request answered code 53003; at most 100 (D9): 4005"),
        (",".join(["a"] * 101), 4005, "GET", None),
        (",".join(["a"] * 100), 2000, "GET", None),
        (",".join(["a"] * 101), 2000, "POST", None),
    ],
)  # fmt: skip
def test_too_many_ids_counts_values_as_sent(
    ids: str, code: int, method: str, expected: str | None
) -> None:
    exchange = Exchange.build(method, f"{BASE}?annotationRequestId={ids}", 200, envelope(code))
    assert per_exchange.too_many_ids_rejected(exchange, False) == expected


@pytest.mark.parametrize(
    ("query", "code", "method", "broken"),
    [
        ("annotationRequestId=%FF", 53003, "GET", True),
        ("annotationRequestId=%FF", 4005, "GET", False),
        ("annotationRequestId=%FF", 53003, "POST", False),
        ("annotationRequestId=%C3%A9", 53003, "GET", False),
    ],
)
def test_a_query_that_is_not_utf8_must_answer_4005(
    query: str, code: int, method: str, broken: bool
) -> None:
    exchange = Exchange.build(method, f"{BASE}?{query}", 404, envelope(code))
    message = per_exchange.bad_encoding_rejected(exchange, False)
    if broken:
        assert message == (
            "a query that is not valid UTF-8 once percent-decoded answered code 53003; "
            "expected 4005 naming the parameter (D25), not a guess at the ID meant"
        )
    else:
        assert message is None


@pytest.mark.parametrize(
    ("item", "code", "method", "expected"),
    [
        # The longest ID is the longest in bytes, not the last in sort order.
        ("é" * 128 + ",ê", 2000, "GET", "an ID of 256 bytes (128 characters) answered code "
                                        "2000; expected 4005 (IDs are limited to 255 bytes of "
                                        "UTF-8)"),
        ("é" * 128, 2000, "POST", None),
        # Each ID of a comma-separated value is judged alone: 255 bytes must be accepted.
        ("é" * 127 + "a,b", 4005, "GET", "an ID of 255 bytes (128 characters) answered 4005; "
                                         "IDs are limited to 255 bytes, not 255 characters: "
                                         "255 bytes must be accepted"),
    ],
)  # fmt: skip
def test_id_byte_length_messages(item: str, code: int, method: str, expected: str | None) -> None:
    from urllib.parse import quote

    exchange = Exchange.build(
        method, f"{BASE}?annotationRequestId={quote(item, safe=',')}", 400, envelope(code)
    )
    assert per_exchange.id_byte_length(exchange, False) == expected


@pytest.mark.parametrize(
    ("query", "count", "size", "expected"),
    [
        # A limit of 1000 or less is never "capped": a wrong size is an incomplete page.
        ("offset=1&limit=1000", 1500, 1001, ("pagination_complete", "page 1 of limit 1000 "
                                             "holds 1001 records; count 1500 means 1000")),
        # Over the cap but not over 1000 records: a short page, not a cap problem.
        ("offset=2&limit=1001", 1500, 1000, ("pagination_complete", "page 2 of limit 1001 "
                                             "holds 1000 records; count 1500 means 500")),
        ("offset=2&limit=2000", 1500, 400, ("pagination_complete", "page 2 of limit 2000 "
                                            "holds 400 records; count 1500 means 500")),
        ("offset=1&limit=1001", 1500, 1001, ("limit_capped", "page 1 of limit 1001 answered "
                                             "1001 records: the cap is 1000 (D5), a larger "
                                             "limit is served as 1000")),
    ],
)  # fmt: skip
def test_page_size_cap_boundaries(
    query: str, count: int, size: int, expected: tuple[str, str]
) -> None:
    exchange = page(f"annotationRequestId=a&{query}", count, list(range(1, size + 1)))
    assert per_exchange.page_size(exchange) == expected


def test_page_size_is_judged_only_on_a_page_and_against_the_count_given() -> None:
    # Not a page: an error envelope, or a repeated offset.
    assert per_exchange._page_size_problem(_error("annotationRequestId=a", 4005, 400), 5) is None
    repeated = page("annotationRequestId=a&offset=1&offset=2&limit=2", 5, [1, 2])
    assert per_exchange._page_size_problem(repeated, 5) is None
    # The request's true count, when the caller knows it, wins over the page's own.
    own = page("annotationRequestId=a&offset=1&limit=10", 25, list(range(1, 11)))
    assert per_exchange.page_size(own) is None
    assert per_exchange.page_size(own, 5) == (
        "pagination_complete",
        "page 1 of limit 10 holds 10 records; count 5 means 5",
    )


@pytest.mark.parametrize(
    ("method", "ids", "expected"),
    [
        ("GET", [1, 2, 3], None),
        ("GET", [3, 2], "the page is not in ascending id order (D16): [3, 2]"),
        ("GET", [1, 1], "the page is not in ascending id order (D16): [1, 1]"),  # ids are unique
        ("GET", list(range(12, 0, -1)), "the page is not in ascending id order (D16): "
                                        "[12, 11, 10, 9, 8, 7, 6, 5, 4, 3]"),
        ("POST", [3, 2], None),  # not a page
    ],
)  # fmt: skip
def test_ordering_is_strictly_ascending(method: str, ids: list[int], expected: str | None) -> None:
    body = envelope(2000, {"count": len(ids), "data": [record(i) for i in ids]})
    exchange = Exchange.build(method, f"{BASE}?annotationRequestId=a&limit=20", 200, body)
    assert per_exchange.ordering(exchange, False) == expected


def test_instance_info_allows_zero_and_reports_the_record() -> None:
    good = {**record(1), "instanceInfo": {"a": 0, "b": 2}, "modifyInstanceNum": 1,
            "modifyAttributesNum": 1}  # fmt: skip
    bad = {**record(2), "instanceInfo": {"a": 3}, "modifyInstanceNum": 1}
    body = envelope(2000, {"count": 2, "data": [good, bad]})
    exchange = Exchange.build("GET", f"{BASE}?annotationRequestId=a", 200, body)
    assert per_exchange.instance_info_problem(good) is None
    assert per_exchange.instance_info_sum(exchange, False) == (
        "record 2: instanceInfo sums to 3; modifyInstanceNum + modifyAttributesNum is 1 (D3)"
    )


def test_enum_membership_names_the_record_the_field_and_the_values() -> None:
    body = envelope(2000, {"count": 1, "data": [{**record(7), "status": 99}]})
    exchange = Exchange.build("GET", f"{BASE}?annotationRequestId=a", 200, body)
    allowed = sorted(per_exchange._enums()["status"])
    assert per_exchange.enum_membership(exchange, False) == (
        f"record 7: status 99 is not one of {allowed}"
    )


def test_clock_boundaries_and_the_zone_hint() -> None:
    # Exactly 5 minutes off is within the skew.
    assert per_exchange.clock_and_zone(_dated("2026-01-01 12:05:00")) is None
    # 1.5 hours off is no whole-hour zone: no zone hint.
    found = per_exchange.clock_and_zone(_dated("2026-01-01 13:30:00"))
    assert found is not None and "another zone (UTC" not in found
    assert found.endswith("(D15; pass --timezone if the deployment uses another zone)")
    # A body that is not an object has no date to judge.
    assert (
        per_exchange.clock_and_zone(Exchange.build("GET", BASE, 200, [1], received_at=NOON)) is None
    )


def test_judge_carries_each_message() -> None:
    exchange = Exchange.build("GET", BASE, 200, {**envelope(4005), "success": True})
    failures = {f.check: f for f in per_exchange.judge(exchange)}
    rule = per_exchange.RULES["envelope_success_matches_code"]
    assert failures["envelope_success_matches_code"].message == rule(200, exchange.body, False)
    assert failures["envelope_success_matches_code"].phase == "observed"


# Cross-exchange judgements: the cases `make mutate` found unexercised (C26).


def _alone(name: str, count: int) -> Exchange:
    return page(f"annotationRequestId={name}&offset=1&limit=1", count, [1] if count else [])


def _both(count: int, names: str = "a&annotationRequestId=b") -> Exchange:
    return page(f"annotationRequestId={names}&offset=1&limit=1", count, [1])


@pytest.mark.parametrize("judgement", across_exchanges.ACROSS)
def test_each_cross_exchange_judgement_names_the_phase(judgement: Any) -> None:
    found = list(judgement(_scenario()))
    assert found and {f.phase for f in found} == {"observed"}
    assert {f.phase for f in judgement(_scenario(), "replay")} == {"replay"}
    assert {f.phase for fs in across_exchanges.judge_all(_scenario()).values() for f in fs} == {
        "observed"
    }


def test_a_per_page_count_failure_names_its_phase() -> None:
    exchanges = [
        page("annotationRequestId=a&offset=1&limit=1000", 25, list(range(1, 26))),
        page("annotationRequestId=a&offset=1&limit=10", 10, list(range(1, 11))),
    ]
    (failure,) = across_exchanges.count_stable(exchanges, "replay")
    assert failure.phase == "replay"


def test_a_request_without_ids_is_labelled_as_empty() -> None:
    assert across_exchanges._label(()) == "''"
    assert across_exchanges._label(("a",)) == "'a'"
    assert across_exchanges._label(("a", "b")) == "a&b"


def test_page_sizes_skips_only_requests_whose_pages_overlap() -> None:
    # Overlapping pages: one cause, reported by pagination_no_overlap alone.
    overlapping = [
        page("annotationRequestId=a&offset=1&limit=2", 5, [1, 2]),
        page("annotationRequestId=a&offset=2&limit=2", 5, [2, 3, 4]),
    ]
    assert checks(across_exchanges.slices_of_one_order(overlapping)) == {"pagination_no_overlap"}
    assert not list(across_exchanges.page_sizes(overlapping))
    # A shift is no overlap: the short page is still judged by its size.
    shifted = [
        *walk("annotationRequestId=a", 5, 2, [1, 2]),
        page("annotationRequestId=a&offset=1&limit=3", 5, [1, 2, 4]),
        page("annotationRequestId=a&offset=2&limit=3", 5, [5]),
    ]
    assert checks(across_exchanges.slices_of_one_order(shifted)) == {"pagination_complete"}
    assert [f.message for f in across_exchanges.page_sizes(shifted)] == [
        "'a': page 2 of limit 3 holds 1 records; count 5 means 2"
    ]


def test_slices_judge_every_request_and_cap_failures_at_five() -> None:
    unordered = page("annotationRequestId=a&offset=1&limit=2", 5, [2, 1])
    overlap = [
        page("annotationRequestId=b&offset=1&limit=2", 5, [1, 2]),
        page("annotationRequestId=b&offset=2&limit=2", 5, [2, 3]),
    ]
    found = list(across_exchanges.slices_of_one_order([unordered, *overlap]))
    assert checks(found) == {"pagination_no_overlap"}
    # Two requests with 0-based offsets: each is diagnosed.
    zero_based = [
        page(f"annotationRequestId={name}&offset=1&limit={limit}", 25, [limit + 1])
        for name in ("c", "d")
        for limit in (1, 2, 3)
    ]
    found = list(across_exchanges.slices_of_one_order(zero_based))
    assert [f.message.split(":")[0] for f in found] == ["'c'", "'d'"]
    assert all("offset looks 0-based" in f.message for f in found)
    # Shifted by one from the second page on: many positions disagree, five are reported.
    shifted = [
        *walk("annotationRequestId=e", 40, 20, [1, 2]),
        page("annotationRequestId=e&offset=2&limit=10", 40, list(range(12, 22))),
    ]
    found = list(across_exchanges.slices_of_one_order(shifted, "replay"))
    assert len(found) == 5 and checks(found) == {"pagination_complete"}
    assert found[0].message == (
        "'e': record 11 of the request is id 11 on page 1 of limit 20 but id 12 on page 2 of "
        "limit 10: a page skips or shifts records"
    )
    assert found[0].phase == "replay"


def test_ascending_across_pages_reads_each_page_start() -> None:
    exchanges = [
        page("annotationRequestId=a&offset=1&limit=2", 6, []),  # empty: page_sizes reports it
        page("annotationRequestId=a&offset=2&limit=2", 6, [3, 4]),
        page("annotationRequestId=a&offset=3&limit=2", 6, [1, 9]),
    ]
    found = list(across_exchanges.ascending_across_pages(exchanges))
    assert [f.message.split(":")[1] for f in found] == [
        " page 3 starts at id 1, page 2 of the same limit ends at id 4"
    ]


def test_same_answer_judges_every_repeat_and_names_a_lost_field() -> None:
    first = page("annotationRequestId=a&offset=1&limit=2", 2, [1, 2])
    again = page("annotationRequestId=a&offset=1&limit=2", 2, [1, 2])
    lost = page("annotationRequestId=a&offset=1&limit=2", 2, [1, 2])
    assert lost.records is not None
    del lost.records[1]["poolName"]
    found = list(across_exchanges.same_request_same_answer([first, again, lost]))
    assert [f.message for f in found] == [
        "'a': page 1 of limit 2 asked twice: record 2 changed its fields ['poolName']; the "
        "same request must answer the same records"
    ]


def test_forms_agree_details() -> None:
    single = page("annotationRequestId=a&offset=1&limit=10", 3, [1, 2, 3])
    # `a,a` is a duplicate though it is one value.
    doubled = page("annotationRequestId=a,a&offset=1&limit=10", 6, [1, 2, 3])
    assert [f.check for f in across_exchanges.forms_agree([single, doubled])] == [
        "duplicate_ids_once"
    ]
    # Only other forms, no plain request: nothing to compare with.
    assert not list(across_exchanges.forms_agree([doubled]))
    # Each other form is judged, the agreeing ones pass; messages show five ids.
    plain = page("annotationRequestId=a&annotationRequestId=b&offset=1&limit=10", 7,
                 list(range(1, 8)))  # fmt: skip
    agreeing = page("annotationRequestId=a,b&offset=1&limit=10", 7, list(range(1, 8)))
    wrong = page("annotationRequestId=a,b&annotationRequestId=b&offset=1&limit=10", 6,
                 list(range(1, 7)))  # fmt: skip
    found = list(across_exchanges.forms_agree([plain, agreeing, wrong]))
    assert [f.message for f in found] == [
        "a,b&b answered count 6 and ids [1, 2, 3, 4, 5]; a&b answered count 7 and ids "
        "[1, 2, 3, 4, 5]: duplicates must count once (D7)"
    ]


@pytest.mark.parametrize(
    ("exchanges", "expected"),
    [
        # Equal to the sum of the counts just before: stable data passes.
        ([_alone("a", 2), _alone("b", 3), _both(5)], []),
        # The nearest single counts before are read, not the first ones.
        ([_alone("a", 2), _alone("a", 3), _alone("b", 1), _both(4)], []),
        # One ID never asked alone: no sum to compare with.
        ([_alone("a", 2), _both(5)], []),
        # The comma form is compared with the repeated one by forms_agree, not here.
        ([_alone("a", 2), _alone("b", 3), _both(5), _both(9, "a,b")], []),
        # Every combined request is judged, after an agreeing one and after one skipped.
        ([_alone("a", 2), _alone("b", 3), _both(5), _both(9)],
         ["a&b together answered count 9; the IDs' counts add up to 5"]),
        ([_alone("x", 5), _alone("x", 4), _alone("y", 1), _both(2, "x&annotationRequestId=y"),
          _alone("a", 2), _alone("b", 3), _both(9)],
         ["a&b together answered count 9; the IDs' counts add up to 5"]),
    ],
)  # fmt: skip
def test_counts_add_up_cases(exchanges: list[Exchange], expected: list[str]) -> None:
    found = list(across_exchanges.counts_add_up(exchanges))
    assert [f.message for f in found] == expected


def test_exchange_build_keeps_what_it_is_given() -> None:
    bare = Exchange.build("get", BASE, 200)
    assert (bare.method, bare.text, bare.elapsed, bare.request_headers) == ("GET", "", 0.0, {})
    full = Exchange.build("GET", BASE, 200, text="t", elapsed=1.5, request_headers={"X": "1"})
    assert (full.text, full.elapsed, full.request_headers) == ("t", 1.5, {"X": "1"})


@pytest.mark.parametrize("count", [True, "3", 2.0, None])
def test_a_count_that_is_not_an_integer_is_no_count(count: Any) -> None:
    exchange = Exchange.build(
        "GET", f"{BASE}?annotationRequestId=a", 200, envelope(2000, {"count": count, "data": []})
    )
    assert exchange.count is None and not exchange.is_page


def _page_with(odd: dict[str, Any], at: int = 2, size: int = 5) -> Exchange:
    """A page of good records with `odd`'s fields replacing those of the record at `at`."""
    records = [record(i) for i in range(1, size + 1)]
    records[at] = {**records[at], **odd}
    body = envelope(2000, {"count": size, "data": records})
    body["date"] = "2026-01-01 12:00:00"
    return Exchange.build("GET", f"{BASE}?annotationRequestId=a", 200, body, received_at=NOON)


# Records the fast passes in C (per_exchange._sums_hold, _enums_hold, the latest createdTime)
# cannot vouch for: the record-by-record judgement must then find them, with its own message.
@pytest.mark.parametrize(
    ("odd", "expected"),
    [
        ({"instanceInfo": {"a": True}, "modifyInstanceNum": 1}, "values [True] are not all"),
        ({"instanceInfo": {"a": -1, "b": 2}, "modifyInstanceNum": 1}, "values [-1, 2] are not"),
        ({"instanceInfo": {"a": 1.0}, "modifyInstanceNum": 1}, "values [1.0] are not all"),
        ({"instanceInfo": {}, "modifyAttributesNum": 1}, "sums to 0; modifyInstanceNum"),
        ({"instanceInfo": {"a": 2}, "modifyInstanceNum": 1}, "sums to 2; modifyInstanceNum"),
        ({"instanceInfo": [1]}, None),  # a shape error: the schema's to report
        ({"modifyInstanceNum": True}, None),
    ],
)  # fmt: skip
def test_instance_info_fast_pass_leaves_every_fault_to_the_exact_one(
    odd: dict[str, Any], expected: str | None
) -> None:
    found = per_exchange.instance_info_sum(_page_with(odd), False)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.startswith(f"record 3: instanceInfo {expected}"), found


@pytest.mark.parametrize(
    ("odd", "expected"),
    [
        ({"status": 99}, "status 99 is not one of"),
        ({"status": None}, "status None is not one of"),
        ({"poolType": [1]}, "poolType [1] is not one of"),  # unhashable: no set can hold it
        ({"actionType": "0"}, "actionType '0' is not one of"),
        ({"status": True}, None),  # True == 1, a member, as the record-by-record test says
    ],
)
def test_enum_fast_pass_leaves_every_fault_to_the_exact_one(
    odd: dict[str, Any], expected: str | None
) -> None:
    found = per_exchange.enum_membership(_page_with(odd), False)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.startswith(f"record 3: {expected}"), found


def test_enum_fast_pass_finds_a_missing_field() -> None:
    exchange = _page_with({})
    del exchange.records[2]["status"]  # type: ignore[index, attr-defined]
    assert per_exchange.enum_membership(exchange, False) == (
        f"record 3: status None is not one of {sorted(per_exchange._enums()['status'])}"
    )


@pytest.mark.parametrize(
    ("odd", "expected"),
    [
        ({"createdTime": "2026-01-01 12:00:01"}, "record 3: createdTime '2026-01-01 12:00:01'"),
        ({"createdTime": "2026-01-01 12:00:00"}, None),  # the same second is not later
        ({"createdTime": 20270101}, None),  # not a string: the schema's to report
    ],
)
def test_created_time_fast_pass_leaves_every_fault_to_the_exact_one(
    odd: dict[str, Any], expected: str | None
) -> None:
    found = per_exchange.clock_and_zone(_page_with(odd))
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.startswith(expected), found


def test_created_time_after_a_record_without_one_is_still_found() -> None:
    exchange = _page_with({"createdTime": 7}, at=1)
    exchange.records[3]["createdTime"] = "2027-01-01 00:00:00"  # type: ignore[index]
    found = per_exchange.clock_and_zone(exchange)
    assert found is not None and found.startswith("record 4: createdTime '2027-01-01 00:00:00'")


def test_a_page_longer_than_its_limit_puts_two_records_at_one_position() -> None:
    """Ids unique and one limit, yet page 1 runs into page 2's positions: the quick pass of
    slices_of_one_order (`_plainly_one_order`) must leave this to the record-by-record one."""
    first = page("annotationRequestId=a&limit=10&offset=1", 40, range(1, 13))
    second = page("annotationRequestId=a&limit=10&offset=2", 40, range(13, 23))
    found = list(across_exchanges.slices_of_one_order([first, second]))
    assert {failure.check for failure in found} == {"pagination_complete"}
    assert "record 11 of the request is id 11 on page 1 of limit 10 but id 13 on page 2" in (
        found[0].message
    )


@pytest.mark.parametrize(
    ("query", "code", "method", "empty"),
    [
        ("annotationRequestId=a,", 2000, "GET", True),
        ("annotationRequestId=,a", 53003, "GET", True),
        ("annotationRequestId=a,,b", 2000, "GET", True),
        ("annotationRequestId=a&annotationRequestId=", 2000, "GET", True),
        ("annotationRequestId=a&annotationRequestId", 2000, "GET", True),
        ("annotationRequestId=a,", 4005, "GET", False),  # refused: as D8 says
        ("annotationRequestId=a,", 2000, "POST", False),  # not the operation
        ("annotationRequestId=a,b", 2000, "GET", False),
    ],
)
def test_an_empty_id_among_others_must_be_refused(
    query: str, code: int, method: str, empty: bool
) -> None:
    # D8, D58: an empty item of a list is an empty ID, never dropped.
    exchange = Exchange.build(method, f"{BASE}?{query}", 200, envelope(code))
    message = per_exchange.id_byte_length(exchange, False)
    if not empty:
        assert message is None
        return
    sent = "&".join(f"annotationRequestId={v}" for v in exchange.values("annotationRequestId"))
    assert message == (
        f"an empty ID ({sent}) answered code {code}; expected 4005 (D8, D58: an ID is 1 to "
        "255 bytes; an empty one between commas or repeated is not dropped)"
    )


# The fast passes meet an odd record first, or only odd records: what they vouch for must
# still be what the record-by-record judgement says (a wrong "all hold" hides a fault).
@pytest.mark.parametrize(
    ("odd", "expected"),
    [
        ({"instanceInfo": {}, "modifyInstanceNum": 1}, "sums to 0; modifyInstanceNum"),
        ({"instanceInfo": {}, "modifyInstanceNum": 1, "modifyAttributesNum": 1}, "sums to 0"),
        ({"instanceInfo": {"a": 1}, "modifyInstanceNum": 2, "modifyAttributesNum": 1},
         "sums to 1; modifyInstanceNum + modifyAttributesNum is 3"),
        ({"instanceInfo": [1]}, None),
        ({"instanceInfo": {"a": 1}, "modifyInstanceNum": None}, None),
        ({"instanceInfo": {}, "modifyInstanceNum": None}, None),
        ({"instanceInfo": {}, "modifyAttributesNum": None}, None),
    ],
)  # fmt: skip
def test_instance_info_fast_pass_on_a_page_of_one_odd_record(
    odd: dict[str, Any], expected: str | None
) -> None:
    found = per_exchange.instance_info_sum(_page_with(odd, at=0, size=1), False)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.startswith(f"record 1: instanceInfo {expected}"), found


def test_instance_info_after_a_record_of_another_shape_is_still_found() -> None:
    exchange = _page_with({"instanceInfo": [1]}, at=0)
    exchange.records[3]["modifyInstanceNum"] = 4  # type: ignore[index]
    assert per_exchange.instance_info_sum(exchange, False) == (
        "record 4: instanceInfo sums to 0; modifyInstanceNum + modifyAttributesNum is 4 (D3)"
    )


def test_created_time_on_an_empty_page_and_at_the_answers_second() -> None:
    body = envelope(2000, {"count": 6, "data": []})
    body["date"] = "2026-01-01 12:00:00"
    query = "annotationRequestId=a&limit=2&offset=9"
    empty = Exchange.build("GET", f"{BASE}?{query}", 200, body, received_at=NOON)
    assert per_exchange.clock_and_zone(empty) is None
    # The same second as `date`, judged record by record (another record has no createdTime).
    exchange = _page_with({"createdTime": "2026-01-01 12:00:00"}, at=1)
    exchange.records[3]["createdTime"] = 7  # type: ignore[index]
    assert per_exchange.clock_and_zone(exchange) is None


def test_slices_quick_pass_vouches_for_no_page_answered_twice_differently() -> None:
    # The same page asked twice with other records; the same records on two pages.
    twice = [page("annotationRequestId=a&limit=2&offset=1", 6, ids) for ids in ([1, 2], [1, 3])]
    assert [f.message for f in across_exchanges.slices_of_one_order(twice)] == [
        "'a': record 2 of the request is id 2 on page 1 of limit 2 but id 3 on page 1 of "
        "limit 2: a page skips or shifts records"
    ]
    again = [page(f"annotationRequestId=a&limit=2&offset={n}", 6, [1, 2]) for n in (1, 2)]
    assert [f.check for f in across_exchanges.slices_of_one_order(again)] == [
        "pagination_no_overlap", "pagination_no_overlap"
    ]  # fmt: skip


def test_a_failure_quotes_the_answer_and_its_tries() -> None:
    exchange = Exchange.build(
        "GET", f"{BASE}?annotationRequestId=a", 500, envelope(5000), attempts=3
    )
    failure = Failure.of("not_a_server_error", "m", exchange, "semantic")
    assert (failure.response, failure.tries) == (exchange.quote, 3)
    assert failure.response.startswith("HTTP 500, code 5000: ")
    assert Exchange.build("GET", f"{BASE}?annotationRequestId=a", 200).attempts == 1
