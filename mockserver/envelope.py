"""The API's envelope, serialised once per response without re-encoding the records."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from mockserver.errors import BusinessError

_SUCCESS_HEAD = b'{"code":2000,"message":"Success","data":{"count":'
_SUCCESS_TAIL = b'","success":true}'


def success_body(count: int, records: Sequence[bytes], date: str, request_id: str) -> bytes:
    """A 2000 envelope around records that are already JSON."""
    head = b"".join((_SUCCESS_HEAD, str(count).encode(), b',"data":['))
    tail = b"".join(
        (b']},"date":"', date.encode(), b'","requestId":"', request_id.encode(), _SUCCESS_TAIL)
    )
    if not records:
        return head + tail
    # One join copies a 1000-record page once; joining the records first, then the envelope
    # around them, copied it twice.
    parts = list(records)
    parts[0] = head + parts[0]
    parts[-1] += tail
    return b",".join(parts)


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
