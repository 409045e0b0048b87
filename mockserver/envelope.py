"""The API's envelope, serialised once per response without re-encoding the records."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from mockserver.errors import BusinessError

_SUCCESS_HEAD = b'{"code":2000,"message":"Success","data":{"count":'


def success_body(count: int, records: Sequence[bytes], date: str, request_id: str) -> bytes:
    """A 2000 envelope around records that are already JSON."""
    return b"".join(
        (
            _SUCCESS_HEAD,
            str(count).encode(),
            b',"data":[',
            b",".join(records),
            b']},"date":"',
            date.encode(),
            b'","requestId":"',
            request_id.encode(),
            b'","success":true}',
        )
    )


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
