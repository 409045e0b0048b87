"""Every kind of bad input a buggy client sends, over real HTTP: a clear 4xx, never a 500.

Requests go out over a plain socket, byte for byte as written here, because httpx would
re-encode invalid UTF-8, bad percent-encoding and control bytes before they reach the server.
An answer is either the API's envelope (validated against the contract's schema for its status)
or, for what never reaches the application, the HTTP layer's own 4xx: uvicorn's plain-text 400
for a malformed request, the mock's plain-text 414 for a request-target over 65535 bytes
(decision D43) and 431 for header fields over 64 KiB (decision D26), Connexion's problem document for an unknown path (404) or
method (405).
"""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from contract import operation
from tests.support.rawhttp import RawResponse, exchange, request
from tests.support.servers import RunningServer

# Raw bytes over a real socket are the point: the real process, in the slow tier.
pytestmark = pytest.mark.slow

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
RESPONSES = operation()["responses"]
PATH = b"/statistics/record"
HTTP_LAYER = "Invalid HTTP request received."
HEADERS_TOO_LARGE = "Request header fields too large."
TARGET_TOO_LONG = "Request-target longer than 65535 bytes."
PROBLEM = "application/problem+json"


def ids(count: int, separator: bytes = b",") -> bytes:
    joined = separator.join(b"ar-%d" % n for n in range(count))
    return b"annotationRequestId=" + joined


def query(text: bytes) -> bytes:
    return PATH + b"?" + text


def utf8(text: str) -> bytes:
    """An ID percent-encoded as a correct client would send it."""
    return "".join(f"%{byte:02X}" for byte in text.encode()).encode()


# (target, extra headers, method, HTTP status, business code or None, fragment of the message,
# id). One row per line, read as a table: formatting and line length are off for it.
# fmt: off
CORPUS: list[Any] = [
    # Missing, empty, repeated and unknown parameters.
    (PATH, b"", b"GET", 400, 4005, "annotationRequestId is required", "no-query"),
    (query(b"offset=1&limit=5"), b"", b"GET", 400, 4005, "annotationRequestId is required", "no-id"),
    (query(b"annotationrequestid=a"), b"", b"GET", 400, 4005, "annotationRequestId is required", "id-wrong-case"),
    (query(b"annotationRequestId="), b"", b"GET", 400, 4005, "annotationRequestId must not contain an empty value", "empty-id"),
    (query(b"annotationRequestId=a,,b"), b"", b"GET", 400, 4005, "must not contain an empty value", "empty-id-in-list"),
    (query(b"annotationRequestId=a&annotationRequestId="), b"", b"GET", 400, 4005, "must not contain an empty value", "empty-repeated-id"),
    (query(b"&&annotationRequestId=a&&"), b"", b"GET", 200, 2000, "Success", "stray-ampersands"),
    (query(b"annotationRequestId=a&annotationRequestId=a"), b"", b"GET", 200, 2000, "Success", "repeated-id"),
    (query(b"annotationRequestId=a&foo=bar&offset2=x"), b"", b"GET", 200, 2000, "Success", "unknown-parameters-ignored"),
    (query(b"annotationRequestId=a&foo"), b"", b"GET", 200, 2000, "Success", "unknown-flag-ignored"),
    (query(b"annotationRequestId=0"), b"", b"GET", 200, 2000, "Success", "id-zero"),
    # limit: non-integers, negatives, zero, floats, empty, huge, overflow, repeated.
    (query(b"annotationRequestId=a&limit=abc"), b"", b"GET", 400, 4005, "limit must be an integer >= 1", "limit-abc"),
    (query(b"annotationRequestId=a&limit=-1"), b"", b"GET", 400, 4005, "limit must be an integer >= 1", "limit-negative"),
    (query(b"annotationRequestId=a&limit=0"), b"", b"GET", 400, 4005, "limit must be an integer >= 1, got 0", "limit-zero"),
    (query(b"annotationRequestId=a&limit=00"), b"", b"GET", 400, 4005, "limit must be an integer >= 1", "limit-zeros"),
    (query(b"annotationRequestId=a&limit=1.5"), b"", b"GET", 400, 4005, "limit must be an integer >= 1", "limit-float"),
    (query(b"annotationRequestId=a&limit=1e3"), b"", b"GET", 400, 4005, "limit must be an integer", "limit-exponent"),
    (query(b"annotationRequestId=a&limit="), b"", b"GET", 400, 4005, "limit must be an integer", "limit-empty"),
    (query(b"annotationRequestId=a&limit"), b"", b"GET", 400, 4005, "limit must be an integer", "limit-no-value"),
    (query(b"annotationRequestId=a&limit=+5"), b"", b"GET", 400, 4005, "limit must be an integer", "limit-plus"),
    (query(b"annotationRequestId=a&limit=0x10"), b"", b"GET", 400, 4005, "limit must be an integer", "limit-hex"),
    (query(b"annotationRequestId=a&limit=%EF%BC%95"), b"", b"GET", 400, 4005, "limit must be an integer", "limit-fullwidth-digit"),
    (query(b"annotationRequestId=a&limit=%C2%B2"), b"", b"GET", 400, 4005, "limit must be an integer", "limit-superscript-digit"),
    (query(b"annotationRequestId=a&limit=2147483648"), b"", b"GET", 400, 4005, "limit must be at most 2147483647", "limit-int32-overflow"),
    (query(b"annotationRequestId=a&limit=99999999999999999999"), b"", b"GET", 400, 4005, "limit must be an integer", "limit-huge"),
    (query(b"annotationRequestId=a&limit=" + b"9" * 5000), b"", b"GET", 400, 4005, "limit must be an integer", "limit-5000-digits"),
    (query(b"annotationRequestId=a&limit=1&limit=2"), b"", b"GET", 400, 4005, "limit must be given at most once", "limit-repeated"),
    (query(b"annotationRequestId=a&limit=2147483647"), b"", b"GET", 200, 2000, "Success", "limit-int32-max"),
    # offset: the same.
    (query(b"annotationRequestId=a&offset=abc"), b"", b"GET", 400, 4005, "offset must be an integer >= 1", "offset-abc"),
    (query(b"annotationRequestId=a&offset=-1"), b"", b"GET", 400, 4005, "offset must be an integer >= 1", "offset-negative"),
    (query(b"annotationRequestId=a&offset=0"), b"", b"GET", 400, 4005, "offset must be an integer >= 1, got 0", "offset-zero"),
    (query(b"annotationRequestId=a&offset=2.0"), b"", b"GET", 400, 4005, "offset must be an integer", "offset-float"),
    (query(b"annotationRequestId=a&offset="), b"", b"GET", 400, 4005, "offset must be an integer", "offset-empty"),
    (query(b"annotationRequestId=a&offset=2147483648"), b"", b"GET", 400, 4005, "offset must be at most 2147483647", "offset-int32-overflow"),
    (query(b"annotationRequestId=a&offset=18446744073709551617"), b"", b"GET", 400, 4005, "offset must be an integer", "offset-int64-overflow"),
    (query(b"annotationRequestId=a&offset=1&offset=1"), b"", b"GET", 400, 4005, "offset must be given at most once", "offset-repeated"),
    (query(b"annotationRequestId=a&offset=2147483647"), b"", b"GET", 200, 2000, "Success", "offset-int32-max"),
    # Lengths in bytes of UTF-8, multi-byte characters included (decision D8).
    (query(b"annotationRequestId=" + b"a" * 255), b"", b"GET", 200, 2000, "Success", "id-255-ascii"),
    (query(b"annotationRequestId=" + b"a" * 256), b"", b"GET", 400, 4005, "annotationRequestId values must be at most 255 bytes, got one of 256 bytes", "id-256-ascii"),
    (query(b"annotationRequestId=" + utf8("\u00e9" * 127 + "a")), b"", b"GET", 200, 2000, "Success", "id-255-bytes-of-2-byte-chars"),
    (query(b"annotationRequestId=" + utf8("\u00e9" * 128)), b"", b"GET", 400, 4005, "got one of 256 bytes", "id-256-bytes-of-2-byte-chars"),
    (query(b"annotationRequestId=" + utf8("\U0001f600" * 63 + "abc")), b"", b"GET", 200, 2000, "Success", "id-255-bytes-of-emoji"),
    (query(b"annotationRequestId=" + utf8("\U0001f600" * 64)), b"", b"GET", 400, 4005, "got one of 256 bytes", "id-256-bytes-of-emoji"),
    (query(b"annotationRequestId=a," + b"b" * 10_000), b"", b"GET", 400, 4005, "got one of 10000 bytes", "id-10000-bytes"),
    # How many IDs (decision D9): 100 at most, whichever way they are sent.
    (query(ids(100)), b"", b"GET", 200, 2000, "Success", "100-ids"),
    (query(ids(50) + b"," + ids(50)[20:]), b"", b"GET", 200, 2000, "Success", "100-values-50-ids"),
    # The cap counts values as sent, duplicates included, as the contract's maxItems does.
    (query(ids(100) + b"," + ids(100)[20:]), b"", b"GET", 400, 4005, "at most 100 values, got 200", "100-ids-and-duplicates"),
    (query(ids(101)), b"", b"GET", 400, 4005, "annotationRequestId accepts at most 100 values, got 101", "101-ids"),
    (query(ids(101, b"&annotationRequestId=")), b"", b"GET", 400, 4005, "at most 100 values, got 101", "101-repeated-ids"),
    (query(ids(5000)), b"", b"GET", 400, 4005, "at most 100 values, got 5000", "5000-ids"),
    # A request-target of up to 65535 bytes reaches the application; a longer one does not
    # (decisions D26, D43), and is refused with 414 as soon as it is that long.
    (query(ids(5000, b"&annotationRequestId=")), b"", b"GET", 414, None, TARGET_TOO_LONG, "5000-repeated-ids-over-64KiB"),
    (query(b"annotationRequestId=a&pad=" + b"x" * 70_000), b"", b"GET", 414, None, TARGET_TOO_LONG, "query-over-64KiB"),
    (query(b"annotationRequestId=a&pad=" + b"x" * 60_000), b"", b"GET", 200, 2000, "Success", "query-under-64KiB"),
    (query(b"annotationRequestId=a&pad=".ljust(65535 - len(PATH) - 1, b"x")), b"", b"GET", 200, 2000, "Success", "target-of-65535-bytes"),
    (query(b"annotationRequestId=a&pad=".ljust(65536 - len(PATH) - 1, b"x")), b"", b"GET", 414, None, TARGET_TOO_LONG, "target-of-65536-bytes"),
    (query(b"annotationRequestId=a&pad=".ljust(65535 - len(PATH) - 1, b"x")), b"X-Junk: " + b"j" * 60_000 + b"\r\n", b"GET", 200, 2000, "Success", "target-of-65535-bytes-and-header-60KB"),
    # Percent-encoding errors and invalid UTF-8 (decision D25).
    (query(b"annotationRequestId=%zz"), b"", b"GET", 400, 4005, "annotationRequestId has a malformed percent-encoding", "pct-not-hex"),
    (query(b"annotationRequestId=a%"), b"", b"GET", 400, 4005, "has a malformed percent-encoding", "pct-truncated"),
    (query(b"annotationRequestId=a%4"), b"", b"GET", 400, 4005, "has a malformed percent-encoding", "pct-one-digit"),
    (query(b"annotationRequestId=a&limit=%G1"), b"", b"GET", 400, 4005, "limit has a malformed percent-encoding", "pct-in-limit"),
    (query(b"annotationRequestId=a&%zz=1"), b"", b"GET", 400, 4005, "name has a malformed percent-encoding", "pct-in-a-name"),
    (query(b"annotationRequestId=%FF"), b"", b"GET", 400, 4005, "annotationRequestId is not valid UTF-8", "utf8-ff"),
    (query(b"annotationRequestId=%C3%28"), b"", b"GET", 400, 4005, "is not valid UTF-8", "utf8-bad-continuation"),
    (query(b"annotationRequestId=%C3"), b"", b"GET", 400, 4005, "is not valid UTF-8", "utf8-truncated"),
    (query(b"annotationRequestId=%C0%AF"), b"", b"GET", 400, 4005, "is not valid UTF-8", "utf8-overlong"),
    (query(b"annotationRequestId=%ED%A0%80"), b"", b"GET", 400, 4005, "is not valid UTF-8", "utf8-surrogate"),
    (query(b"annotationRequestId=a&offset=%FF"), b"", b"GET", 400, 4005, "offset is not valid UTF-8", "utf8-in-offset"),
    (query(b"annotationRequestId=a&%FF=1"), b"", b"GET", 400, 4005, "name is not valid UTF-8", "utf8-in-a-name"),
    # NUL and control characters (decision D22).
    (query(b"annotationRequestId=a%00b"), b"", b"GET", 400, 4005, "annotationRequestId values must not contain control characters", "encoded-nul"),
    (query(b"annotationRequestId=a%0D%0Ab"), b"", b"GET", 400, 4005, "must not contain control characters", "encoded-crlf"),
    (query(b"annotationRequestId=%1B%5B31m"), b"", b"GET", 400, 4005, "must not contain control characters", "encoded-escape"),
    (query(b"annotationRequestId=a%7F"), b"", b"GET", 400, 4005, "must not contain control characters", "encoded-del"),
    (query(b"annotationRequestId=a&limit=1%00"), b"", b"GET", 400, 4005, "limit must be an integer", "encoded-nul-in-limit"),
    (query(b"annotationRequestId=a\x00b"), b"", b"GET", 400, None, HTTP_LAYER, "raw-nul"),
    (query(b"annotationRequestId=a\x01b"), b"", b"GET", 400, None, HTTP_LAYER, "raw-control"),
    (query(b"annotationRequestId=a\xffb"), b"", b"GET", 400, None, HTTP_LAYER, "raw-high-byte"),
    (query(b"annotationRequestId=a b"), b"", b"GET", 400, None, HTTP_LAYER, "raw-space"),
    (query(b"annotationRequestId=a\tb"), b"", b"GET", 400, None, HTTP_LAYER, "raw-tab"),
    # Headers.
    (query(b"annotationRequestId=a"), b"X-Junk: a\x00b\r\n", b"GET", 400, None, HTTP_LAYER, "header-nul"),
    (query(b"annotationRequestId=a"), b"X-Junk: \xff\xfe\r\n", b"GET", 200, 2000, "Success", "header-high-bytes"),
    # Header fields: 64 KiB of names and values in all (decision D26). request() adds 43 bytes
    # of them (Host, Content-Length, Connection), "X-Junk" 6 more.
    (query(b"annotationRequestId=a"), b"X-Junk: " + b"j" * (65536 - 49) + b"\r\n", b"GET", 200, 2000, "Success", "header-fields-of-65536-bytes"),
    (query(b"annotationRequestId=a"), b"X-Junk: " + b"j" * (65537 - 49) + b"\r\n", b"GET", 431, None, HEADERS_TOO_LARGE, "header-fields-of-65537-bytes"),
    (query(b"annotationRequestId=a"), b"X-Junk: " + b"j" * 60_000 + b"\r\n", b"GET", 200, 2000, "Success", "header-60KB"),
    (query(b"annotationRequestId=a"), b"X-Junk: " + b"j" * 70_000 + b"\r\n", b"GET", 431, None, HEADERS_TOO_LARGE, "header-70KB"),
    (query(b"annotationRequestId=a"), b"X-Junk: " + b"j" * 4_000_000 + b"\r\n", b"GET", 431, None, HEADERS_TOO_LARGE, "header-4MB"),
    (query(b"annotationRequestId=a"), b"".join(b"X-%d: v\r\n" % n for n in range(500)), b"GET", 200, 2000, "Success", "500-headers"),
    (query(b"annotationRequestId=a"), b"".join(b"X-%05d: %s\r\n" % (n, b"v" * 60) for n in range(1000)), b"GET", 431, None, HEADERS_TOO_LARGE, "1000-headers-of-70-bytes"),
    (query(b"annotationRequestId=a"), b"Bad Name: v\r\n", b"GET", 400, None, HTTP_LAYER, "header-name-with-space"),
    (query(b"annotationRequestId=a"), b"Content-Length: abc\r\n", b"GET", 400, None, HTTP_LAYER, "content-length-not-a-number"),
    (query(b"annotationRequestId=a"), b"Prefer: code=abc\r\n", b"GET", 400, 4005, "Prefer code must be a non-negative integer", "prefer-not-a-number"),
    # "²" passes str.isdigit(): this answered 500 until the parser took ASCII digits only.
    (query(b"annotationRequestId=a"), b"Prefer: code=\xb2\r\n", b"GET", 400, 4005, "Prefer code must be a non-negative integer", "prefer-superscript-digit"),
    (query(b"annotationRequestId=a"), b"Prefer: delay=60001\r\n", b"GET", 400, 4005, "Prefer delay must be at most 60000 ms", "prefer-delay-too-long"),
    (query(b"annotationRequestId=a"), b"Prefer: code=7\r\n", b"GET", 400, 4005, "code=7 is not an outcome", "prefer-unknown-code"),
    (query(b"annotationRequestId=a"), b"Prefer: respond-async, wait=5\r\n", b"GET", 200, 2000, "Success", "prefer-other-preferences"),
    (query(b"annotationRequestId=a"), b"X-STARDUST-KEY: \xff\r\nX-TS: x\r\nX-SIGN: y\r\n", b"GET", 200, 2000, "Success", "signature-headers-when-not-verifying"),
    # Unexpected methods and paths.
    (query(b"annotationRequestId=a"), b"", b"POST", 405, None, "Method Not Allowed", "post"),
    (query(b"annotationRequestId=a"), b"", b"PUT", 405, None, "Method Not Allowed", "put"),
    (query(b"annotationRequestId=a"), b"", b"DELETE", 405, None, "Method Not Allowed", "delete"),
    (query(b"annotationRequestId=a"), b"", b"PATCH", 405, None, "Method Not Allowed", "patch"),
    (query(b"annotationRequestId=a"), b"", b"OPTIONS", 405, None, "Method Not Allowed", "options"),
    (query(b"annotationRequestId=a"), b"", b"TRACE", 405, None, "Method Not Allowed", "trace"),
    (query(b"annotationRequestId=a"), b"", b"BREW", 400, None, HTTP_LAYER, "unknown-method"),
    # GET / is the index (D50, tests/test_index.py); another method there is still refused.
    (b"/", b"", b"POST", 404, None, "Not Found", "root-post"),
    (b"/nope", b"", b"GET", 404, None, "Not Found", "unknown-path"),
    (b"/statistics", b"", b"GET", 404, None, "Not Found", "parent-path"),
    (b"/rosetta-open", b"", b"POST", 404, None, "Not Found", "prefix-only-post"),
    (b"/statistics/record%00?annotationRequestId=a", b"", b"GET", 404, None, "Not Found", "path-encoded-nul"),
    (b"/statistics/record%FF?annotationRequestId=a", b"", b"GET", 404, None, "Not Found", "path-bad-utf8"),
    (b"/../../etc/passwd", b"", b"GET", 404, None, "Not Found", "path-traversal"),
    (b"/statistics/record\xc3\xa9", b"", b"GET", 400, None, HTTP_LAYER, "path-raw-utf8"),
    (b"*", b"", b"GET", 404, None, "Not Found", "asterisk-form"),
    (b"http://elsewhere" + query(b"annotationRequestId=a"), b"", b"GET", 200, 2000, "Success", "absolute-form"),
]
# fmt: on


def assert_well_formed(response: RawResponse, code: int | None, fragment: str) -> None:
    """The envelope of the contract for this status, or the HTTP layer's own 4xx."""
    if code is not None:
        assert response.content_type.startswith("application/json")
        body = response.json()
        schema = RESPONSES[str(response.status)]["content"]["application/json"]["schema"]
        errors = [error.message for error in OAS30Validator(schema).iter_errors(body)]
        assert errors == [], errors
        assert body["code"] == code
        assert fragment in body["message"], body["message"]
    elif response.content_type == PROBLEM:
        problem = response.json()
        assert problem["status"] == response.status and problem["title"] == fragment
    else:
        assert response.content_type.startswith("text/plain")
        assert response.body.decode() == fragment


@pytest.mark.parametrize(
    ("target", "headers", "method", "status", "code", "fragment"),
    [pytest.param(*case[:-1], id=case[-1]) for case in CORPUS],
)
def test_bad_input_gets_a_clear_4xx_never_a_500(
    mock: RunningServer,
    target: bytes,
    headers: bytes,
    method: bytes,
    status: int,
    code: int | None,
    fragment: str,
) -> None:
    response = exchange(mock.base_url, request(target, headers, method))
    assert response is not None, "the server closed the connection without an answer"
    assert response.status < 500
    assert response.status == status
    assert_well_formed(response, code, fragment)


def test_a_limit_above_1000_is_served_as_1000(mock: RunningServer) -> None:
    response = exchange(
        mock.base_url, request(query(f"annotationRequestId={DOC_ID}&limit=5000".encode()))
    )
    assert response is not None and response.status == 200
    assert_well_formed(response, 2000, "Success")
    page = response.json()["data"]
    assert page["count"] == 1930 and len(page["data"]) == 1000


@pytest.mark.parametrize(
    "target",
    [
        query(f"annotationRequestId={DOC_ID}&limit=7".encode()),
        query(b"annotationRequestId=a&limit=0"),
    ],
    ids=["success", "error"],
)
def test_head_answers_like_get_without_a_body(mock: RunningServer, target: bytes) -> None:
    get = exchange(mock.base_url, request(target))
    head = exchange(mock.base_url, request(target, method=b"HEAD"))
    assert get is not None and head is not None
    assert get.body, "GET has a body to leave out"
    assert head.body == b""
    assert head.status == get.status
    assert head.content_type == get.content_type
    # The same answer but its fresh requestId (always 32 hex): the same length.
    assert int(head.headers["content-length"]) == len(get.body)


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n",
        b"GET /statistics/record?annotationRequestId=a HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /statistics/record?annotationRequestId=a HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
        b"\r\n\r\n\r\n\r\nnot http at all\r\n\r\n",
    ],
    ids=["tls-client-hello", "http-9.9", "bad-chunk", "not-http"],
)
def test_a_request_that_is_not_http_gets_400_from_the_http_layer(
    mock: RunningServer, garbage: bytes
) -> None:
    response = exchange(mock.base_url, garbage)
    assert response is not None and response.status == 400
    assert response.body.decode() == HTTP_LAYER


def test_the_server_still_answers_after_the_whole_corpus(mock: RunningServer) -> None:
    # Sent here in one go, so the test holds whatever order the tests run in.
    for target, headers, method, *_ in CORPUS:
        exchange(mock.base_url, request(target, headers, method))
    response = exchange(mock.base_url, request(query(f"annotationRequestId={DOC_ID}".encode())))
    assert response is not None and response.status == 200
    assert response.json()["data"]["count"] == 1930
    assert mock.process.poll() is None
