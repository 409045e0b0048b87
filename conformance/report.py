"""The verdict of a run, as JUnit XML for CI and as a short summary for people."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conformance.catalog import kind_of
from conformance.client import TRIES_TO_PERSIST
from conformance.evidence import INCONCLUSIVE, PASS, Evidence, verdict_word
from conformance.failures import Failure

EXCLUDED = "excluded (--exclude-check)"


@dataclass(frozen=True)
class Verdict:
    """What a run found: every check, its failures, and the checks that did not run and why."""

    base_url: str
    checks: Sequence[str]
    failures: Sequence[Failure]
    not_run: dict[str, str]
    seconds: float
    strict: bool = False
    # Transient 5000 answers that a retry got past (curl lines), and growth seen in the data.
    hiccups: Sequence[str] = ()
    notes: Sequence[str] = field(default_factory=list)
    # What the run judged and the least it needs (C45); None: the checks that ran, at least 1.
    evidence: Evidence | None = None

    @property
    def strict_failures(self) -> list[str]:
        """Checks not run that fail a strict run: all but those the user excluded."""
        if not self.strict:
            return []
        return [name for name, reason in self.not_run.items() if reason != EXCLUDED]

    @property
    def ran(self) -> list[str]:
        return [check for check in self.checks if check not in self.not_run]

    @property
    def proof(self) -> Evidence:
        """The evidence the verdict rests on: the run's own, or the checks that ran."""
        if self.evidence is not None:
            return self.evidence
        reasons = list(dict.fromkeys(self.not_run.values()))
        why = "no check ran" + (f" ({'; '.join(reasons[:2])})" if reasons else "")
        return Evidence(len(self.ran), 1, "checks", why)

    @property
    def word(self) -> str:
        """PASS, FAIL, or INCONCLUSIVE when nothing failed but too little was judged (C45)."""
        return verdict_word(bool(self.failures or self.strict_failures), self.proof)

    @property
    def passed(self) -> bool:
        return self.word == PASS

    @property
    def inconclusive(self) -> bool:
        return self.word == INCONCLUSIVE

    def failures_of(self, check: str) -> list[Failure]:
        return [failure for failure in self.failures if failure.check == check]

    @property
    def failed_checks(self) -> list[str]:
        """Checks with failures, in the order of `checks`, then any other (a phase error)."""
        names = {failure.check for failure in self.failures}
        ordered = [check for check in self.checks if check in names]
        return ordered + sorted(names - set(ordered))


def junit(verdict: Verdict) -> ElementTree.ElementTree:
    """One test case per check: failed (every failure with its curl line), skipped, or passed."""
    names = list(verdict.checks) + [c for c in verdict.failed_checks if c not in verdict.checks]
    suites = ElementTree.Element("testsuites")
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name="conformance",
        tests=str(len(names) + verdict.inconclusive),
        failures=str(len(verdict.failed_checks) + len(verdict.strict_failures)),
        errors="1" if verdict.inconclusive else "0",
        skipped=str(len([n for n in verdict.not_run if n not in verdict.strict_failures])),
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
            suite, "testcase", name=name, classname=f"conformance.{kind_of(name)}"
        )
        failures = verdict.failures_of(name)
        if failures:
            element = ElementTree.SubElement(
                case,
                "failure",
                message=failures[0].message.splitlines()[0],
                type=name,
            )
            element.text = "\n\n".join(_junit_text(failure) for failure in failures)
        elif name in verdict.strict_failures:
            ElementTree.SubElement(
                case, "failure", message=f"not run (--strict): {verdict.not_run[name]}", type=name
            )
        elif name in verdict.not_run:
            ElementTree.SubElement(case, "skipped", message=verdict.not_run[name])
    if verdict.inconclusive:
        # A CI reading only the JUnit file must not see a green run that judged nothing (C45).
        case = ElementTree.SubElement(
            suite, "testcase", name="evidence", classname="conformance.verdict"
        )
        ElementTree.SubElement(
            case, "error", message=f"{INCONCLUSIVE}: {verdict.proof.shortfall()}", type="evidence"
        )
    if verdict.hiccups or verdict.notes:
        lines = [f"{len(verdict.hiccups)} transient 5000 answers, passed on retry"]
        lines += [f"  {curl}" for curl in verdict.hiccups[:5]] + list(verdict.notes)
        ElementTree.SubElement(suite, "system-out").text = "\n".join(lines)
        properties = suite.find("properties")
        assert properties is not None
        ElementTree.SubElement(
            properties, "property", name="transient_5000", value=str(len(verdict.hiccups))
        )
    ElementTree.indent(suites)
    return ElementTree.ElementTree(suites)


def _junit_text(failure: Failure) -> str:
    evidence = f"\n{failure.evidence}" if failure.evidence else ""
    return f"{failure.message}{evidence}\nReproduce with:\n    {failure.curl}"


def write_junit(verdict: Verdict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit(verdict).write(path, encoding="utf-8", xml_declaration=True)


def summary(verdict: Verdict) -> str:
    """A few lines: the verdict, then each failure with the curl line that reproduces it."""
    ran = [c for c in verdict.checks if c not in verdict.not_run]
    passed = [c for c in ran if c not in verdict.failed_checks]
    lines = [
        f"Conformance of {verdict.base_url} to openapi.yaml: "
        f"{verdict.word} in {verdict.seconds:.1f}s",
        f"  {len(passed)} checks passed, {len(verdict.failed_checks)} failed, "
        f"{len(verdict.not_run)} not run",
    ]
    if verdict.inconclusive:
        lines.append(f"{INCONCLUSIVE} {verdict.proof.shortfall()}")
    if verdict.hiccups:
        lines.append(
            f"FLAKY {len(verdict.hiccups)} transient 5000 answers, each passed on retry "
            f"(up to {TRIES_TO_PERSIST - 1} retries, C46), e.g. {min(verdict.hiccups, key=len)}"
        )
    lines += [f"NOTE {note}" for note in verdict.notes]
    for name in verdict.failed_checks:
        failures = verdict.failures_of(name)
        lines.append(f"FAIL {name} ({len(failures)})")
        for failure in failures:
            message = failure.message.splitlines()
            lines.append(f"  - {message[0]}")
            lines += [f"    {line}" for line in message[1:3]]
            if failure.evidence:
                lines.append(f"    {failure.evidence}")
            if failure.curl:
                lines.append(f"    {failure.curl}")
    for name, reason in verdict.not_run.items():
        strict = " (fails the run: --strict)" if name in verdict.strict_failures else ""
        lines.append(f"SKIP {name}: {reason}{strict}")
    return "\n".join(lines)
