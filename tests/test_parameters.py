"""validation.parse_query over raw query strings: what passes, and what each failure names."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract import operation
from contract.parameters import (
    FAST_PARAMETERS,
    ParameterError,
    ParameterRule,
    QueryParser,
    compile_rules,
    parse_query,
)


def rules() -> tuple[ParameterRule, ...]:
    # Compiled in each test, not once at import: `make mutate` switches a mutant on after the
    # test modules are imported, and a mutant of compile_rules must reach the tests (C26).
    return compile_rules(operation()["parameters"])


def test_the_contracts_parameters_compile_into_these_rules() -> None:
    # Every field the validator reads, from openapi.yaml: a slip in compile_rules (a bound
    # read from the wrong keyword, an array taken for a scalar) changes a row.
    assert rules() == (
        ParameterRule(
            "annotationRequestId", required=True, is_array=True,
            min_items=1, max_items=100, min_bytes=1, max_bytes=255,
        ),
        ParameterRule(
            "offset", required=False, is_array=False, default=1, minimum=1, maximum=2147483647
        ),
        ParameterRule(
            "limit", required=False, is_array=False, default=10, minimum=1, maximum=2147483647
        ),
    )  # fmt: skip


def test_parameters_not_in_the_query_are_not_rules() -> None:
    path = {"in": "path", "name": "tenant", "required": True, "schema": {"type": "string"}}
    header = {"in": "header", "name": "X-TS", "schema": {"type": "string"}}
    assert compile_rules([path, header, *operation()["parameters"]]) == rules()


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
    parsed = parse_query(rules(), raw)
    assert {name: parsed[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("value", "number"),
    [("010", 10), ("0" * 30 + "7", 7), ("2147483647", 2147483647), ("0002147483647", 2147483647)],
)
def test_leading_zeros_are_decimal_however_many(value: str, number: int) -> None:
    # D56: `010` is ten (Go's ParseInt with base 0 reads eight); zeros do not count as digits.
    parsed = parse_query(rules(), b"annotationRequestId=a&limit=" + value.encode())
    assert parsed["limit"] == number


# The forms other stacks' integer parsers accept by default; D56 refuses every one of them.
LENIENT_FORMS = [
    "+1", "-0", "1e1", "1E1", "10abc", "%2010", "10%20", "%0910", "0x10", "0o10", "1_0",
    "1.0", "%D9%A1%D9%A0", "%EF%BC%91%EF%BC%90", "%C2%B2", "99999999999999999999",
]  # fmt: skip


@pytest.mark.parametrize("value", LENIENT_FORMS)
@pytest.mark.parametrize("name", ["offset", "limit"])
def test_lenient_integer_forms_are_refused_naming_the_parameter(name: str, value: str) -> None:
    with pytest.raises(ParameterError) as raised:
        parse_query(rules(), f"annotationRequestId=a&{name}={value}".encode())
    assert raised.value.parameter == name
    assert str(raised.value).startswith(f"Invalid parameter: {name} must be an integer >= 1, got")


@pytest.mark.parametrize(
    "name", ["annotationRequestId[]", "annotationRequestId[0]", "annotationRequestId.0",
             "annotationrequestid", "AnnotationRequestId", "ANNOTATIONREQUESTID"],
)  # fmt: skip
def test_near_misses_of_a_name_are_other_parameters(name: str) -> None:
    # D57: names are matched exactly; a near-miss is an unknown parameter (ignored, D23), so the
    # required one is missing, and a near-miss of limit leaves its default.
    with pytest.raises(ParameterError) as raised:
        parse_query(rules(), f"{name}=a".encode())
    assert (raised.value.parameter, raised.value.reason) == ("annotationRequestId", "is required")
    for near in ("limit[]", "limit[0]", "Limit", "LIMIT"):
        parsed = parse_query(rules(), f"annotationRequestId=a&{near}=1".encode())
        assert parsed["limit"] == 10


@pytest.mark.parametrize(
    "query", ["limit=1&limit=2", "limit=2&limit=1", "limit=1&limit=1", "limit=&limit=1",
              "limit=1&limit=", "offset=1&offset=1"],
)  # fmt: skip
def test_a_repeated_number_is_refused_in_every_order(query: str) -> None:
    # D24, D58: the same value twice, or an empty one beside a value, is a repetition too.
    with pytest.raises(ParameterError) as raised:
        parse_query(rules(), f"annotationRequestId=a&{query}".encode())
    assert raised.value.reason == "must be given at most once"


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
        parse_query(rules(), raw)
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
        parse_query(rules(), raw)
    assert raised.value.parameter == parameter
    assert "is not valid UTF-8" in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"annotationRequestId=a&offset=1&limit=1", {"offset": 1, "limit": 1}),  # the minimum
        (b"annotationRequestId=" + b",".join(b"i%d" % n for n in range(100)), {"offset": 1}),
        (b"annotationRequestId=a=b", {"annotationRequestId": ("a=b",)}),  # the first = splits
        (b"annotationRequestId=%61=%62", {"annotationRequestId": ("a=b",)}),
        (b"&&annotationRequestId=%61&", {"annotationRequestId": ("a",)}),  # empty pairs
        (b"&&annotationRequestId=a&", {"annotationRequestId": ("a",)}),
    ],
    ids=["minimums", "100-ids", "equals-in-value", "equals-encoded", "empty-pairs-encoded",
         "empty-pairs"],
)  # fmt: skip
def test_edges_of_a_valid_query(raw: bytes, expected: dict[str, Any]) -> None:
    parsed = parse_query(rules(), raw)
    assert {name: parsed[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"%FF=1&annotationRequestId=a", "Invalid parameter: name is not valid UTF-8"),
        (b"annotationRequestId=%FF", "Invalid parameter: annotationRequestId is not valid UTF-8"),
        (b"annotationRequestId=\xff", "Invalid parameter: annotationRequestId is not valid UTF-8"),
        (b"annotationRequestId=%2", "Invalid parameter: annotationRequestId has a malformed "
                                     "percent-encoding"),
        (b"annotationRequestId=a,", "Invalid parameter: annotationRequestId must not contain an "
                                    "empty value"),
        (b"annotationRequestId=a%01", "Invalid parameter: annotationRequestId values must not "
                                      "contain control characters"),
        (b"annotationRequestId=a&limit=" + b"9" * 50, "Invalid parameter: limit must be an "
                                                      "integer >= 1, got '" + "9" * 40 + "'"),
        (b"annotationRequestId=a&limit=0", "Invalid parameter: limit must be an integer >= 1, "
                                           "got 0"),
        # Leading zeros keep a number short enough to parse, its text is cut at 40 characters.
        (b"annotationRequestId=a&offset=" + b"0" * 30 + b"9" * 12,
         "Invalid parameter: offset must be at most 2147483647, got " + "0" * 30 + "9" * 10),
    ],
)  # fmt: skip
def test_the_whole_message_names_parameter_and_cause(raw: bytes, message: str) -> None:
    # The message is the 4005 envelope's, which client developers read.
    with pytest.raises(ParameterError) as raised:
        parse_query(rules(), raw)
    assert str(raised.value) == message


def test_a_parameter_without_required_is_optional() -> None:
    rule = {"in": "query", "name": "page", "schema": {"type": "integer"}}
    assert compile_rules([rule]) == (ParameterRule("page", required=False, is_array=False),)


# QueryParser (D82): the general parse with a fast path for the common query.

# Pieces of queries: every name the rules know, others, and values of each kind the fast path
# must refuse or get right (zeros, bounds, commas, escapes, UTF-8, separators, control bytes).
NAMES = [b"annotationRequestId", b"offset", b"limit", b"other", b"", b"annotationRequestIdx"]
VALUES = [
    b"a", b"golden-a", b"a,b", b"a,a", b"a,", b",", b"", b"0", b"1", b"007", b"10",
    b"2147483647", b"2147483648", b"0" * 25 + b"5", b"9" * 20, b"-1", b"+1", b"1e1", b"%41",
    b"a+b", b"a=b", "é".encode(), b"\xff", b"a\x01", b"a\n", b"x" * 255, b"x" * 256,
    b",".join(b"i%d" % n for n in range(100)), b",".join(b"i%d" % n for n in range(101)),
]  # fmt: skip


def outcome(parse: Callable[[bytes], dict[str, Any]], raw: bytes) -> object:
    try:
        return parse(raw)
    except ParameterError as refused:
        return str(refused)


NUMBERS = [value for value in VALUES if value.isdigit()]
IDS = [value for value in VALUES if value not in NUMBERS]
# Each of the rules' parameters, with a value of its own kind half of the time.
KNOWN = {
    name: st.one_of(st.sampled_from(kind), st.sampled_from(VALUES))
    for name, kind in ((b"annotationRequestId", IDS), (b"offset", NUMBERS), (b"limit", NUMBERS))
}


@given(
    st.permutations(list(KNOWN)),
    st.fixed_dictionaries(KNOWN),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(VALUES), st.booleans()), max_size=2),
    st.integers(0, 3),
)
@settings(max_examples=250, deadline=None)
def test_the_parser_parses_and_refuses_every_query_as_parse_query_does(
    order: list[bytes],
    values: dict[bytes, bytes],
    present: list[bool],
    others: list[tuple[bytes, bytes, bool]],
    at: int,
) -> None:
    # The rules' parameters in any order, some left out, each with a value of any kind, and
    # now and then other pairs among them (unknown, repeated, empty, without `=`).
    pairs = [name + b"=" + values[name] for name, kept in zip(order, present, strict=True) if kept]
    pairs[at:at] = [name + b"=" + value if equals else name for name, value, equals in others]
    raw = b"&".join(pairs)
    parser = QueryParser(rules())
    expected = outcome(partial(parse_query, rules()), raw)
    assert outcome(parser, raw) == expected
    fast = parser.fast(raw)
    assert fast is None or fast == expected


def plain_orders() -> list[tuple[bytes, dict[str, Any]]]:
    """Every order of every set of the parameters with the required one, plain values."""
    pairs = {
        "annotationRequestId": (b"annotationRequestId=golden-a,x-1,golden-a", ("golden-a", "x-1")),
        "offset": (b"offset=0042", 42),
        "limit": (b"limit=2147483647", 2147483647),
    }
    found = []
    for size in (1, 2, 3):
        for names in itertools.permutations(pairs, size):
            if "annotationRequestId" in names:
                parsed = {"offset": 1, "limit": 10} | {name: pairs[name][1] for name in names}
                found.append((b"&".join(pairs[name][0] for name in names), parsed))
    return found


@pytest.mark.parametrize(("raw", "parsed"), plain_orders())
def test_the_fast_path_reads_the_common_query_in_any_order(
    raw: bytes, parsed: dict[str, Any]
) -> None:
    # The fast path must take these (the common query of a fresh page), and read each value
    # from its own pair whatever the order.
    assert QueryParser(rules()).fast(raw) == parsed == parse_query(rules(), raw)


def test_one_parser_reads_every_order_in_turn() -> None:
    # The parser tries the order it met last first: a query of another order still parses.
    parser = QueryParser(rules())
    orders = plain_orders()
    for raw, parsed in [*orders, *reversed(orders), *orders]:
        assert parser.fast(raw) == parsed


def test_the_order_met_last_is_matched_without_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = QueryParser(rules())
    assert parser.fast(b"annotationRequestId=a&limit=5&offset=1") is not None
    trees = []
    monkeypatch.setattr(parser, "_tree", lambda raw: trees.append(raw))
    assert parser.fast(b"annotationRequestId=b&limit=7&offset=2") is not None
    assert trees == []  # the same order: its own regex only
    assert parser.fast(b"limit=7&annotationRequestId=b") is None  # another: the tree is asked
    assert trees == [b"limit=7&annotationRequestId=b"]


def test_the_fast_path_keeps_a_least_count_of_items() -> None:
    pair = ParameterRule("ids", required=True, is_array=True, min_items=2, max_bytes=9)
    parser = QueryParser([pair])
    assert parser.fast(b"ids=a,b") == {"ids": ("a", "b")}
    assert parser.fast(b"ids=a") is None
    with pytest.raises(ParameterError, match="needs at least 2 value"):
        parser(b"ids=a")


@pytest.mark.parametrize(
    "raw",
    [
        b"annotationRequestId=a&offset=1&offset=2",  # repeated scalar: parse_query refuses it
        b"annotationRequestId=a&annotationRequestId=b",  # repeated array: joined
        b"annotationRequestId=a&limit=2147483648",  # out of bounds
        b"annotationRequestId=a&limit=0",
        b"annotationRequestId=" + b",".join(b"i%d" % n for n in range(101)),  # too many items
        b"annotationRequestId=" + b"x" * 256,  # too long an item
        b"annotationRequestId=a,",  # an empty item
        b"annotationRequestId=a&other=1",  # an unknown pair
        b"annotationRequestId=a&",  # an empty pair
        b"annotationRequestId=a\n",  # a control byte
        b"annotationRequestId=a%2C",  # an escape
        b"annotationRequestId=a+b",
        "annotationRequestId=é".encode(),  # UTF-8
        b"offset=1",  # the required parameter missing
        b"",
    ],
)
def test_the_fast_path_leaves_every_other_query_to_parse_query(raw: bytes) -> None:
    assert QueryParser(rules()).fast(raw) is None


def test_rules_with_more_parameters_than_the_fast_path_knows_parse_as_before() -> None:
    many = tuple(
        ParameterRule(f"p{n}", required=False, is_array=False, default=n) for n in range(5)
    )
    assert len(many) > FAST_PARAMETERS
    parser = QueryParser(many)
    assert parser.fast(b"p1=7") is None
    assert (
        parser(b"p1=7")
        == parse_query(many, b"p1=7")
        == {"p0": 0, "p1": 7, "p2": 2, "p3": 3, "p4": 4}
    )
