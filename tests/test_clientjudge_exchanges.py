"""clientjudge/exchanges.py: a journal entry read as the suite's Exchange, order and quotes."""

from __future__ import annotations

import pytest

from clientjudge.exchanges import EntryError, client_of, from_entry, ordered, quote
from tests.support.journal import T0, entry


def test_an_entry_becomes_an_exchange_with_its_summary() -> None:
    exchange = from_entry(
        entry(
            7,
            "annotationRequestId=a%2Cb&offset=3&limit=20",
            count=95,
            returned=15,
            limit=20,
            elapsed_ms=250.0,
            headers=[["host", "mock.test"], ["x-ts", "1"], ["X-Sign", "[REDACTED]"]],
        )
    )
    assert exchange.seq == 7
    assert exchange.ids == ("a", "b")
    assert (exchange.offset, exchange.limit) == (3, 20)
    assert exchange.raw_query == "annotationRequestId=a%2Cb&offset=3&limit=20"
    assert exchange.url == "http://mock.test/statistics/record?" + exchange.raw_query
    assert (exchange.answer_code, exchange.answer_count, exchange.answer_returned) == (2000, 95, 15)
    # No body: the suite's own judgements see no page in it.
    assert exchange.is_page is False
    assert exchange.started_at == T0 + 7
    assert exchange.received_at == pytest.approx(T0 + 7.25)
    assert exchange.request_headers == {"host": "mock.test", "x-ts": "1", "x-sign": "[REDACTED]"}


def test_an_error_entry_has_no_count_even_if_one_was_written() -> None:
    exchange = from_entry(entry(1, "annotationRequestId=a", code=53003, count=4, returned=0))
    assert exchange.answer_code == 53003
    assert exchange.answer_count is None
    assert exchange.answer_returned is None
    assert exchange.status == 404


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [("status", None, "status"), ("at", "soon", "at"), ("headers", {"a": "b"}, "headers"),
     ("seq", "1", "seq"), ("path", 3, "path")],
)  # fmt: skip
def test_a_malformed_entry_names_its_field(field: str, value: object, named: str) -> None:
    broken = entry(1, "annotationRequestId=a")
    broken[field] = value
    with pytest.raises(EntryError, match=f"^{named}"):
        from_entry(broken)


def test_order_is_the_recorders_numbers_else_time() -> None:
    late, early = from_entry(entry(2, "a=1", at=T0)), from_entry(entry(1, "a=2", at=T0 + 5))
    assert [e.seq for e in ordered([late, early])] == [1, 2]
    unnumbered = [
        from_entry({**entry(1, "a=1", at=T0 + 9), "seq": None}),
        from_entry({**entry(1, "a=2", at=T0 + 1), "seq": None}),
    ]
    again = ordered(unnumbered)
    assert [(e.seq, e.raw_query) for e in again] == [(1, "a=2"), (2, "a=1")]


def test_a_client_is_its_host_whatever_the_port() -> None:
    assert client_of(from_entry(entry(1, "", client="10.0.0.5:41234"))) == "10.0.0.5"
    assert client_of(from_entry(entry(1, "", client="[::1]:8"))) == "[::1]"
    assert client_of(from_entry(entry(1, "", client="testclient"))) == "testclient"


def test_a_quote_is_seq_and_query() -> None:
    assert quote(from_entry(entry(12, "annotationRequestId=x&offset=2"))) == (
        "#12 ?annotationRequestId=x&offset=2"
    )
    assert quote(from_entry(entry(3, ""))) == "#3"
