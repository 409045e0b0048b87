"""The proxy's judgements of a client's request and its answer (`conformance/proxy/observed.py`),
on hand-made exchanges, in-process: each one keeping and breaking its rule, with its message.

These are the judgements the suite does not need (it chooses its own requests); a proxy session
reports them under the same names (tests/test_proxy.py runs them through the proxy).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.exchange import Exchange
from conformance.proxy import observed
from conformance.proxy.request import read_request

ID_OF_255_BYTES = "é" * 127 + "a"
ID_OF_254_BYTES = "é" * 127


def exchange(query: str, code: Any = 2000, **headers: str) -> Exchange:
    """A GET of the operation with `query`, answered with an envelope of `code`."""
    body = {"code": code, "message": "m", "data": None, "success": code == 2000}
    url = f"http://up.test/statistics/record?{query}"
    return Exchange.build("GET", url, 200, body, request_headers=headers)


def judged(name: str, query: str, code: Any = 2000, **headers: str) -> str | None:
    return observed.OBSERVED[name](exchange(query, code, **headers), read_request(query.encode()))


def test_the_observed_judgements_are_the_five_a_proxy_reports() -> None:
    assert list(observed.OBSERVED) == [
        "client_request_valid",
        "negative_data_rejection",
        "positive_data_acceptance",
        "limit_capped",
        "unknown_parameters_ignored",
    ]
    assert observed.OBSERVED["limit_capped"] is observed.limit_capped


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Prefer": "code=4005"}, True),
        ({"PREFER": "Code=5000"}, True),  # header names and the word are read in any case
        ({"prefer": "example=one, code=2000"}, True),
        ({"Prefer": "return=minimal"}, False),
        ({"X-Code": "code=4005"}, False),  # only Prefer forces an outcome
        ({}, False),
    ],
)
def test_an_outcome_is_forced_by_prefer_code_only(headers: dict[str, str], expected: bool) -> None:
    assert observed.forced(exchange("annotationRequestId=a", **headers)) is expected


@pytest.mark.parametrize(
    ("code", "headers", "expected"),
    [
        (2000, {}, True),
        (4005, {}, True),
        (53003, {}, True),
        (400, {}, True),  # not a signature code: a server judging parameters may answer it
        (401, {}, False),
        (402, {}, False),
        (403, {}, False),
        (5000, {}, False),  # a hiccup: the server failed before judging
        (True, {}, False),  # a boolean is no code
        ("4005", {}, False),
        (None, {}, False),
        (2000, {"Prefer": "code=2000"}, False),
    ],
)
def test_an_answer_is_judgeable_when_its_code_says_how_the_parameters_were_judged(
    code: Any, headers: dict[str, str], expected: bool
) -> None:
    assert observed.judgeable(exchange("annotationRequestId=a", code, **headers)) is expected


def test_unknown_names_are_the_query_names_the_contract_does_not_name_sorted_once() -> None:
    query = "utm=1&annotationRequestId=a&traceId=t&offset=1&limit=2&traceId=u&LIMIT=3"
    assert observed.unknown_names(exchange(query)) == ["LIMIT", "traceId", "utm"]
    assert observed.unknown_names(exchange("annotationRequestId=a&offset=1&limit=2")) == []


def test_client_request_valid_names_the_contracts_reason() -> None:
    assert judged("client_request_valid", "annotationRequestId=a&limit=5") is None
    message = judged("client_request_valid", "annotationRequestId=a&limit=0")
    problem = read_request(b"annotationRequestId=a&limit=0").problem
    assert message == f"the contract refuses this request (a client bug): {problem}"


def test_negative_data_rejection_wants_4005_to_a_refused_request() -> None:
    query = "annotationRequestId=a&limit=0"
    problem = read_request(query.encode()).problem
    assert judged("negative_data_rejection", query, 2000) == (
        f"code 2000 to a request the contract refuses; expected 4005 ({problem})"
    )
    assert judged("negative_data_rejection", query, 53003) is not None
    assert judged("negative_data_rejection", query, 4005) is None
    assert judged("negative_data_rejection", "annotationRequestId=a", 2000) is None


@pytest.mark.parametrize("code", [401, 402, 403, 5000])
def test_negative_data_rejection_does_not_judge_a_refusal_before_validation(code: int) -> None:
    assert judged("negative_data_rejection", "annotationRequestId=a&limit=0", code) is None


def test_negative_data_rejection_does_not_judge_a_forced_outcome() -> None:
    query = "annotationRequestId=a&limit=0"
    assert judged("negative_data_rejection", query, 2000, Prefer="code=2000") is None


def test_an_over_long_id_is_id_byte_lengths_cause_but_other_id_problems_are_not() -> None:
    # 256 bytes: id_byte_length (per_exchange.py) says so; one cause, one check.
    assert judged("negative_data_rejection", f"annotationRequestId={'é' * 128}", 2000) is None
    # A control character in an ID, and too many IDs: problems of the same parameter without
    # bytes in them, so negative_data_rejection judges them.
    assert judged("negative_data_rejection", "annotationRequestId=a%01b", 2000) is not None
    too_many = "&".join(f"annotationRequestId=i{n}" for n in range(101))
    assert judged("negative_data_rejection", too_many, 2000) is not None


def test_positive_data_acceptance_wants_no_4005_to_an_accepted_request() -> None:
    message = "a request the contract accepts answered 4005"
    assert judged("positive_data_acceptance", "annotationRequestId=a", 4005) == message
    assert judged("positive_data_acceptance", "annotationRequestId=a", 2000) is None
    assert judged("positive_data_acceptance", "annotationRequestId=a", 53003) is None
    # Refused requests and answers that say nothing of the parameters are not its to judge.
    assert judged("positive_data_acceptance", "annotationRequestId=a&limit=0", 4005) is None
    assert judged("positive_data_acceptance", "annotationRequestId=a", 5000) is None
    assert (
        judged("positive_data_acceptance", "annotationRequestId=a", 4005, Prefer="code=4005")
        is None
    )


def test_positive_data_acceptance_leaves_the_causes_other_checks_name() -> None:
    message = "a request the contract accepts answered 4005"
    # A limit above the cap: limit_capped's; 1000 itself is an ordinary limit.
    assert judged("positive_data_acceptance", "annotationRequestId=a&limit=1001", 4005) is None
    assert judged("positive_data_acceptance", "annotationRequestId=a&limit=1000", 4005) == message
    # An unknown parameter: unknown_parameters_ignored's.
    assert judged("positive_data_acceptance", "annotationRequestId=a&traceId=t", 4005) is None
    # A 255-byte ID refused: id_byte_length's; 254 bytes is an ordinary ID.
    with_255 = f"annotationRequestId=b&annotationRequestId={ID_OF_255_BYTES}"
    assert judged("positive_data_acceptance", with_255, 4005) is None
    assert judged("positive_data_acceptance", f"annotationRequestId={ID_OF_254_BYTES}", 4005) == (
        message
    )


def test_limit_capped_wants_a_limit_above_1000_served_not_refused() -> None:
    assert judged("limit_capped", "annotationRequestId=a&limit=1001", 4005) == (
        "limit 1001 answered 4005; a limit above 1000 is served as 1000 (D5)"
    )
    assert judged("limit_capped", "annotationRequestId=a&limit=1001", 2000) is None
    assert judged("limit_capped", "annotationRequestId=a&limit=1000", 4005) is None
    assert judged("limit_capped", "annotationRequestId=a&limit=1001", 402) is None
    assert judged("limit_capped", "annotationRequestId=a&limit=1001&limit=2", 4005) is None


def test_unknown_parameters_ignored_wants_no_4005_for_an_unknown_name() -> None:
    query = "annotationRequestId=a&utm=1&traceId=t"
    assert judged("unknown_parameters_ignored", query, 4005) == (
        "4005 to a request valid but for ['traceId', 'utm']: unknown parameters are ignored (D23)"
    )
    assert judged("unknown_parameters_ignored", query, 2000) is None
    assert judged("unknown_parameters_ignored", query, 403) is None
    assert judged("unknown_parameters_ignored", "annotationRequestId=a", 4005) is None
    # Refused for another reason: the 4005 is deserved.
    assert judged("unknown_parameters_ignored", f"{query}&limit=0", 4005) is None
