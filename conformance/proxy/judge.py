"""One exchange against the contract: request, status, content type, schema, envelope, outcome,
and what a single page shows about paging.

Pure functions of (exchange, request, style): no state, so the same judgement serves a proxy's
exchanges and, once joined with the suite's registry, the suite's own. The names are the suite's
where the rule is the same one (`conformance/config.py`), so a proxy finding and a suite failure
of one rule carry one name (decision C30).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import Any, TypeGuard

import jsonschema_rs

from conformance.envelope import HTTP_STATUS_OF_CODE, RULES, SUCCESS, is_envelope
from conformance.proxy.exchange import ProxyExchange
from conformance.proxy.request import ID_PARAMETER, Request
from conformance.semantic import ENUMS, INVALID_PARAMETER, LIMIT_CAP
from contract import operation, schema

SERVICE_HICCUP = 5000
# An ID longer than this that answers 4005 points at a byte/character confusion (D8).
LONG_ID_BYTES = 200
# Signature outcomes may come before parameter validation on a real server.
AUTH_CODES = frozenset({401, 402, 403})
DOCUMENTED_METHODS = frozenset({"GET", "HEAD"})
JSON = "application/json"


@dataclass
class Judgement:
    """Which checks had something to judge, and each rule broken: (check, message)."""

    judged: set[str] = field(default_factory=set)
    violations: list[tuple[str, str]] = field(default_factory=list)

    def add(self, check: str, message: str | None) -> None:
        self.judged.add(check)
        if message:
            self.violations.append((check, message))


def json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes a "null" type, which
    jsonschema-rs would otherwise ignore (and refuse every error envelope's `data: null`)."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        if "enum" in converted and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
    return converted


@cache
def _responses() -> Mapping[int, tuple[frozenset[str], jsonschema_rs.Validator]]:
    """Documented status -> its content types and a validator of its body."""
    documented = {}
    for status, response in operation()["responses"].items():
        content = response.get("content", {})
        body_schema = json_schema(content.get(JSON, {}).get("schema", {}))
        documented[int(status)] = (frozenset(content), jsonschema_rs.validator_for(body_schema))
    return documented


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def judged_status(exchange: ProxyExchange, http_200: bool) -> int:
    """The status the contract's mapping gives the answer: in the HTTP-200 style, the body's
    code says the outcome (as decision C3 does for the suite)."""
    if http_200 and exchange.status == 200 and _is_int(exchange.code):
        return HTTP_STATUS_OF_CODE.get(exchange.code, 200)
    return exchange.status


def judge_other_method(exchange: ProxyExchange, verdict: Judgement) -> None:
    """The contract documents GET only: another method must not be served; a 405 says Allow."""
    verdict.add(
        "unsupported_method",
        f"{exchange.method} answered HTTP {exchange.status}; the contract documents only GET"
        if 200 <= exchange.status < 300
        else None,
    )
    if exchange.status == 405:
        allowed = {m.strip().upper() for m in (exchange.allow or "").split(",") if m.strip()}
        problem = None
        if "GET" not in allowed or not allowed <= DOCUMENTED_METHODS:
            problem = f"405 to {exchange.method} with Allow {exchange.allow!r}; expected GET"
        verdict.add("allow_header_conformance", problem)


def judge_response(exchange: ProxyExchange, http_200: bool, verdict: Judgement) -> None:
    """Status, content type, schema and the envelope rules of a GET's answer."""
    status = judged_status(exchange, http_200)
    documented = _responses()
    hiccup = is_envelope(exchange.body) and exchange.code == SERVICE_HICCUP
    if exchange.status >= 500:
        verdict.add(
            "not_a_server_error",
            None
            if hiccup and exchange.status == 500
            else f"HTTP {exchange.status} that is not the contract's 5000 envelope",
        )
        if not hiccup:
            return
    verdict.add(
        "status_code_conformance",
        None
        if status in documented
        else f"HTTP {status} is not a status the contract documents ({sorted(documented)})",
    )
    if status not in documented:
        return
    types, validator = documented[status]
    media_type = (exchange.content_type or "").split(";")[0].strip().lower()
    verdict.add(
        "content_type_conformance",
        None
        if media_type in types
        else f"content type {exchange.content_type!r} with HTTP {status}; expected {sorted(types)}",
    )
    if exchange.body is None:
        verdict.add("response_schema_conformance", f"HTTP {status}: the body is not JSON")
        return
    error = next(iter(validator.iter_errors(exchange.body)), None)
    where = "/".join(str(part) for part in error.instance_path) if error else ""
    verdict.add(
        "response_schema_conformance",
        f"HTTP {status}: body does not match the contract at /{where}: {error.message}"
        if error
        else None,
    )
    if is_envelope(exchange.body):
        for name, rule in RULES.items():
            verdict.add(name, rule(exchange.status, exchange.body, http_200))


def judge_outcome(exchange: ProxyExchange, request: Request, verdict: Judgement) -> None:
    """The request's validity against the business code it got."""
    code = exchange.code
    problem = request.problem
    if problem is not None:
        verdict.add("client_request_valid", f"the contract refuses this request: {problem}")
    if exchange.forced or not _is_int(code) or code in AUTH_CODES:
        return
    if problem is not None:
        if code == SERVICE_HICCUP:
            verdict.add("not_a_server_error", f"an invalid request answered 5000 ({problem})")
        elif code != INVALID_PARAMETER:
            name = "negative_data_rejection"
            if problem.parameter == ID_PARAMETER and "bytes" in str(problem):
                name = "id_byte_length"
            verdict.add(name, f"code {code} to a request the contract refuses ({problem})")
        else:
            verdict.add("negative_data_rejection", None)
        return
    if code != INVALID_PARAMETER:
        verdict.judged.add("positive_data_acceptance")
        return
    longest = max(request.ids, key=lambda item: len(item.encode()), default="")
    if request.limit > LIMIT_CAP:
        verdict.add(
            "limit_capped",
            f"limit {request.limit} answered 4005; above 1000 it is served as 1000, not rejected",
        )
    elif len(longest.encode()) > LONG_ID_BYTES:
        size = len(longest.encode())
        verdict.add(
            "id_byte_length",
            f"an ID of {size} bytes ({len(longest)} characters) answered 4005; the limit is "
            "255 bytes",
        )
    else:
        verdict.add("positive_data_acceptance", "a request the contract accepts answered 4005")


def judge_page(exchange: ProxyExchange, request: Request, verdict: Judgement) -> None:
    """What one 2000 page shows alone: its size against count, offset and limit; its order."""
    records, count = exchange.records, exchange.count
    if exchange.code != SUCCESS or records is None or count is None or request.problem:
        return
    ids = list(request.ids)
    limit = min(request.limit, LIMIT_CAP)
    start = (request.offset - 1) * limit
    size = len(records)
    if size > limit:
        name = "limit_capped" if request.limit > LIMIT_CAP else "pagination_complete"
        verdict.add(name, f"{ids}: limit {request.limit} answered {size} records; at most {limit}")
    elif start >= count:
        verdict.add(
            "past_last_page_empty",
            f"{ids}: page {request.offset} of limit {limit} is past the last (count {count}) "
            f"but holds {size} records"
            if size
            else None,
        )
    else:
        expected = min(limit, count - start)
        verdict.add(
            "pagination_complete",
            f"{ids}: page {request.offset} of limit {limit} holds {size} records; count "
            f"{count} means {expected}"
            if size != expected
            else None,
        )
    if request.limit > LIMIT_CAP and size <= limit:
        verdict.judged.add("limit_capped")
    record_ids = exchange.record_ids
    if len(record_ids) > 1 and all(_is_int(i) for i in record_ids):
        verdict.add(
            "ordering",
            f"{ids}: page {request.offset} is not in ascending id order: {record_ids[:10]}"
            if any(a >= b for a, b in pairwise(record_ids))
            else None,
        )
    judge_records(records, verdict)


def instance_info_problem(record: Mapping[str, Any]) -> str | None:
    """`instanceInfo` values sum to modifyInstanceNum + modifyAttributesNum ({} when 0)."""
    info = record.get("instanceInfo")
    instances, attributes = record.get("modifyInstanceNum"), record.get("modifyAttributesNum")
    if not isinstance(info, Mapping) or not _is_int(instances) or not _is_int(attributes):
        return None  # a shape error: the schema check reports it
    values = list(info.values())
    if not all(_is_int(value) and value >= 0 for value in values):
        return f"instanceInfo values {values} are not all non-negative integers"
    if sum(values) != instances + attributes:
        return (
            f"instanceInfo sums to {sum(values)}; modifyInstanceNum + modifyAttributesNum "
            f"is {instances + attributes}"
        )
    return None


@cache
def _enums() -> Mapping[str, frozenset[Any]]:
    return {name: frozenset(schema(component)["enum"]) for name, component in ENUMS.items()}


def enum_problem(record: Mapping[str, Any]) -> str | None:
    """`status`, `poolType` and `actionType` hold values of the contract's enums."""
    for name, values in _enums().items():
        if record.get(name) not in values:
            return f"{name} {record.get(name)!r} is not one of {sorted(values)}"
    return None


def judge_records(records: list[Mapping[str, Any]], verdict: Judgement) -> None:
    """Per-record rules; one violation per rule and page, naming the first record and the rest."""
    for name, rule in (
        ("instance_info_sum", instance_info_problem),
        ("enum_membership", enum_problem),
    ):
        found = [(record.get("id"), problem) for record in records if (problem := rule(record))]
        message = None
        if found:
            more = f" (and {len(found) - 1} more records)" if len(found) > 1 else ""
            message = f"record {found[0][0]!r}: {found[0][1]}{more}"
        verdict.add(name, message)


def judge(exchange: ProxyExchange, request: Request | None, http_200: bool) -> Judgement:
    """Every single-exchange rule that applies; `request` is None for other methods."""
    verdict = Judgement()
    if exchange.method.upper() not in DOCUMENTED_METHODS:
        judge_other_method(exchange, verdict)
        return verdict
    if exchange.method.upper() == "HEAD" or request is None:
        return verdict
    judge_response(exchange, http_200, verdict)
    judge_outcome(exchange, request, verdict)
    judge_page(exchange, request, verdict)
    return verdict
