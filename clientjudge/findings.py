"""A finding (one rule broken, with its fix) and a verdict (all findings over some traffic)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.evidence import Evidence, verdict_word

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
    # Where the fix is explained: a section of the client developers' page.
    see: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "see": self.see,
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

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.requests, 1, "requests", "no request to the operation was seen")

    @property
    def word(self) -> str:
        """PASS, FAIL or INCONCLUSIVE by the project's one rule (C45): no request, no PASS."""
        return verdict_word(self.has_problems, self.evidence)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.word,
            "requests": self.requests,
            "findings": [finding.to_json() for finding in self.findings],
        }
