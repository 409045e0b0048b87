"""The checks a proxy session judges, and which of them one exchange exercises.

They are the suite's (the registry, `conformance/catalog.py`) where live traffic can show them,
under the same names, plus `client_request_valid`, a client's request the contract refuses.
Left out: `known_id_schema` (every 2000 page is judged by `response_schema_conformance`) and
`unknown_id_53003` (a proxy is not told which IDs a server does not know). Decision C30.

A check counts as run only once an exchange exercised it: a session whose client never sent a
limit above 1000 says `limit_capped` was not run, never that it passed.
"""

from __future__ import annotations

from collections.abc import Mapping

from conformance.catalog import ALL_CHECKS
from conformance.exchange import ID_PARAMETER, LIMIT_CAP, Exchange
from conformance.per_exchange import MAX_ID_BYTES
from conformance.proxy.observed import OBSERVED, unknown_names
from conformance.proxy.request import Request
from conformance.registry import REGISTRY, first_paragraph

NOT_JUDGED = frozenset({"known_id_schema", "unknown_id_53003"})
PROXY_CHECKS = (
    "client_request_valid",
    *(name for name in ALL_CHECKS if name not in NOT_JUDGED),
)
PROXY_DESCRIPTIONS: Mapping[str, str] = {
    **{name: REGISTRY[name].description for name in PROXY_CHECKS if name in REGISTRY},
    "client_request_valid": first_paragraph(OBSERVED["client_request_valid"].__doc__),
}
ON_EVERY_ANSWER = (
    "client_request_valid",
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "envelope_success_matches_code",
    "envelope_data_null_on_error",
    "envelope_request_id",
    "envelope_date",
    "envelope_http_status",
    "clock_and_zone",
)
# What the contract's parameter rules say of a refused request -> the check of that refusal.
REASONS = {
    "accepts at most": "too_many_ids_rejected",
    "control characters": "id_characters_rejected",
    "percent-encoding": "bad_encoding_rejected",
    "not valid UTF-8": "bad_encoding_rejected",
}
ON_EVERY_PAGE = ("ordering", "instance_info_sum", "enum_membership", "pagination_complete")


def exercised(exchange: Exchange, request: Request | None) -> set[str]:
    """The per-exchange checks this exchange gave something to judge."""
    if request is None:
        return {"other_methods_refused"} if exchange.method not in {"GET", "HEAD"} else set()
    names = set(ON_EVERY_ANSWER)
    names.add("positive_data_acceptance" if request.problem is None else "negative_data_rejection")
    raw = [part for value in exchange.values(ID_PARAMETER) for part in value.split(",")]
    if any(len(item.encode()) >= MAX_ID_BYTES for item in raw):
        names.add("id_byte_length")
    if any(len(exchange.values(name)) > 1 for name in ("offset", "limit")):
        names.add("repeated_offset_limit_rejected")
    reason = str(request.problem or "")
    offset_or_limit = request.problem is not None and request.problem.parameter in {
        "offset",
        "limit",
    }
    if offset_or_limit and "at most once" not in reason:
        names.add("invalid_offset_limit_rejected")
    for needle, name in REASONS.items():
        if needle in reason:
            names.add(name)
    if unknown_names(exchange):
        names.add("unknown_parameters_ignored")
    if request.problem is None and request.limit > LIMIT_CAP:
        names.add("limit_capped")
    if exchange.is_page:
        names.update(ON_EVERY_PAGE)
        count, served = exchange.count or 0, exchange.served_limit or 1
        if (request.offset - 1) * served >= count:
            names.add("past_last_page_empty")
    return names


# What a client's traffic must hold for a check to be exercised, said in the summary's SKIP line.
NOT_RUN_HINTS: Mapping[str, str] = {
    "negative_data_rejection": "no request the contract refuses was seen",
    "positive_data_acceptance": "no request the contract accepts was seen",
    "pagination_no_overlap": "no two consecutive pages of one request were seen",
    "pagination_complete": "no page of a request was seen",
    "count_stable": "no request was seen twice (any page)",
    "past_last_page_empty": "no page past the last was asked",
    "limit_capped": "no limit above 1000 was sent",
    "ordering": "no page of several records was seen",
    "determinism": "no page was asked twice",
    "multiple_ids": "no request of several IDs whose IDs were also asked alone",
    "multiple_ids_ordering": "no two consecutive pages of a request of several IDs",
    "duplicate_ids_once": "no request naming an ID twice, after the same request without",
    "repeated_offset_limit_rejected": "no request repeating offset or limit",
    "invalid_offset_limit_rejected": "no offset or limit outside 1..2147483647 was sent",
    "too_many_ids_rejected": "no request of more than 100 IDs",
    "id_characters_rejected": "no ID with a control character",
    "bad_encoding_rejected": "no query that is not valid percent-encoded UTF-8",
    "unknown_parameters_ignored": "no parameter the contract does not name",
    "clock_and_zone": "no answer to a GET on the operation",
    "id_byte_length": "no ID of 255 bytes or more",
    "other_methods_refused": "no method other than GET or HEAD on the operation",
}
