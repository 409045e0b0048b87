"""An exam's grades as a person reads them: a table of text, or a page (D72).

The page reads as a conformance run's `report.html` does, with its look (`conformance/page.py`,
C74): the verdict, what the exam did not prove (lessons not taken), the failures with their
fix and the requests quoted, then every lesson, then the client's last lines of output, each
labelled with its lesson as `stardust-exam` relays them. Self-contained, so it opens from a
CI artifact.
"""

from __future__ import annotations

from typing import Any

from clientjudge.findings import ERROR, WARNING
from clientjudge.lessons import all_lessons
from conformance.page import environment

TEMPLATE = "exam.html.j2"


def headline(report: dict[str, Any]) -> str:
    total = report["passed"] + report["failed"]
    walked = sum(1 for lesson in report["lessons"] if lesson.get("unproven"))
    # Passing a lesson without walking what it teaches is said up front, not only per lesson.
    unwalked = f", {walked} without walking what it teaches" if walked else ""
    if not report["failed"]:
        return f"Exam: passed every lesson ({total}{unwalked})"
    return f"Exam: {report['failed']} of {total} lesson(s) failed{unwalked}"


def render_text(report: dict[str, Any], command: str = "") -> str:
    """One line per lesson (name, passed or not, exit status), its findings and their fixes."""
    lines = [headline(report) + (f": {command}" if command else "")]
    lines.append(f"  {'lesson':12} {'result':7} exit")
    for lesson in report["lessons"]:
        result = "passed" if lesson["passed"] else "FAILED"
        code = "-" if lesson["exit_code"] is None else str(lesson["exit_code"])
        lines.append(f"  {lesson['name']:12} {result:7} {code}")
        for finding in lesson["findings"]:
            lines.append(f"      {finding['severity']} {finding['rule']}: {finding['message']}")
            lines.append(f"        fix: {finding['fix']}")
        if lesson.get("stopped"):
            lines.append(f"      {lesson['stopped']}")
        if lesson.get("note"):
            lines.append(f"      note: {lesson['note']}")
        if lesson.get("unproven"):
            lines.append(f"      not proven: {lesson['unproven']}")
    lines.append(f"{report['passed']} passed, {report['failed']} failed")
    return "\n".join(lines)


def render_html(report: dict[str, Any], command: str = "") -> str:
    """The grades as a page in the report's style (C74)."""
    every = all_lessons()
    taken = [lesson["name"] for lesson in report["lessons"]]
    failures, lessons = [], []
    for lesson in report["lessons"]:
        problems = [f for f in lesson["findings"] if f["severity"] in (ERROR, WARNING)]
        for index, finding in enumerate(problems):
            quoted = finding.get("quoted", [])
            failures.append({
                **finding, "lesson": lesson["name"], "see": finding.get("see", ""),
                "quoted": quoted, "count": len(finding["requests"]),
                "more": len(finding["requests"]) > len(quoted),
                "note": lesson.get("note", "") if index == 0 else "",
            })  # fmt: skip
        known = every.get(lesson["name"])
        lessons.append({**lesson, "problems": len(problems),
                        "teaches": known.teaches if known else ""})  # fmt: skip
    untaken = [lesson for name, lesson in every.items() if name not in taken]
    # The client's last lines, labelled as the exam relayed them while it ran.
    output = [
        f"[{lesson['name']}] {line}"
        for lesson in report["lessons"]
        for line in lesson.get("output", ())
    ]
    unproven = [lesson for lesson in report["lessons"] if lesson.get("unproven")]
    return (
        environment("clientjudge")
        .get_template(TEMPLATE)
        .render(
            headline=headline(report),
            report=report,
            command=command,
            untaken=untaken,
            unproven=unproven,
            failures=failures,
            lessons=lessons,
            output=output,
        )
    )
