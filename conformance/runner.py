"""A conformance run: the preflight, the Schemathesis phase, the semantic phase, the reports."""

from __future__ import annotations

import time

from conformance import artifacts, schemathesis_phase, semantic, st_exchanges
from conformance.catalog import ALL_CHECKS, ENVELOPE_CHECKS, SCHEMATHESIS_CHECKS, SEMANTIC_CHECKS
from conformance.config import Options
from conformance.coverage import Scope
from conformance.coverage import summary_lines as coverage_lines
from conformance.exchange import Exchange
from conformance.failures import Failure
from conformance.preflight import preflight
from conformance.progress import SILENT, Progress, following
from conformance.report import EXCLUDED, Verdict, summary, write_junit

JUNIT_NAME = "junit.xml"
SUMMARY_NAME = "summary.txt"


def _status(check: str, failures: list[Failure], not_run: dict[str, str], judged: int) -> str:
    """How a check ended, for the progress line."""
    mine = [failure for failure in failures if failure.check == check]
    if mine:
        return f"failed ({len(mine)})"
    if check in not_run:
        return f"not run: {not_run[check]}"
    return f"passed (judged {judged} responses)"


def run(options: Options, progress: Progress = SILENT) -> Verdict:
    """Run the selected phases against `options.base_url` and write the reports.

    Raises `preflight.Unusable` (nothing listening, a wrong prefix, TLS, refused signatures)
    before any phase: then there is nothing to judge, and no report is written.
    """
    started = time.monotonic()
    preflight(options)
    options.report_dir.mkdir(parents=True, exist_ok=True)
    failures: list[Failure] = []
    not_run = {check: EXCLUDED for check in ALL_CHECKS if not options.enabled(check)}
    hiccups: list[str] = []
    notes: list[str] = []
    judged: dict[str, int] = {}
    exchanges: dict[str, list[Exchange]] = {}
    if "schemathesis" in options.phases:
        st_checks = [c for c in SCHEMATHESIS_CHECKS if options.enabled(c)]
        progress.phase("schemathesis", len(st_checks))
        events = options.report_dir.resolve() / "schemathesis" / "events.ndjson"
        with following(progress, events):
            phase = schemathesis_phase.run(options)
        exchanges["schemathesis"] = st_exchanges.read(events) + phase.retried
        (options.report_dir / "schemathesis.log").write_text(phase.log, encoding="utf-8")
        failures += phase.failures
        hiccups += phase.hiccups
        for name, count in phase.judged.items():
            judged[name] = judged.get(name, 0) + count
        for check in SCHEMATHESIS_CHECKS:
            if options.enabled(check) and not phase.judged.get(check):
                not_run.setdefault(check, "Schemathesis saw no response it could judge")
        for check in st_checks:
            status = _status(check, phase.failures, not_run, phase.judged.get(check, 0))
            progress.check_finished(check, status)
    else:
        for check in SCHEMATHESIS_CHECKS:
            not_run.setdefault(check, "phase not selected (--phase)")
    if "semantic" in options.phases:
        progress.phase("semantic", len([c for c in SEMANTIC_CHECKS if options.enabled(c)]))
        result = semantic.run(options, progress)
        exchanges["semantic"] = result.exchanges
        failures += result.failures
        not_run.update({name: str(reason) for name, reason in result.not_run.items()})
        hiccups += result.hiccups
        notes += [f"{found} (append-only growth: not a failure)" for found in result.growth]
        if result.service_hiccups:
            share = result.service_hiccups / result.answers
            notes.append(
                f"{result.service_hiccups} of the semantic phase's {result.answers} answers "
                f"(retries included) were the documented 5000: {share:.0%} (C46)"
            )
        for name, count in result.judged.items():
            judged[name] = judged.get(name, 0) + count
    else:
        for check in SEMANTIC_CHECKS:
            not_run.setdefault(check, "phase not selected (--phase)")
    failed = {failure.check for failure in failures}
    progress.phase("envelope", len([c for c in ENVELOPE_CHECKS if options.enabled(c)]))
    for check in ENVELOPE_CHECKS:
        if options.enabled(check) and not judged.get(check) and check not in failed:
            not_run.setdefault(check, "no response carried the envelope")
        if options.enabled(check):
            progress.check_finished(check, _status(check, failures, not_run, judged.get(check, 0)))
    verdict = Verdict(
        options.base_url, ALL_CHECKS, failures, not_run, time.monotonic() - started,
        strict=options.strict, hiccups=hiccups, notes=notes,
    )  # fmt: skip
    write_junit(verdict, options.report_dir / JUNIT_NAME)
    scope = Scope(options.known_ids, options.unknown_ids, signing=options.signing)
    rows = artifacts.write(options.report_dir, verdict, exchanges, scope, judged=judged)
    text = "\n".join([summary(verdict), *coverage_lines(rows)])
    (options.report_dir / SUMMARY_NAME).write_text(text + "\n", encoding="utf-8")
    return verdict
