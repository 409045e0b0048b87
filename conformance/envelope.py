"""Rules of the envelope every response carries, as pure functions of (HTTP status, body).

Each rule returns None when the response keeps it, or a message saying how it breaks it. They
run inside Schemathesis (as custom checks), on the semantic phase's own responses, and on any
recorded exchange (`per_exchange.py`). Each is registered as a check under its own name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from conformance.registry import ENVELOPE, register
from contract import schema

SUCCESS = 2000
# Business code -> HTTP status, as the contract's responses map them.
HTTP_STATUS_OF_CODE = {2000: 200, 4005: 400, 401: 401, 402: 401, 403: 401, 53003: 404, 5000: 500}
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_REQUEST_ID = re.compile(schema("RequestId")["pattern"])
_TIMESTAMP = re.compile(schema("Timestamp")["pattern"])

Rule = Callable[[int, Mapping[str, Any], bool], str | None]


def is_envelope(body: Any) -> bool:
    """Whether a body claims to be the API's envelope: only then do these rules apply."""
    return isinstance(body, Mapping) and "code" in body


@register(ENVELOPE)
def envelope_success_matches_code(
    status: int, body: Mapping[str, Any], http_200: bool
) -> str | None:
    """`success` is true exactly when `code` is 2000."""
    success, code = body.get("success"), body.get("code")
    if not isinstance(success, bool):
        return f"`success` must be a boolean, got {success!r}"
    if success != (code == SUCCESS):
        return f"`success` is {str(success).lower()} with code {code!r}"
    return None


@register(ENVELOPE)
def envelope_data_null_on_error(status: int, body: Mapping[str, Any], http_200: bool) -> str | None:
    """`data` is null on errors, an object on 2000."""
    if "data" not in body:
        return "`data` is missing"
    code, data = body.get("code"), body["data"]
    if code == SUCCESS and not isinstance(data, Mapping):
        return f"`data` must be an object with code 2000, got {data!r}"
    if code != SUCCESS and data is not None:
        return f"`data` must be null with code {code!r}, got {data!r}"
    return None


@register(ENVELOPE)
def envelope_request_id(status: int, body: Mapping[str, Any], http_200: bool) -> str | None:
    """`requestId` is 32 lowercase hex digits."""
    value = body.get("requestId")
    if not isinstance(value, str) or not _REQUEST_ID.fullmatch(value):
        return f"`requestId` must be 32 lowercase hex digits, got {value!r}"
    return None


@register(ENVELOPE)
def envelope_date(status: int, body: Mapping[str, Any], http_200: bool) -> str | None:
    """`date` is a real YYYY-MM-DD HH:mm:ss."""
    value = body.get("date")
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return f"`date` must be formatted YYYY-MM-DD HH:mm:ss, got {value!r}"
    if not _real_date(value):
        return f"`date` is not a real date: {value!r}"
    return None


@lru_cache(maxsize=256)
def _real_date(value: str) -> bool:
    # Cached: `date` changes once a second, and a busy server's answers share it (strptime
    # was a tenth of a proxy's judging per 10-record page).
    try:
        datetime.strptime(value, DATE_FORMAT)
    except ValueError:
        return False
    return True


@register(ENVELOPE)
def envelope_http_status(status: int, body: Mapping[str, Any], http_200: bool) -> str | None:
    """The HTTP status is the code's (D13), or 200 with --http-200-errors."""
    code = body.get("code")
    if http_200:
        return None if status == 200 else f"HTTP {status} with code {code!r}: expected HTTP 200"
    expected = HTTP_STATUS_OF_CODE.get(code) if isinstance(code, int) else None
    if expected is None:
        return f"code {code!r} is not a documented outcome (HTTP {status})"
    if status != expected:
        return f"HTTP {status} with code {code}: expected HTTP {expected}"
    return None


RULES: Mapping[str, Rule] = {
    rule.__name__: rule
    for rule in (
        envelope_success_matches_code,
        envelope_data_null_on_error,
        envelope_request_id,
        envelope_date,
        envelope_http_status,
    )
}
