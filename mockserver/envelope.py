"""The API's envelope, serialised once per response without re-encoding the records.

A success envelope is written in two parts: everything up to the `date` (which depends only on
the page, so a repeated page's can be kept) and the tail with the response's own date and
request ID.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from mockserver.errors import BusinessError

_SUCCESS_HEAD = b'{"code":2000,"message":"Success","data":{"count":'
_BEFORE_DATE = b']},"date":"'
_SUCCESS_TAIL = b'","success":true}'
_SMALL_HEAD = _SUCCESS_HEAD + b'%d,"data":[%b' + _BEFORE_DATE
# Below this many records, the records are joined and then formatted into the head: two copies
# of a few kilobytes, in two C calls (0.46 against 0.64 us for 10 records, `timeit`). A fresh
# page builds its head on every request.
_FORMATTED_BELOW = 64


def success_head(count: int, records: Sequence[bytes]) -> bytes:
    """A 2000 envelope around records that are already JSON, up to the opening quote of `date`."""
    if len(records) < _FORMATTED_BELOW:
        return _SMALL_HEAD % (count, b",".join(records))
    head = b"".join((_SUCCESS_HEAD, str(count).encode(), b',"data":['))
    # One join copies a 1000-record page once; joining the records first, then the envelope
    # around them, copied it twice.
    parts = list(records)
    parts[0] = head + parts[0]
    parts[-1] += _BEFORE_DATE
    return b",".join(parts)


def success_tail(date: str, request_id: str) -> bytes:
    """What follows `success_head`: the response's date and request ID, and the end."""
    return b"".join((date.encode(), b'","requestId":"', request_id.encode(), _SUCCESS_TAIL))


def success_body(count: int, records: Sequence[bytes], date: str, request_id: str) -> bytes:
    """A 2000 envelope around records that are already JSON."""
    return success_head(count, records) + success_tail(date, request_id)


def error_body(error: BusinessError, date: str, request_id: str) -> bytes:
    """The envelope of a failed outcome: `success` false and `data` null."""
    return orjson.dumps(
        {
            "code": error.code,
            "message": error.message,
            "data": None,
            "date": date,
            "requestId": request_id,
            "success": False,
        }
    )
