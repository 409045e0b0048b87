"""The envelope rules as pure functions: one row per way to keep or break each."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.envelope import RULES
from conformance.failures import curl_line

GOOD = {
    "code": 2000,
    "message": "Success",
    "data": {"count": 0, "data": []},
    "date": "2025-04-08 14:20:00",
    "requestId": "9876543210abcdef9876543210abcdef",
    "success": True,
}
ERROR = {**GOOD, "code": 53003, "data": None, "success": False}


@pytest.mark.parametrize(
    ("rule", "status", "body", "http_200", "broken"),
    [
        ("envelope_success_matches_code", 200, GOOD, False, False),
        ("envelope_success_matches_code", 404, ERROR, False, False),
        ("envelope_success_matches_code", 404, {**ERROR, "success": True}, False, True),
        ("envelope_success_matches_code", 200, {**GOOD, "success": "true"}, False, True),
        ("envelope_data_null_on_error", 404, ERROR, False, False),
        ("envelope_data_null_on_error", 404, {**ERROR, "data": {}}, False, True),
        ("envelope_data_null_on_error", 200, {**GOOD, "data": None}, False, True),
        ("envelope_request_id", 200, {**GOOD, "requestId": "9876543210ABCDEF" * 2}, False, True),
        ("envelope_request_id", 200, {**GOOD, "requestId": "ab" * 15}, False, True),
        ("envelope_date", 200, {**GOOD, "date": "2025-04-08T14:20:00Z"}, False, True),
        ("envelope_date", 200, {**GOOD, "date": "2025-02-30 10:00:00"}, False, True),
        ("envelope_date", 200, {**GOOD, "date": "2024-02-29 23:59:59"}, False, False),
        ("envelope_http_status", 200, GOOD, False, False),
        ("envelope_http_status", 401, {**ERROR, "code": 402}, False, False),
        ("envelope_http_status", 200, ERROR, False, True),
        ("envelope_http_status", 200, ERROR, True, False),
        ("envelope_http_status", 404, ERROR, True, True),
        ("envelope_http_status", 500, {**ERROR, "code": 9999}, False, True),
    ],
)
def test_rule(rule: str, status: int, body: dict[str, Any], http_200: bool, broken: bool) -> None:
    message = RULES[rule](status, body, http_200)
    assert (message is not None) is broken, message


def test_curl_line_quotes_what_the_shell_would_split() -> None:
    line = curl_line("GET", "http://127.0.0.1:1/statistics/record?a=1&b=2", {"X-TS": "1"})
    assert line == "curl -sS -i -H 'X-TS: 1' 'http://127.0.0.1:1/statistics/record?a=1&b=2'"
    assert curl_line("POST", "http://h/x").startswith("curl -sS -i -X POST ")
