"""The envelope built from pre-serialised records is the JSON the plain encoder would write."""

from __future__ import annotations

import orjson
import pytest

from mockserver.envelope import error_body, success_body
from mockserver.errors import UnknownAnnotationRequest
from mockserver.handlers import DateStamp

RECORDS = [{"id": 1, "name": "a"}, {"id": 2, "instanceInfo": {}}, {"id": 3, "name": "c,d"}]


def envelope(count: int, records: list[dict[str, object]]) -> bytes:
    return orjson.dumps(
        {
            "code": 2000,
            "message": "Success",
            "data": {"count": count, "data": records},
            "date": "2026-01-02 03:04:05",
            "requestId": "ab" * 16,
            "success": True,
        }
    )


@pytest.mark.parametrize("size", [0, 1, 3], ids=["empty", "one", "several"])
def test_success_body_equals_the_encoded_envelope(size: int) -> None:
    serialised = [orjson.dumps(record) for record in RECORDS[:size]]
    body = success_body(1930, serialised, "2026-01-02 03:04:05", "ab" * 16)
    assert body == envelope(1930, RECORDS[:size])


@pytest.mark.parametrize("size", [2, 63, 64, 65, 1000])
def test_pages_either_side_of_the_formatted_head_make_the_encoded_envelope(size: int) -> None:
    # Below 64 records the head is formatted around the joined records, from 64 on the head is
    # joined to the first record (a copy fewer for a large page): the same bytes either way.
    records: list[dict[str, object]] = [{"id": n, "name": f"r{n}"} for n in range(size)]
    serialised = [orjson.dumps(record) for record in records]
    body = success_body(2_500_000, serialised, "2026-01-02 03:04:05", "ab" * 16)
    assert body == envelope(2_500_000, records)


def test_runs_of_several_records_make_the_same_body_as_single_records() -> None:
    singles = [orjson.dumps(record) for record in RECORDS]
    runs = [b",".join(singles[:2]), singles[2]]
    date, request_id = "2026-01-02 03:04:05", "ab" * 16
    assert success_body(3, runs, date, request_id) == success_body(3, singles, date, request_id)


def test_error_body_has_null_data() -> None:
    body = orjson.loads(error_body(UnknownAnnotationRequest(), "2026-01-02 03:04:05", "ab" * 16))
    assert body["code"] == 53003 and body["data"] is None and body["success"] is False


def test_the_date_is_formatted_in_utc_and_follows_the_clock() -> None:
    now = [1_767_323_045.9]  # 2026-01-02 03:04:05.9 UTC
    stamp = DateStamp(lambda: now[0])
    assert stamp() == "2026-01-02 03:04:05"
    now[0] += 0.05
    assert stamp() == "2026-01-02 03:04:05"
    now[0] += 1.0
    assert stamp() == "2026-01-02 03:04:06"
    now[0] += 86_400
    assert stamp() == "2026-01-03 03:04:06"
