"""The options of a proxy session: one frozen object, built once by the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_REPORT_DIR = Path("reports") / "proxy"


@dataclass(frozen=True)
class ProxyOptions:
    """Everything a session depends on; defaults live here and nowhere else."""

    upstream: str
    host: str = "127.0.0.1"
    port: int = 8081
    http_200_errors: bool = False
    # IANA zone the upstream writes `date` and `createdTime` in (D15).
    timezone: str = "UTC"
    # Answer 422 to an invalid request instead of forwarding it, as Prism's `--errors` does.
    errors: bool = False
    fail_on_violation: bool = False
    report_dir: Path = DEFAULT_REPORT_DIR
    upstream_timeout: float = 30.0
    # Bounds of the state kept across exchanges: ID sets whose count is remembered, and records
    # of the pages remembered (each record costs its id and an 8-byte digest).
    max_id_sets: int = 10_000
    max_page_records: int = 200_000
    # Requests whose summaries (no body) the client rules judge at exit: the newest ones.
    max_client_exchanges: int = 10_000
    # A response larger than this is streamed through unjudged: judging needs it whole.
    max_judged_bytes: int = 16 * 1024 * 1024
    # Length bound of the X-Contract-Violations header value.
    header_limit: int = 512
