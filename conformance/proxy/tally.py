"""What a session found: the header and log line of each violation, the reports at exit.

The reports are the suite's own (`conformance/report.py`): the same summary and JUnit file, one
test case per check, so a CI job reads a proxy session as it reads a suite run. A check that
saw nothing to judge is listed as not run, never as passed, and a session that judged fewer
exchanges than `--min-exchanges` (1) is INCONCLUSIVE, saying why (`conformance/evidence.py`, C45).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import artifacts
from conformance.coverage import Scope
from conformance.coverage import summary_lines as coverage_lines
from conformance.evidence import Evidence
from conformance.exchange import Exchange
from conformance.failures import Failure
from conformance.proxy.checks import NOT_RUN_HINTS, PROXY_CHECKS
from conformance.proxy.clients import ClientTraffic
from conformance.proxy.recorded import Recorded, as_sent
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
    # Every request the proxy got; of those, exchanges of the operation (judged or too large
    # to judge), requests off the operation's path, and those the upstream never answered.
    requests: int = 0
    exchanges: int = 0
    unjudged: int = 0
    off_path: int = 0
    upstream_failed: Counter[int] = field(default_factory=Counter)
    upstream_reason: str = ""
    min_exchanges: int = 1
    judged: set[str] = field(default_factory=set)
    found: Counter[str] = field(default_factory=Counter)
    kept: list[Failure] = field(default_factory=list)
    hiccups: int = 0
    # The growth the traffic recognised, read when the reports are written.
    growth: Callable[[], list[str]] = list
    # How the client used the API (clientjudge/), judged over the session at exit.
    clients: ClientTraffic | None = None
    # What report.html, coverage.json and exchanges.har are written from at exit.
    recorded: Recorded = field(default_factory=Recorded)

    def record(
        self, exchange: Exchange, judged: set[str], failures: list[Failure], hiccup: bool = False
    ) -> None:
        self.exchanges += 1
        self.judged |= judged
        self.recorded.add(exchange)
        if hiccup:
            self.hiccups += 1
            log.info("proxy: the documented 5000 (service hiccup): %s", exchange.curl)
        for failure in failures:
            self.found[failure.check] += 1
            if self.found[failure.check] <= MAX_FAILURES_PER_CHECK:
                self.kept.append(failure)
            message = _cut(" ".join(failure.message.split()), MESSAGE_IN_LOG)
            answered = f" | {_cut(failure.response, MESSAGE_IN_HEADER)}" if failure.response else ""
            log.warning(
                "proxy: violation %s: %s | reproduce: %s%s",
                failure.check,
                message,
                failure.curl,
                answered,
            )

    def failed_upstream(self, status: int, reason: str) -> None:
        """The proxy answered `status` itself: the upstream gave no usable answer."""
        self.upstream_failed[status] += 1
        self.upstream_reason = self.upstream_reason or reason

    @property
    def violations(self) -> int:
        return sum(self.found.values())

    def evidence(self) -> Evidence:
        """Exchanges judged against the session's minimum, and why there were too few (C45)."""
        judged = self.exchanges - self.unjudged
        return Evidence(judged, self.min_exchanges, "exchanges", self._why(judged))

    def _why(self, judged: int) -> str:
        if self.requests == 0:
            return "no request reached the proxy"
        failed = sum(self.upstream_failed.values())
        statuses = " or ".join(str(status) for status in sorted(self.upstream_failed))
        if failed == self.requests:
            return (
                f"upstream unreachable: {failed} of {self.requests} requests answered {statuses} "
                f"({self.upstream_reason})"
            )
        parts = [f"{judged} of {self.requests} requests were exchanges of the operation judged"]
        if failed:
            parts.append(f"{failed} answered {statuses} (upstream: {self.upstream_reason})")
        if self.unjudged:
            parts.append(f"{self.unjudged} answers too large to judge")
        if self.off_path:
            parts.append(f"{self.off_path} off the operation's path")
        return "; ".join(parts)

    def verdict(self) -> Verdict:
        not_run = {
            check: f"not exercised: {NOT_RUN_HINTS.get(check, 'no exchange gave it a case')}"
            for check in PROXY_CHECKS
            if check not in self.judged and check not in self.found
        }
        notes = []
        if self.hiccups:
            answers = "1 answer was" if self.hiccups == 1 else f"{self.hiccups} answers were"
            notes.append(
                f"{answers} the documented 5000 (service hiccup), not counted as violations: "
                "a client should retry them"
            )
        grown = self.growth()
        notes += [
            f"{grew} (append-only growth, not a violation)" for grew in grown[:MAX_GROWTH_NOTES]
        ]
        if len(grown) > MAX_GROWTH_NOTES:
            notes.append(f"... and {len(grown) - MAX_GROWTH_NOTES} more requests grew")
        kept = self.recorded.note()
        if kept:
            notes.append(kept)
        return Verdict(
            self.upstream,
            PROXY_CHECKS,
            list(self.kept),
            not_run,
            time.monotonic() - self.started,
            notes=notes,
            evidence=self.evidence(),
        )

    def summary(self, verdict: Verdict) -> str:
        by_check = ", ".join(f"{check} {n}" for check, n in self.found.most_common())
        lines = [
            summary(verdict).replace("Conformance of", "Conformance (proxy session) of", 1),
            f"Exchanges judged: {self.exchanges - self.unjudged} of {self.exchanges} "
            f"({self.requests} requests); "
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

    def write_pages(
        self, report_dir: Path, verdict: Verdict, client: Mapping[str, Any] | None = None
    ) -> list[str]:
        """report.html, coverage.json and exchanges.har over the session (C59), after `write`;
        the coverage's summary lines, which end summary.txt too. `client` is a client verdict
        where one exists (a plain dict), shown in report.html as given; by default the one the
        session's client traffic gives (`clients`), if it saw any."""
        if client is None and self.clients is not None and self.clients.seen:
            client = self.clients.verdict().to_json()
        rows = artifacts.write(
            report_dir,
            verdict,
            {PHASE: self.recorded.exchanges},
            Scope(observed=True),
            title="Conformance report (proxy session)",
            client=client,
            as_sent=as_sent,
        )
        lines = coverage_lines(rows)
        with (report_dir / SUMMARY_NAME).open("a", encoding="utf-8") as summary_file:
            summary_file.write("\n".join(lines) + "\n")
        return lines
