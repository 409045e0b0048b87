"""A page answered again with the same records inherits its records' judgements
(`conformance/proxy/repeats.py`, decision C65): the same verdicts, whatever was inherited."""

from __future__ import annotations

from typing import Any

from conformance.exchange import Exchange
from conformance.proxy.judging import Hiccups, judge
from conformance.proxy.repeats import Repeats
from conformance.proxy.request import read_request
from conformance.proxy.traffic import Traffic
from tests.support.sample_record import record

QUERY = "annotationRequestId=a&limit=3"
URL = f"http://up.test/statistics/record?{QUERY}"


def answer(records: list[dict[str, Any]], request_id: str = "ab" * 16) -> Exchange:
    body = {"code": 2000, "message": "Success", "data": {"count": 3, "data": records},
            "date": "2025-04-08 14:20:00", "requestId": request_id, "success": True}  # fmt: skip
    return Exchange.build(
        "GET", URL, 200, body, response_headers={"content-type": "application/json"}
    )


class Session:
    """The judgements of a proxy session, with or without inheritance."""

    def __init__(self, repeats: Repeats | None) -> None:
        self.traffic = Traffic(100, 10_000)
        self.repeats = repeats

    def failures(self, exchange: Exchange) -> list[tuple[str, str]]:
        found = judge(exchange, read_request(QUERY.encode()), self.traffic, Hiccups(), False,
                      "UTC", self.repeats)  # fmt: skip
        return sorted((failure.check, failure.message) for failure in found.failures)


FAULTY = [
    record(3, instanceInfo={"a": 2}, modifyInstanceNum=1),  # instance_info_sum
    record(2, status=99),  # enum_membership, and the schema's enum
    record(1, poolType="x"),  # the schema's type; ids descending: ordering
]


def test_the_same_faulty_records_again_get_the_same_verdicts_inherited_or_not() -> None:
    repeats = Repeats()
    inheriting, judging = Session(repeats), Session(None)
    # Each answer new in its requestId; the last one also breaks the envelope's pattern.
    answers = [answer(FAULTY, request_id) for request_id in ("ab" * 16, "cd" * 16, "NOT-HEX")]
    for exchange in answers:
        assert inheriting.failures(exchange) == judging.failures(exchange)
    checks = {check for check, _ in judging.failures(answers[-1])}
    assert {"instance_info_sum", "enum_membership", "ordering"} <= checks
    assert {"response_schema_conformance", "envelope_request_id"} <= checks


def test_valid_records_again_inherit_and_the_envelope_is_still_judged() -> None:
    repeats = Repeats()
    session = Session(repeats)
    good = [record(1), record(2), record(3)]
    assert session.failures(answer(good)) == []
    again = answer(good, request_id="NOT-HEX")
    lookup = repeats.lookup(again)
    assert lookup is not None and lookup.seen is not None and lookup.seen.records_valid
    failed = dict(session.failures(again))
    assert "/requestId" in failed["response_schema_conformance"]


def test_records_equal_in_python_but_not_in_json_are_judged_afresh() -> None:
    repeats = Repeats()
    session = Session(repeats)
    assert session.failures(answer([record(1), record(2), record(3)])) == []
    # True == 1 for Python, not for the schema: status must be an integer.
    flipped = answer([record(1, status=True), record(2), record(3)])
    lookup = repeats.lookup(flipped)
    assert lookup is not None and lookup.seen is None
    assert "response_schema_conformance" in dict(session.failures(flipped))


def test_what_is_kept_is_bounded_in_bytes() -> None:
    repeats = Repeats(max_bytes=4000)
    session = Session(repeats)
    for n in range(20):
        exchange = Exchange.build(
            "GET", f"{URL}&offset={n + 1}", 200, answer([record(3 * n + 1)]).body
        )
        session.failures(exchange)
    assert repeats.last.total_weight <= 4000 and repeats.last.evicted > 0
