"""A verdict on a client: every rule run over its exchanges, one finding per rule broken.

`judge` is the one entry point the mock's journal, the validating proxy and `client-verdict`
call; `render_text` and `render_html` are how people read the result.
"""

from __future__ import annotations

from collections.abc import Sequence

from clientjudge.catalog import ALL_RULES
from clientjudge.exchanges import ordered, quote
from clientjudge.findings import ERROR, INFO, SEVERITIES, WARNING, Finding, Verdict
from clientjudge.registry import RULES, Offence, Rule
from clientjudge.render import render_html, render_text
from conformance.exchange import Exchange

__all__ = [
    "ERROR",
    "INFO",
    "SEVERITIES",
    "WARNING",
    "Finding",
    "Verdict",
    "judge",
    "judge_each",
    "render_html",
    "render_text",
]

# How many offending requests a message quotes; every one is in `requests`.
QUOTED = 3


def finding(rule: Rule, offences: list[Offence]) -> Finding:
    """One finding for all cases of a rule: the mistake, how often, the first cases quoted."""
    seqs = sorted({e.seq for offence in offences for e in offence.requests if e.seq is not None})
    quoted = "; ".join(
        quote(offence.requests[0]) + (f" ({offence.detail})" if offence.detail else "")
        for offence in offences[:QUOTED]
    )
    more = f" and {len(offences) - QUOTED} more" if len(offences) > QUOTED else ""
    cases = "1 case" if len(offences) == 1 else f"{len(offences)} cases"
    return Finding(
        rule=rule.name,
        severity=rule.severity,
        message=f"{rule.mistake} ({cases}): {quoted}{more}",
        requests=tuple(seqs),
        fix=rule.fix,
        see=rule.see,
    )


def judge(exchanges: Sequence[Exchange]) -> Verdict:
    """Every rule over the exchanges in arrival order (numbered if the recorder did not)."""
    return judge_each([exchanges])


def judge_each(clients: Sequence[Sequence[Exchange]]) -> Verdict:
    """Every rule over each client's exchanges on their own, one finding per rule for the cases
    of all of them: the sessions of one mock are different clients (D70), and a rule judged
    over two of them at once would see one client's page follow another's."""
    in_order = [ordered(exchanges) for exchanges in clients]
    findings = []
    for name in ALL_RULES:
        rule = RULES[name]
        offences = [offence for exchanges in in_order for offence in rule.function(exchanges)]
        if offences:
            # In arrival order across the clients, as one client's would be.
            offences.sort(key=lambda offence: offence.requests[0].seq or 0)
            findings.append(finding(rule, offences))
    return Verdict(requests=sum(map(len, in_order)), findings=tuple(findings))
