"""What a session found: the header and log line of each violation, the reports at exit.

The reports are the suite's own (`conformance/report.py`): the same summary and JUnit file, one
test case per check, so a CI job reads a proxy session as it reads a suite run. A check that
saw nothing to judge is listed as not run, never as passed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from conformance.exchange import Exchange
from conformance.failures import Failure
from conformance.proxy.checks import NOT_RUN_HINTS, PROXY_CHECKS
from conformance.proxy.clients import ClientTraffic
from conformance.report import Verdict, summary, write_junit

# As in the suite's reports: a broken rule repeats on every page; five reproductions suffice.
MAX_FAILURES_PER_CHECK = 5
MAX_GROWTH_NOTES = 5
MESSAGE_IN_HEADER = 120
MESSAGE_IN_LOG = 600

PHASE = "proxy"
HEADER = "X-Contract-Violations"
JUNIT_NAME = "junit.xml"
SUMMARY_NAME = "summary.txt"
log = logging.getLogger("conformance.proxy")


def _ascii(text: str) -> str:
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(c if " " <= c <= "~" else " " for c in text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def header_value(violations: list[Failure], limit: int) -> str:
    """`check: message; check: message`, ASCII, within `limit` characters (decision C35).

    Each message is cut short first, then messages are dropped for the check names alone: a
    header must stay short and name every check; the log line has the whole story."""
    parts = [f"{failure.check}: {_cut(_ascii(failure.message), MESSAGE_IN_HEADER)}"
             for failure in violations]  # fmt: skip
    text = "; ".join(parts)
    if len(text) <= limit:
        return text
    names = "; ".join(dict.fromkeys(failure.check for failure in violations))
    return _cut(f"{names} (details in the proxy's log)", limit)


@dataclass
class Tally:
    """Violations by check (the first few kept whole), checks judged, exchanges seen."""

    upstream: str
    started: float = field(default_factory=time.monotonic)
    exchanges: int = 0
    unjudged: int = 0
    judged: set[str] = field(default_factory=set)
    found: Counter[str] = field(default_factory=Counter)
    kept: list[Failure] = field(default_factory=list)
    hiccups: int = 0
    # The growth the traffic recognised, read when the reports are written.
    growth: Callable[[], list[str]] = list
    # How the client used the API (clientjudge/), judged over the session at exit.
    clients: ClientTraffic | None = None

    def record(
        self, exchange: Exchange, judged: set[str], failures: list[Failure], hiccup: bool = False
    ) -> None:
        self.exchanges += 1
        self.judged |= judged
        if hiccup:
            self.hiccups += 1
            log.info("proxy: the documented 5000 (service hiccup): %s", exchange.curl)
        for failure in failures:
            self.found[failure.check] += 1
            if self.found[failure.check] <= MAX_FAILURES_PER_CHECK:
                self.kept.append(failure)
            message = _cut(" ".join(failure.message.split()), MESSAGE_IN_LOG)
            log.warning(
                "proxy: violation %s: %s | reproduce: %s", failure.check, message, failure.curl
            )

    @property
    def violations(self) -> int:
        return sum(self.found.values())

    def verdict(self) -> Verdict:
        not_run = {
            check: f"not exercised: {NOT_RUN_HINTS.get(check, 'no exchange gave it a case')}"
            for check in PROXY_CHECKS
            if check not in self.judged and check not in self.found
        }
        notes = []
        if self.hiccups:
            notes.append(
                f"{self.hiccups} answers were the documented 5000 (service hiccup), not counted "
                "as violations: a client should retry them"
            )
        grown = self.growth()
        notes += [
            f"{grew} (append-only growth, not a violation)" for grew in grown[:MAX_GROWTH_NOTES]
        ]
        if len(grown) > MAX_GROWTH_NOTES:
            notes.append(f"... and {len(grown) - MAX_GROWTH_NOTES} more requests grew")
        return Verdict(
            self.upstream,
            PROXY_CHECKS,
            list(self.kept),
            not_run,
            time.monotonic() - self.started,
            notes=notes,
        )

    def summary(self, verdict: Verdict) -> str:
        by_check = ", ".join(f"{check} {n}" for check, n in self.found.most_common())
        lines = [
            summary(verdict).replace("Conformance of", "Conformance (proxy session) of", 1),
            f"Exchanges judged: {self.exchanges - self.unjudged} of {self.exchanges}; "
            f"violations: {self.violations}" + (f" ({by_check})" if by_check else ""),
        ]
        return "\n".join(lines)

    def write(self, report_dir: Path) -> tuple[Verdict, str]:
        verdict = self.verdict()
        text = self.summary(verdict)
        report_dir.mkdir(parents=True, exist_ok=True)
        if self.clients is not None and self.clients.seen:
            # The client's verdict follows the server's; it never changes the exit status.
            client_verdict = self.clients.verdict()
            text += "\n" + self.clients.text(client_verdict)
            self.clients.write(client_verdict, report_dir)
        write_junit(verdict, report_dir / JUNIT_NAME)
        (report_dir / SUMMARY_NAME).write_text(text + "\n", encoding="utf-8")
        return verdict, text
