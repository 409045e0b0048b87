"""The options of a conformance run: one frozen object, built once by the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Schemathesis's own checks that this contract gives something to check. Left out, because the
# contract makes them vacuous: missing_required_header (no required header), ignored_auth and
# response_headers_conformance (signing is optional, no response header is documented) and the
# stateful checks (one GET, no links).
SCHEMATHESIS_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "unsupported_method",
    "allow_header_conformance",
)
# Checked on every response, by Schemathesis (custom checks) and by the semantic phase.
ENVELOPE_CHECKS = (
    "envelope_success_matches_code",
    "envelope_data_null_on_error",
    "envelope_request_id",
    "envelope_date",
    "envelope_http_status",
)
# Checked with the suite's own requests, on IDs the user names as known or unknown.
SEMANTIC_CHECKS = (
    "known_id_schema",
    "pagination_no_overlap",
    "pagination_complete",
    "count_stable",
    "past_last_page_empty",
    "limit_capped",
    "ordering",
    "determinism",
    "instance_info_sum",
    "enum_membership",
    "multiple_ids",
    "id_byte_length",
    "unknown_id_53003",
)
ALL_CHECKS = SCHEMATHESIS_CHECKS + ENVELOPE_CHECKS + SEMANTIC_CHECKS
# One line each, for `--list-checks`.
DESCRIPTIONS = {
    "not_a_server_error": "no HTTP 5xx, whatever the request",
    "status_code_conformance": "every HTTP status is one the contract documents",
    "content_type_conformance": "every response is application/json where documented",
    "response_schema_conformance": "every body matches the contract's schema for its status",
    "negative_data_rejection": "invalid requests are rejected (4005)",
    "positive_data_acceptance": "valid requests are accepted",
    "unsupported_method": "other methods answer 405 with an Allow header",
    "allow_header_conformance": "the Allow header lists exactly the documented methods",
    "envelope_success_matches_code": "`success` is true exactly when `code` is 2000",
    "envelope_data_null_on_error": "`data` is null on errors, an object on 2000",
    "envelope_request_id": "`requestId` is 32 lowercase hex digits",
    "envelope_date": "`date` is a real YYYY-MM-DD HH:mm:ss",
    "envelope_http_status": "the HTTP status is the code's (or 200, with --http-200-errors)",
    "known_id_schema": "a known ID answers 2000 with the success envelope and its records",
    "pagination_no_overlap": "no record is on two pages",
    "pagination_complete": "every page full but the last; the pages add up to `count`",
    "count_stable": "`count` is the same on every page",
    "past_last_page_empty": "past the last page: 2000, an empty list, the true count",
    "limit_capped": "a `limit` above 1000 is served as 1000, not rejected",
    "ordering": "records in ascending `id` order, within and across pages",
    "determinism": "the same request twice answers the same records",
    "instance_info_sum": "instanceInfo sums to modifyInstanceNum + modifyAttributesNum",
    "enum_membership": "status, poolType and actionType hold values of the contract's enums",
    "multiple_ids": "several IDs: counts add up; comma-separated answers as repeated",
    "id_byte_length": "an ID of 255 bytes of UTF-8 is accepted, 256 bytes answer 4005",
    "unknown_id_53003": "an unknown ID answers 53003, alone or with a known one",
}
PHASES = ("schemathesis", "semantic")
DEFAULT_REPORT_DIR = Path("reports") / "conformance"


@dataclass(frozen=True)
class Options:
    """Everything a run depends on; the runner and the phases read nothing else."""

    base_url: str
    known_ids: tuple[str, ...] = ()
    unknown_ids: tuple[str, ...] = ()
    excluded: frozenset[str] = frozenset()
    http_200_errors: bool = False
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    report_dir: Path = DEFAULT_REPORT_DIR
    max_examples: int = 20
    phases: tuple[str, ...] = PHASES
    timeout_seconds: float = 30.0

    def enabled(self, check: str) -> bool:
        return check not in self.excluded

    @property
    def signing(self) -> bool:
        return bool(self.access_key and self.secret_key)
