"""The decision each check comes from, so a failure names the rule it enforces.

`docs/conformance.md`'s table maps each D-number to the checks that cover it; this is the same
table read the other way, kept in code because an installed suite carries no docs (D40).
`tests/test_provenance.py` fails when the two disagree. A check no D-number covers names the
suite decision (C-number) or the contract's schema that it comes from.
"""

from __future__ import annotations

SOURCES: dict[str, tuple[str, ...]] = {
    "not_a_server_error": ("C2",),
    "status_code_conformance": ("D13",),
    "content_type_conformance": ("C2",),
    "response_schema_conformance": ("D1", "D4", "D14", "D20", "D30"),
    "negative_data_rejection": ("D10",),
    "positive_data_acceptance": ("C2",),
    "envelope_success_matches_code": ("D14",),
    "envelope_data_null_on_error": ("D14",),
    "envelope_request_id": ("openapi.yaml RequestId",),
    "envelope_date": ("D15",),
    "envelope_http_status": ("D13",),
    "known_id_schema": ("D1", "D4", "D20"),
    "pagination_no_overlap": ("D16",),
    "pagination_complete": ("D16",),
    "count_stable": ("D11",),
    "past_last_page_empty": ("D11",),
    "limit_capped": ("D5", "D58"),
    "ordering": ("D16",),
    "determinism": ("C18",),
    "instance_info_sum": ("D3",),
    "enum_membership": ("D17", "D21", "D30"),
    "multiple_ids": ("D7",),
    "multiple_ids_ordering": ("D7", "D16", "D58"),
    "duplicate_ids_once": ("D7",),
    "repeated_offset_limit_rejected": ("D24", "D58"),
    "invalid_offset_limit_rejected": ("D4", "D10", "D56"),
    "too_many_ids_rejected": ("D9",),
    "id_characters_rejected": ("D22",),
    "bad_encoding_rejected": ("D25",),
    "unknown_parameters_ignored": ("D23", "D57"),
    "clock_and_zone": ("D15",),
    "id_byte_length": ("D8", "D58"),
    "unknown_id_53003": ("D12",),
    "other_methods_refused": ("D27",),
    # The proxy's own check (docs/conformance.md, C30).
    "client_request_valid": ("C30",),
}


def sources(check: str) -> str:
    """`D7, D16` for a check; the suite's own errors (a phase that did not run) name C1."""
    return ", ".join(SOURCES.get(check, ("C1",)))
