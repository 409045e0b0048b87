"""A proxy session keeps light copies of its exchanges for the reports, in bounded memory."""

from __future__ import annotations

import pytest

from conformance.exchange import Exchange
from conformance.proxy import recorded
from conformance.proxy.recorded import Recorded, as_sent, light


def _page(records: int, text: str = "") -> Exchange:
    rows = [
        {"id": n, "status": 1, "poolType": 2, "actionType": 3, "aliceName": "x" * 50}
        for n in range(1, records + 1)
    ]
    body = {"code": 2000, "data": {"count": records, "data": rows}, "success": True}
    return Exchange.build(
        "GET", "http://h/statistics/record?annotationRequestId=a", 200, body, text=text
    )


def test_a_light_copy_keeps_what_the_coverage_reads() -> None:
    copy = light(_page(2, text="y" * (recorded.MAX_TEXT + 10)))
    assert copy.records == [
        {"id": 1, "status": 1, "poolType": 2, "actionType": 3},
        {"id": 2, "status": 1, "poolType": 2, "actionType": 3},
    ]
    assert copy.count == 2 and copy.is_page
    assert len(copy.text) == recorded.MAX_TEXT


def test_an_error_answer_is_kept_as_it_is() -> None:
    refused = Exchange.build("GET", "http://h/statistics/record", 400, {"code": 4005, "data": None})
    assert light(refused).body == refused.body


def test_beyond_the_bounds_exchanges_are_counted_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorded, "MAX_EXCHANGES", 3)
    monkeypatch.setattr(recorded, "MAX_RECORDS", 25)
    kept = Recorded()
    for size in (10, 10, 10, 1, 1):  # the third would pass 25 records; the fifth 3 exchanges
        kept.add(_page(size))
    assert [len(e.records or ()) for e in kept.exchanges] == [10, 10, 1]
    assert kept.dropped == 2
    assert kept.note() == (
        "the reports cover the first 3 exchanges; 2 later ones were judged but not kept "
        "(memory bound)"
    )
    assert Recorded().note() is None


def test_the_har_gets_the_text_sent_not_the_light_body() -> None:
    kept = light(_page(2, text='{"code":2000,"data":{"count":2,"data":["the server\'s own"]}}'))
    sent = as_sent(kept)
    assert sent.body is None and "the server's own" in sent.text
    assert sent.answer_code == 2000 and sent.answer_count == 2 and sent.answer_returned == 2
    cut = light(_page(2, text="y" * (recorded.MAX_TEXT + 1)))
    assert as_sent(cut) is cut  # a text cut short is no answer: the light body stays
