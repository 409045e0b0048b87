"""The mock's configuration: one frozen object, built once from the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contract import DEFAULT_FIXTURES

__all__ = ["DEFAULT_FIXTURES", "Settings"]


# "auto": the compiled loop where it is built; "python": Python's (to compare them, or to rule
# the compiled one out); "compiled": the compiled one or no start (a benchmark that must not
# measure the fallback).
WRITER_CHOICES = ("auto", "python", "compiled")


@dataclass(frozen=True)
class Settings:
    """Everything the server's behaviour depends on; passed down, never read from globals."""

    host: str = "127.0.0.1"
    port: int = 8080
    seed: int = 1
    fixtures: Path | None = DEFAULT_FIXTURES
    fixtures_only: bool = False
    http_200_errors: bool = False
    fault_rate: float = 0.0
    latency_ms: int = 0
    workers: int = 1
    # Access key -> secret key. Empty: signatures are not verified.
    signature_keys: Mapping[str, str] = field(default_factory=dict)
    signature_skew_seconds: int = 300
    swagger_ui: bool = True
    log_level: str = "info"
    # Seconds a request head (request line and headers) may take to arrive (decision D29).
    head_timeout: float = 10.0
    # uvicorn's access log costs a good share of a small request's time (docs/performance.md).
    access_log: bool = True
    # IANA name of the zone of `date` and `createdTime` (decision D15).
    timezone: str = "UTC"
    # Origins allowed to call from a browser (decision D34); empty: no CORS headers at all.
    cors_origins: tuple[str, ...] = ("*",)
    # Client drills (`mockserver/drill.py`, decision D33); empty: records as the contract says.
    drills: tuple[str, ...] = ()
    # The request journal (D47): on by default, the newest `journal_size` requests kept (D49).
    journal: bool = True
    journal_size: int = 10_000
    # Networks (CIDR) besides loopback whose clients the admin API answers (D48).
    admin_from: tuple[str, ...] = ()
    # Scenario files set at start-up (D67); none: nothing is provoked unless the admin API sets it.
    scenarios: tuple[Path, ...] = ()
    # Which loop writes generated records (D81, WRITER_CHOICES): the records are the same bytes
    # either way (`mockserver/record_json.py`).
    record_writer: str = "auto"
