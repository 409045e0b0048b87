"""One registry of client rules, keyed by name: what each detects, how bad, and the fix.

A rule is declared where it is written: `@rule(name, severity, fix)` on a pure function from
the exchanges (in arrival order, numbered) to its offences. Its docstring's first line names
the mistake; `judge` (`verdict.py`) turns offences into one `Finding` per rule, so no rule
formats messages of its own beyond the detail of a case (such as the clock skew seen).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clientjudge.findings import SEVERITIES
from conformance.exchange import Exchange


@dataclass(frozen=True)
class Offence:
    """One case of a rule broken: the requests involved (the first is quoted) and a detail."""

    requests: tuple[Exchange, ...]
    detail: str = ""


RuleFunction = Callable[[Sequence[Exchange]], list[Offence]]


# The client developers' page: each rule's fix points at the section that explains it (D45).
GUIDE = "docs/client-developers.md"
GUIDE_SECTIONS = (
    "offset-is-a-page-number",
    "the-1000-cap-and-the-last-page",
    "retries",
    "signing",
    "unknown-enum-values",
)


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    mistake: str
    fix: str
    function: RuleFunction
    # The section of GUIDE that explains the rule, e.g. "retries".
    section: str

    @property
    def see(self) -> str:
        return f"{GUIDE}#{self.section}"


RULES: dict[str, Rule] = {}


def rule(
    name: str, severity: str, fix: str, *, section: str
) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule under `name` (part of the interface: findings carry it); `section` is
    the anchor of the client developers' page that explains the fix."""
    if severity not in SEVERITIES:
        raise ValueError(f"rule {name}: severity {severity!r} is not one of {SEVERITIES}")
    if section not in GUIDE_SECTIONS:
        raise ValueError(f"rule {name}: section {section!r} is not one of {GUIDE_SECTIONS}")

    def register(function: RuleFunction) -> RuleFunction:
        if name in RULES:
            raise ValueError(f"rule {name} is registered twice")
        mistake = (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else ""
        if not mistake:
            raise ValueError(f"rule {name}: its docstring's first line names the mistake")
        RULES[name] = Rule(name, severity, mistake.rstrip("."), fix, function, section)
        return function

    return register
