"""The verdict of a run, as JUnit XML for CI and as a short summary for people."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.config import ENVELOPE_CHECKS, SCHEMATHESIS_CHECKS
from conformance.failures import Failure


@dataclass(frozen=True)
class Verdict:
    """What a run found: every check, its failures, and the checks that did not run and why."""

    base_url: str
    checks: Sequence[str]
    failures: Sequence[Failure]
    not_run: dict[str, str]
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.failures

    def failures_of(self, check: str) -> list[Failure]:
        return [failure for failure in self.failures if failure.check == check]

    @property
    def failed_checks(self) -> list[str]:
        """Checks with failures, in the order of `checks`, then any other (a phase error)."""
        names = {failure.check for failure in self.failures}
        ordered = [check for check in self.checks if check in names]
        return ordered + sorted(names - set(ordered))


def _phase(check: str) -> str:
    if check in SCHEMATHESIS_CHECKS:
        return "schemathesis"
    if check in ENVELOPE_CHECKS:
        return "envelope"
    return "semantic"


def junit(verdict: Verdict) -> ElementTree.ElementTree:
    """One test case per check: failed (every failure with its curl line), skipped, or passed."""
    names = list(verdict.checks) + [c for c in verdict.failed_checks if c not in verdict.checks]
    suites = ElementTree.Element("testsuites")
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name="conformance",
        tests=str(len(names)),
        failures=str(len(verdict.failed_checks)),
        errors="0",
        skipped=str(len([n for n in names if n in verdict.not_run])),
        time=f"{verdict.seconds:.3f}",
    )
    ElementTree.SubElement(
        ElementTree.SubElement(suite, "properties"),
        "property",
        name="base_url",
        value=verdict.base_url,
    )
    for name in names:
        case = ElementTree.SubElement(
            suite, "testcase", name=name, classname=f"conformance.{_phase(name)}"
        )
        failures = verdict.failures_of(name)
        if failures:
            element = ElementTree.SubElement(
                case,
                "failure",
                message=failures[0].message.splitlines()[0],
                type=name,
            )
            element.text = "\n\n".join(
                f"{failure.message}\nReproduce with:\n    {failure.curl}" for failure in failures
            )
        elif name in verdict.not_run:
            ElementTree.SubElement(case, "skipped", message=verdict.not_run[name])
    ElementTree.indent(suites)
    return ElementTree.ElementTree(suites)


def write_junit(verdict: Verdict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit(verdict).write(path, encoding="utf-8", xml_declaration=True)


def summary(verdict: Verdict) -> str:
    """A few lines: the verdict, then each failure with the curl line that reproduces it."""
    ran = [c for c in verdict.checks if c not in verdict.not_run]
    passed = [c for c in ran if c not in verdict.failed_checks]
    lines = [
        f"Conformance of {verdict.base_url} to openapi.yaml: "
        f"{'PASS' if verdict.passed else 'FAIL'} in {verdict.seconds:.1f}s",
        f"  {len(passed)} checks passed, {len(verdict.failed_checks)} failed, "
        f"{len(verdict.not_run)} not run",
    ]
    for name in verdict.failed_checks:
        failures = verdict.failures_of(name)
        lines.append(f"FAIL {name} ({len(failures)})")
        for failure in failures:
            message = failure.message.splitlines()
            lines.append(f"  - {message[0]}")
            lines += [f"    {line}" for line in message[1:3]]
            if failure.curl:
                lines.append(f"    {failure.curl}")
    for name, reason in verdict.not_run.items():
        lines.append(f"SKIP {name}: {reason}")
    return "\n".join(lines)
