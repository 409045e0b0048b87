"""No PASS without evidence: the one rule every verdict of the project applies (decision C45).

A run that judged nothing, or less than its stated minimum, has not shown that a server
conforms: its verdict is INCONCLUSIVE, never PASS, and it says what it could not judge and why
("upstream unreachable: 33 of 33 requests answered 502"). A failure is evidence too: a run that
found one is a FAIL however little it judged. The conformance run, the validating proxy and the
client verdict all decide their verdict word here, so they cannot disagree about the rule.

Pure: no I/O, nothing but numbers and words in, a word and a sentence out.
"""

from __future__ import annotations

from dataclasses import dataclass

PASS = "PASS"
FAIL = "FAIL"
INCONCLUSIVE = "INCONCLUSIVE"

# Exit statuses shared by the tools: 1 does not conform, 2 could not judge.
EXIT_PASS, EXIT_FAIL, EXIT_INCONCLUSIVE = 0, 1, 2


@dataclass(frozen=True)
class Evidence:
    """How much a run judged (`judged` of `unit`), the least it needs, and why it got less.

    `why` is read only when the run fell short: the cause as the user can act on it, e.g.
    "upstream unreachable: 33 of 33 requests answered 502".
    """

    judged: int
    minimum: int = 1
    unit: str = "responses"
    why: str = ""

    def __post_init__(self) -> None:
        if self.minimum < 1:
            # A minimum of 0 would let a run that judged nothing pass: the rule forbids it.
            raise ValueError(f"the minimum of evidence must be at least 1, not {self.minimum}")

    @property
    def enough(self) -> bool:
        return self.judged >= self.minimum

    def shortfall(self) -> str | None:
        """None when the run judged enough; else what it judged, what it needed, and why."""
        if self.enough:
            return None
        needed = f"judged {self.judged} {self.unit}, at least {self.minimum} needed"
        return f"{needed}: {self.why}" if self.why else needed


def verdict_word(failed: bool, evidence: Evidence) -> str:
    """FAIL when anything failed; otherwise PASS only with enough evidence, else INCONCLUSIVE."""
    if failed:
        return FAIL
    return PASS if evidence.enough else INCONCLUSIVE


def exit_status(word: str) -> int:
    return {PASS: EXIT_PASS, FAIL: EXIT_FAIL}.get(word, EXIT_INCONCLUSIVE)
