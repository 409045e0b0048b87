"""The options of a conformance run: one frozen object, built once by the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    # IANA zone of `date` and `createdTime` on the server under test (D15).
    timezone: str = "UTC"
    # Any check not run fails the run (`--strict`, `STRICT=1 make conformance`).
    strict: bool = False

    def enabled(self, check: str) -> bool:
        return check not in self.excluded

    @classmethod
    def default(cls, name: str) -> Any:
        """The default of one option: the command line reads its defaults here, never twice."""
        return cls.__dataclass_fields__[name].default

    @property
    def signing(self) -> bool:
        return bool(self.access_key and self.secret_key)
