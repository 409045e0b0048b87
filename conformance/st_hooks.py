"""Schemathesis hooks of a conformance run: envelope checks, signing, the HTTP-200 style.

`st run` imports this module by `SCHEMATHESIS_HOOKS=conformance.st_hooks`. The runner passes
its options in the environment variables below: a hooks module has no other channel, so this
is the one module that reads the environment.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

import schemathesis

from conformance.envelope import HTTP_STATUS_OF_CODE, RULES, is_envelope
from conformance.signing import signature_headers

HTTP_200_VARIABLE = "CONFORMANCE_HTTP_200_ERRORS"
ENVELOPE_CHECKS_VARIABLE = "CONFORMANCE_ENVELOPE_CHECKS"
ACCESS_KEY_VARIABLE = "STARDUST_ACCESS_KEY"
SECRET_KEY_VARIABLE = "STARDUST_SECRET_KEY"
KNOWN_IDS_VARIABLE = "CONFORMANCE_KNOWN_IDS"

_HTTP_200 = os.environ.get(HTTP_200_VARIABLE) == "1"
_ENABLED = set(filter(None, os.environ.get(ENVELOPE_CHECKS_VARIABLE, "").split(",")))
_ACCESS_KEY = os.environ.get(ACCESS_KEY_VARIABLE, "")
_SECRET_KEY = os.environ.get(SECRET_KEY_VARIABLE, "")
_KNOWN_IDS = tuple(filter(None, os.environ.get(KNOWN_IDS_VARIABLE, "").split("\n")))
_FORBIDDEN = re.compile(r"[,\x00-\x1f\x7f]")
_MAPPED = [0]
# HTTP status the server really sent, by response, when the HTTP-200 style rewrites it. The
# response is kept alongside so that its id() cannot be reused while the entry lives.
_SENT_STATUS: dict[int, tuple[Any, int]] = {}


def _envelope(response: Any, case: Any) -> Any:
    """The body, when it is the API's envelope: other methods' 405s carry none."""
    if str(case.method).upper() != "GET":
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if is_envelope(body) else None


def envelope_check(name: str) -> Callable[[Any, Any, Any], None]:
    """The envelope rule `name` as a Schemathesis check: it raises when the rule breaks."""
    rule = RULES[name]

    def check(ctx: Any, response: Any, case: Any) -> None:
        body = _envelope(response, case)
        if body is None:
            return
        status = _SENT_STATUS.get(id(response), (None, response.status_code))[1]
        message = rule(status, body, _HTTP_200)
        if message:
            raise AssertionError(message)

    check.__name__ = check.__qualname__ = name
    return check


for _name in RULES:
    if _name in _ENABLED:
        schemathesis.check(envelope_check(_name))


if _HTTP_200:

    @schemathesis.hook
    def after_call(context: Any, case: Any, response: Any) -> None:
        """Read the outcome from the body's code, as the contract's statuses would say it.

        A server in the HTTP-200 style answers 4005 with HTTP 200; with the status put back,
        Schemathesis's own checks (schema by status, negative data rejected) keep their full
        strength instead of being loosened. `envelope_http_status` sees the status sent.
        """
        body = _envelope(response, case)
        if body is None or response.status_code != 200:
            return
        mapped = HTTP_STATUS_OF_CODE.get(body["code"]) if isinstance(body["code"], int) else None
        if mapped is not None:
            _SENT_STATUS[id(response)] = (response, response.status_code)
            response.status_code = mapped


if _ACCESS_KEY and _SECRET_KEY:

    @schemathesis.auth(refresh_interval=None)
    class StardustSignature:
        """A fresh signature on every request: `X-TS` must stay within the server's window."""

        def get(self, case: Any, ctx: Any) -> dict[str, str]:
            return signature_headers(_ACCESS_KEY, _SECRET_KEY)

        def set(self, case: Any, data: dict[str, str], ctx: Any) -> None:
            case.headers = {**(case.headers or {}), **data}


def _valid_ids(value: Any) -> bool:
    """Whether generated `annotationRequestId` values are valid: only then may they be swapped
    for a known ID without changing whether the case is valid (negative cases stay negative)."""
    return (
        isinstance(value, list)
        and 1 <= len(value) <= 100
        and all(
            isinstance(item, str) and 1 <= len(item.encode()) <= 255 and not _FORBIDDEN.search(item)
            for item in value
        )
    )


if _KNOWN_IDS:

    @schemathesis.hook
    def map_query(context: Any, query: Any) -> Any:
        """Every other generated case asks for a known ID (C17): random IDs only reach 53003.

        Schemathesis applies this hook to the fuzzing phase; the examples and coverage phases
        get the known IDs from the examples of the contract's copy instead.
        """
        if not isinstance(query, dict) or not _valid_ids(query.get("annotationRequestId")):
            return query
        _MAPPED[0] += 1
        if _MAPPED[0] % 2:
            query = {**query, "annotationRequestId": [_KNOWN_IDS[_MAPPED[0] % len(_KNOWN_IDS)]]}
        return query
