"""mockserver/mock_clock.py: the clock a test controls, and what follows it (D69)."""

from __future__ import annotations

import httpx
import pytest

from conformance.signing import signature_headers
from mockserver.mock_clock import ClockError, MockClock
from tests.support.inprocess import ClientFactory

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
RECORDS = "/statistics/record"
CLOCK = "/__mock/clock"
# 2026-12-06 04:00:00 UTC
REAL = 1_796_529_600.0


class Real:
    """A real clock the test moves."""

    def __init__(self) -> None:
        self.now = REAL

    def __call__(self) -> float:
        return self.now


def test_by_default_the_clock_is_the_real_one() -> None:
    real = Real()
    clock = MockClock(real)
    real.now += 5
    assert clock.now() == REAL + 5
    assert clock.to_json()["real"] is True


def test_freeze_set_advance_and_reset() -> None:
    real = Real()
    clock = MockClock(real)
    clock.apply({"freeze": True})
    real.now += 100
    assert clock.now() == REAL
    clock.apply({"advance": 30})
    assert clock.now() == REAL + 30
    clock.apply({"set": "2030-01-01T00:00:00Z"})
    assert clock.now() == 1_893_456_000.0
    # Running again goes on from where it stood.
    clock.apply({"freeze": False})
    real.now += 2
    assert clock.now() == 1_893_456_002.0
    clock.apply({"advance": -2})
    assert clock.now() == 1_893_456_000.0
    clock.apply({"reset": True})
    assert clock.now() == real.now and clock.to_json()["real"] is True


def test_settings_apply_in_order_reset_freeze_set_advance() -> None:
    real = Real()
    clock = MockClock(real)
    clock.apply({"advance": 10, "set": REAL + 1000, "freeze": True, "reset": True})
    real.now += 50
    assert clock.now() == REAL + 1010


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ({}, "body: must be an object"),
        ([], "body: must be an object"),
        ({"rewind": 3}, "rewind: unknown"),
        ({"freeze": "yes"}, "freeze: must be true or false"),
        ({"advance": "1h"}, "advance: must be a number of seconds"),
        ({"set": "tomorrow"}, "set: 'tomorrow' is not an ISO 8601 time"),
        ({"set": "2030-01-01T00:00:00"}, "has no offset"),
        ({"set": -5}, "before 1970"),
        ({"freeze": True, "advance": float("nan")}, "advance: must be a number"),
    ],
)
def test_bad_settings_change_nothing(setting: object, says: str) -> None:
    clock = MockClock(Real())
    with pytest.raises(ClockError, match=says):
        clock.apply(setting)
    assert clock.to_json()["real"] is True


def date_of(http: httpx.Client) -> str:
    body = http.get(RECORDS, params={"annotationRequestId": DOC_ID}).json()
    date: str = body["date"]
    return date


def test_the_envelope_date_follows_the_mock_clock(make_client: ClientFactory) -> None:
    http = make_client()
    answer = http.put(CLOCK, json={"freeze": True, "set": "2031-05-04T03:02:01Z"})
    assert answer.status_code == 200
    assert answer.json()["iso"] == "2031-05-04T03:02:01Z" and answer.json()["frozen"] is True
    assert date_of(http) == "2031-05-04 03:02:01"
    http.put(CLOCK, json={"advance": 3600})
    assert date_of(http) == "2031-05-04 04:02:01"
    assert http.get(CLOCK).json()["now"] == pytest.approx(1_935_634_921.0)
    http.put(CLOCK, json={"reset": True})
    assert date_of(http).startswith("20") and not date_of(http).startswith("2031")


def test_the_signature_window_follows_the_mock_clock(make_client: ClientFactory) -> None:
    real = Real()
    http = make_client(
        signature_keys={"ak": "sk"},
        signature_skew_seconds=300,
        clock=real,
        now_ms=lambda: int(real.now * 1000),
    )

    def signed_code(at_seconds: float) -> int:
        headers = signature_headers("ak", "sk", now_ms=int(at_seconds * 1000))
        params = {"annotationRequestId": DOC_ID}
        code: int = http.get(RECORDS, params=params, headers=headers).json()["code"]
        return code

    a_day_on = REAL + 86_400
    assert signed_code(a_day_on) == 403
    http.put(CLOCK, json={"advance": 86_400})
    assert (signed_code(a_day_on), signed_code(REAL)) == (2000, 403)


def test_bad_clock_input_is_a_400(client: httpx.Client) -> None:
    answer = client.put(CLOCK, json={"advance": "soon"})
    assert answer.status_code == 400
    assert answer.json()["message"] == "advance: must be a number of seconds, got 'soon'"
    assert client.get(CLOCK).json()["real"] is True


def test_the_clock_refuses_to_be_set_under_several_workers(make_client: ClientFactory) -> None:
    answer = make_client(workers=2).put(CLOCK, json={"advance": 1})
    assert answer.status_code == 409 and "--workers 1" in answer.json()["message"]
