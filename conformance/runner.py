"""A conformance run: the Schemathesis phase, the semantic phase, then the reports."""

from __future__ import annotations

import time

from conformance import schemathesis_phase, semantic
from conformance.config import ALL_CHECKS, ENVELOPE_CHECKS, SCHEMATHESIS_CHECKS, Options
from conformance.failures import Failure
from conformance.report import Verdict, summary, write_junit

JUNIT_NAME = "junit.xml"
SUMMARY_NAME = "summary.txt"


def run(options: Options) -> Verdict:
    """Run the selected phases against `options.base_url` and write the reports."""
    started = time.monotonic()
    options.report_dir.mkdir(parents=True, exist_ok=True)
    failures: list[Failure] = []
    not_run = {
        check: "excluded (--exclude-check)" for check in ALL_CHECKS if not options.enabled(check)
    }
    if "schemathesis" in options.phases:
        found, log = schemathesis_phase.run(options)
        (options.report_dir / "schemathesis.log").write_text(log, encoding="utf-8")
        failures += found
    else:
        for check in SCHEMATHESIS_CHECKS:
            not_run.setdefault(check, "phase not selected (--phase)")
    if "semantic" in options.phases:
        result = semantic.run(options)
        failures += result.failures
        not_run.update(result.not_run)
    else:
        for check in semantic.CHECKS:
            not_run.setdefault(check, "phase not selected (--phase)")
    if not options.phases:
        for check in ENVELOPE_CHECKS:
            not_run.setdefault(check, "no phase selected")
    verdict = Verdict(options.base_url, ALL_CHECKS, failures, not_run, time.monotonic() - started)
    write_junit(verdict, options.report_dir / JUNIT_NAME)
    (options.report_dir / SUMMARY_NAME).write_text(summary(verdict) + "\n", encoding="utf-8")
    return verdict
