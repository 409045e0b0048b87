"""What a session found: the header and log line of each violation, the reports at exit.

The reports are the suite's own (`conformance/report.py`): the same summary and JUnit file, one
test case per check, so a CI job reads a proxy session as it reads a suite run. A check that
saw nothing to judge is listed as not run, never as passed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from conformance.failures import Failure
from conformance.proxy.checks import PROXY_CHECKS
from conformance.proxy.exchange import ProxyExchange
from conformance.report import Verdict, summary, write_junit
from conformance.semantic import MAX_FAILURES_PER_CHECK

PHASE = "proxy"
HEADER = "X-Contract-Violations"
JUNIT_NAME = "junit.xml"
SUMMARY_NAME = "summary.txt"
log = logging.getLogger("conformance.proxy")


def header_value(violations: list[tuple[str, str]], limit: int) -> str:
    """`check: message; check: message`, ASCII, cut to `limit` characters with a count of the
    rest: a header must stay short, the log line has the whole story."""
    parts = [f"{check}: {message}" for check, message in violations]
    text = "; ".join(parts)
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    text = "".join(c if " " <= c <= "~" else " " for c in text)
    if len(text) <= limit:
        return text
    suffix = f" ... ({len(violations)} violations, see the proxy's log)"
    return text[: max(0, limit - len(suffix))] + suffix


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
    growing: int = 0

    def record(
        self, exchange: ProxyExchange, judged: set[str], violations: list[tuple[str, str]]
    ) -> None:
        self.exchanges += 1
        self.judged |= judged
        for check, message in violations:
            self.found[check] += 1
            curl = exchange.curl
            if self.found[check] <= MAX_FAILURES_PER_CHECK:
                self.kept.append(Failure(check, message, curl, PHASE))
            log.warning("proxy: violation %s: %s | reproduce: %s", check, message, curl)

    @property
    def violations(self) -> int:
        return sum(self.found.values())

    def verdict(self) -> Verdict:
        not_run = {
            check: "no exchange in this session gave it anything to judge"
            for check in PROXY_CHECKS
            if check not in self.judged and check not in self.found
        }
        return Verdict(
            self.upstream, PROXY_CHECKS, list(self.kept), not_run, time.monotonic() - self.started
        )

    def summary(self, verdict: Verdict) -> str:
        by_check = ", ".join(f"{check} {n}" for check, n in self.found.most_common())
        lines = [
            summary(verdict).replace("Conformance of", "Conformance (proxy session) of", 1),
            f"Exchanges judged: {self.exchanges - self.unjudged} of {self.exchanges}; "
            f"violations: {self.violations}" + (f" ({by_check})" if by_check else ""),
        ]
        if self.growing:
            lines.append(f"Data seen growing append-only (not a violation): {self.growing} ID sets")
        return "\n".join(lines)

    def write(self, report_dir: Path) -> tuple[Verdict, str]:
        verdict = self.verdict()
        text = self.summary(verdict)
        report_dir.mkdir(parents=True, exist_ok=True)
        write_junit(verdict, report_dir / JUNIT_NAME)
        (report_dir / SUMMARY_NAME).write_text(text + "\n", encoding="utf-8")
        return verdict, text
