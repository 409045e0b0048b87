"""A finding (one rule broken, with its fix) and a verdict (all findings over some traffic)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class Finding:
    """A rule the client broke: what it did (quoting requests), and the fix in one line."""

    rule: str
    severity: str
    message: str
    # Sequence numbers of the offending requests, oldest first.
    requests: tuple[int, ...]
    fix: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "requests": list(self.requests),
        }


@dataclass(frozen=True)
class Verdict:
    """How many requests were judged and what was found, in the registry's order."""

    requests: int
    findings: tuple[Finding, ...] = ()

    @property
    def has_problems(self) -> bool:
        """Any error or warning: a client with only `info` findings used the API correctly."""
        return any(finding.severity in {ERROR, WARNING} for finding in self.findings)

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity in {ERROR, WARNING})

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "findings": [finding.to_json() for finding in self.findings],
        }
