"""validation.parse_query over raw query strings: what passes, and what each failure names."""

from __future__ import annotations

from typing import Any

import pytest

from contract import operation
from contract.parameters import ParameterError, compile_rules, parse_query

RULES = compile_rules(operation()["parameters"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"annotationRequestId=a", {"annotationRequestId": ("a",), "offset": 1, "limit": 10}),
        (b"annotationRequestId=a,b&annotationRequestId=a", {"annotationRequestId": ("a", "b")}),
        (b"annotationRequestId=a+b", {"annotationRequestId": ("a b",)}),
        (b"annotationRequestId=%C3%A9", {"annotationRequestId": ("\u00e9",)}),
        (b"annotationRequestId=a&limit=5000&offset=3", {"limit": 5000, "offset": 3}),
        (b"annotationRequestId=a&unknown=%20", {"annotationRequestId": ("a",)}),
        (b"annotationRequestId=" + b"%C3%A9" * 127 + b"a", {"offset": 1}),
    ],
    ids=["defaults", "repeated-and-joined", "plus", "utf8", "numbers", "unknown", "255-bytes"],
)
def test_a_valid_query_is_parsed(raw: bytes, expected: dict[str, Any]) -> None:
    parsed = parse_query(RULES, raw)
    assert {name: parsed[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("raw", "parameter", "fragment"),
    [
        (b"", "annotationRequestId", "is required"),
        (b"annotationRequestId=", "annotationRequestId", "empty value"),
        (b"annotationRequestId=" + b"%C3%A9" * 128, "annotationRequestId", "256 bytes"),
        (b"annotationRequestId=a%00", "annotationRequestId", "control characters"),
        (b"annotationRequestId=%E2%80", "annotationRequestId", "not valid UTF-8"),
        (b"annotationRequestId=%2", "annotationRequestId", "malformed percent-encoding"),
        (
            b"annotationRequestId=" + b",".join(b"%d" % n for n in range(101)),
            "annotationRequestId",
            "at most 100",
        ),
        (b"annotationRequestId=a&limit=0", "limit", ">= 1, got 0"),
        (b"annotationRequestId=a&limit=-0", "limit", "integer"),
        (b"annotationRequestId=a&limit=%C2%B2", "limit", "integer"),
        (b"annotationRequestId=a&limit=1%2E0", "limit", "integer"),
        (b"annotationRequestId=a&offset=2147483648", "offset", "at most 2147483647"),
        (b"annotationRequestId=a&offset=" + b"1" * 30, "offset", "integer"),
        (b"annotationRequestId=a&offset=1&offset=2", "offset", "at most once"),
    ],
    ids=[
        "missing",
        "empty",
        "256-bytes",
        "nul",
        "truncated-utf8",
        "truncated-percent",
        "101-ids",
        "limit-zero",
        "limit-minus-zero",
        "limit-superscript",
        "limit-encoded-float",
        "offset-overflow",
        "offset-30-digits",
        "offset-repeated",
    ],
)
def test_an_invalid_query_names_its_parameter(raw: bytes, parameter: str, fragment: str) -> None:
    with pytest.raises(ParameterError) as raised:
        parse_query(RULES, raw)
    assert raised.value.parameter == parameter
    assert fragment in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "parameter"),
    [
        (b"annotationRequestId=\xff", "annotationRequestId"),
        (b"annotationRequestId=a&limit=\xc3", "limit"),
        (b"annotationRequestId=%FF", "annotationRequestId"),
    ],
    ids=["raw-id", "raw-limit", "percent-encoded"],
)
def test_bytes_that_are_not_utf8_name_their_parameter(raw: bytes, parameter: str) -> None:
    # Raw bytes take the fast path (no `%`, no `+`), percent-encoded ones the unquoting path:
    # both must refuse with the parameter's name, never with another exception (a 500).
    with pytest.raises(ParameterError) as raised:
        parse_query(RULES, raw)
    assert raised.value.parameter == parameter
    assert "is not valid UTF-8" in str(raised.value)
