"""The contract's query parameters, compiled into rules and applied to a raw query string.

The mock validates requests with it (`mockserver/app.py` turns a `ParameterError` into the
4005 envelope) and the validating proxy judges a client's requests with it
(`conformance/proxy/request.py`): one reading of `openapi.yaml`'s parameters for both, and it
lives in `contract` so that the conformance suite never imports the server package for it.

Connexion's own parameter validator builds a JSON Schema validator per parameter per request
and reports errors without naming the parameter. This one reads the same definitions from
`openapi.yaml`, compiles them once, and reports each violation as a 4005 naming the parameter.
It is stricter than the generic one where the contract says so in words: lengths are bytes of
UTF-8 (decision D8), scalar parameters may not be repeated, and the query string must be valid
percent-encoded UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes


class ParameterError(ValueError):
    """A query parameter the contract refuses: which one, and why (decision D10's 4005)."""

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"Invalid parameter: {parameter} {reason}")


_MALFORMED_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# ASCII digits only (D56): no sign, blank, exponent, prefix, separator or other script's digit.
# Leading zeros are decimal and any number of them is one value; at most 19 significant digits
# bound the work of int() (a longer number is over int32 anyway).
_DIGITS = re.compile(r"0*[0-9]{1,19}")


@dataclass(frozen=True, slots=True)
class ParameterRule:
    """What the contract says of one query parameter."""

    name: str
    required: bool
    is_array: bool
    default: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    min_items: int = 0
    max_items: int | None = None
    min_bytes: int = 0
    max_bytes: int | None = None


def compile_rules(parameters: Sequence[Mapping[str, Any]]) -> tuple[ParameterRule, ...]:
    """Rules for the query parameters of an operation, from their (resolved) definitions."""
    rules = []
    for parameter in parameters:
        if parameter.get("in") != "query":
            continue
        schema = parameter["schema"]
        is_array = schema.get("type") == "array"
        items = schema.get("items", {}) if is_array else {}
        rules.append(
            ParameterRule(
                name=parameter["name"],
                required=bool(parameter.get("required", False)),
                is_array=is_array,
                default=schema.get("default"),
                minimum=schema.get("minimum"),
                maximum=schema.get("maximum"),
                min_items=schema.get("minItems", 0),
                max_items=schema.get("maxItems"),
                min_bytes=items.get("minLength", 0),
                max_bytes=items.get("maxLength"),
            )
        )
    return tuple(rules)


def _decode(raw: bytes, where: str) -> str:
    if raw.find(b"%") < 0 and raw.find(b"+") < 0:
        # Nothing to unquote (the usual case): only the UTF-8 check is left.
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParameterError(where, "is not valid UTF-8") from None
    if _MALFORMED_PERCENT.search(raw):
        raise ParameterError(where, "has a malformed percent-encoding")
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise ParameterError(where, "is not valid UTF-8") from None


def split_query(query_string: bytes) -> dict[str, list[str]]:
    """Raw query string to values by name, strictly decoded."""
    values: dict[str, list[str]] = {}
    # `find`, not `in`: `bytes in bytes` first tries the needle as an integer, and formats a
    # TypeError it then drops (some 1,800 instructions each, callgrind).
    if query_string.find(b"%") < 0 and query_string.find(b"+") < 0:
        # Nothing to unquote anywhere (the usual case): one UTF-8 check for the whole string.
        try:
            text = query_string.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            for item in text.split("&"):
                if item:
                    name, _, value = item.partition("=")
                    values.setdefault(name, []).append(value)
            return values
    for pair in query_string.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name = _decode(raw_name, "name")
        values.setdefault(name, []).append(_decode(raw_value, name))
    return values


def _integer(rule: ParameterRule, values: list[str]) -> int:
    if len(values) > 1:
        raise ParameterError(rule.name, "must be given at most once")
    text = values[0]
    if not _DIGITS.fullmatch(text):
        raise ParameterError(rule.name, f"must be an integer >= {rule.minimum}, got {text[:40]!r}")
    number = int(text)
    if rule.minimum is not None and number < rule.minimum:
        raise ParameterError(rule.name, f"must be an integer >= {rule.minimum}, got {number}")
    if rule.maximum is not None and number > rule.maximum:
        raise ParameterError(rule.name, f"must be at most {rule.maximum}, got {text[:40]}")
    return number


def _array(rule: ParameterRule, values: list[str]) -> tuple[str, ...]:
    # Repeated parameters and comma-separated values are both accepted (decision D7).
    items = [item for value in values for item in value.split(",")]
    for item in items:
        size = len(item.encode("utf-8"))
        if size < rule.min_bytes:
            raise ParameterError(rule.name, "must not contain an empty value")
        if rule.max_bytes is not None and size > rule.max_bytes:
            raise ParameterError(
                rule.name, f"values must be at most {rule.max_bytes} bytes, got one of {size} bytes"
            )
        if _CONTROL.search(item):
            raise ParameterError(rule.name, "values must not contain control characters")
    # The cap counts values as sent, duplicates included, as the contract's maxItems does;
    # duplicates then count once for the records (decision D7).
    if len(items) < rule.min_items:
        raise ParameterError(rule.name, f"needs at least {rule.min_items} value(s)")
    if rule.max_items is not None and len(items) > rule.max_items:
        raise ParameterError(
            rule.name, f"accepts at most {rule.max_items} values, got {len(items)}"
        )
    return tuple(dict.fromkeys(items))


def parse_query(rules: Sequence[ParameterRule], query_string: bytes) -> dict[str, Any]:
    """The query parameters of a request, validated; unknown parameters are ignored."""
    given = split_query(query_string)
    parsed: dict[str, Any] = {}
    for rule in rules:
        values = given.get(rule.name)
        if values is None:
            if rule.required:
                raise ParameterError(rule.name, "is required")
            parsed[rule.name] = rule.default
        elif rule.is_array:
            parsed[rule.name] = _array(rule, values)
        else:
            parsed[rule.name] = _integer(rule, values)
    return parsed


# A value's byte that the fast path takes as it is: printable ASCII but the query's separators
# and escapes (`&`, `=`, `,`, `%`, `+`), so that its bytes are its characters, none is a
# control character and nothing in it needs decoding.
_PLAIN = rb"[!-$'-*\--<>-~]"
# The fast path knows every order of at most this many parameters (4: 64 groups).
FAST_PARAMETERS = 4
_NEVER = rb"(?!)"
# What the fast path does with one value: (name, is an array, least, most: the bounds of the
# items' count for an array, of the number for an integer).
_Bounds = tuple[str, bool, int, int]
# No bound: more than any count of items, or number of 19 digits.
_UNBOUNDED = 10**19
# One order of pairs: its regex's `fullmatch`, and the bounds of its values in that order.
_Order = tuple[Callable[[bytes], "re.Match[bytes] | None"], tuple[_Bounds, ...]]


def _plain_pair(rule: ParameterRule) -> bytes:
    """The rule's pair with a value of the plain common shape (plain items, or an integer's
    digits), the value in a group."""
    if rule.is_array:
        upper = b"" if rule.max_bytes is None else b"%d" % rule.max_bytes
        item = _PLAIN + b"{%d,%b}" % (rule.min_bytes, upper)
        value = b"(" + item + b"(?:," + item + b")*)"
    else:
        value = rb"(0*[0-9]{1,19})"
    return re.escape(rule.name.encode("utf-8")) + b"=" + value


def _bounds(rule: ParameterRule) -> _Bounds:
    if rule.is_array:
        most = _UNBOUNDED if rule.max_items is None else rule.max_items
        return rule.name, True, rule.min_items, most
    least = 0 if rule.minimum is None else rule.minimum
    return rule.name, False, least, _UNBOUNDED if rule.maximum is None else rule.maximum


class QueryParser:
    """`parse_query` over `rules`, with a fast path for the common query (D82).

    A query of the rules' parameters, each once, in any order, with plain values (printable
    ASCII, no escapes) is matched whole by one compiled regex of its order and its values
    converted: half the general parse's instructions or less, which a fresh page pays on every
    request, its query never seen before (docs/performance.md, issue 27 round 3). The order
    last met is tried first (a client keeps its own); another is found by a regex of all the
    orders, a tree. Anything else (escapes, UTF-8, repeats, unknown or empty pairs, a number out
    of bounds, too many items) goes to `parse_query`, which decides and names what is wrong:
    the fast path accepts only what `parse_query` parses to the same result
    (tests/test_parameters.py).
    """

    def __init__(self, rules: Sequence[ParameterRule]) -> None:
        self._rules = tuple(rules)
        self._defaults: dict[str, Any] = {
            rule.name: rule.default for rule in self._rules if not rule.required
        }
        # By the group a match of the tree ends on (its `lastindex`), the order it matched:
        # that order's own regex, and what to do with each of its values.
        self._orders: dict[int, _Order] = {}
        few = len(self._rules) <= FAST_PARAMETERS
        self._tree = re.compile(self._after(()) if few else _NEVER).fullmatch
        self._last: _Order = (re.compile(_NEVER).fullmatch, ())

    def _after(self, path: tuple[ParameterRule, ...]) -> bytes:
        """What may follow the pairs of `path`: one alternative per parameter not in it, its
        pair then what may follow that. A tree, so that no value is matched twice, and each
        group is the last of one path only."""
        alternatives = []
        for rule in self._rules:
            if rule in path:
                continue
            here = (*path, rule)
            pairs = [_plain_pair(kept) for kept in here]
            self._orders[len(self._orders) + 1] = (
                re.compile(b"&".join(pairs)).fullmatch,
                tuple(map(_bounds, here)),
            )
            alternatives.append(pairs[-1] + self._after(here))
        if not alternatives:
            return b""
        choice = b"(?:" + b"|".join(alternatives) + b")"
        if not path:
            return choice
        # The query may end after these pairs if they hold every required parameter.
        complete = all(rule in path for rule in self._rules if rule.required)
        return b"(?:&" + choice + (b")?" if complete else b")")

    def fast(self, query_string: bytes) -> dict[str, Any] | None:
        """The parsed query if it has the common shape and the rules accept it, else None."""
        match_order, steps = self._last
        match = match_order(query_string)
        if match is None:
            found = self._tree(query_string)
            if found is None:
                return None
            order = self._orders.get(found.lastindex or 0)
            if order is None:
                return None
            self._last = match_order, steps = order
            match = match_order(query_string)
            if match is None:
                return None
        parsed = self._defaults.copy()
        # As many groups as steps, by construction: zip's strict check would only cost.
        for (name, is_array, least, most), value in zip(steps, match.groups()):  # noqa: B905
            if is_array:
                items = value.decode("ascii").split(",")
                size = len(items)
                if not least <= size <= most:
                    return None
                # Duplicates count once for the records (D7), as in `_array`.
                parsed[name] = (items[0],) if size == 1 else tuple(dict.fromkeys(items))
            else:
                number = int(value)
                if not least <= number <= most:
                    return None
                parsed[name] = number
        return parsed

    def __call__(self, query_string: bytes) -> dict[str, Any]:
        """As `parse_query(rules, query_string)`: the parsed query, or `ParameterError`."""
        parsed = self.fast(query_string)
        return parse_query(self._rules, query_string) if parsed is None else parsed
