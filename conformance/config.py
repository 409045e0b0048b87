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
