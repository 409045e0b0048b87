"""An exam's grades as a person reads them: a table of text, or a page (D72).

The page uses the verdict page's style (`templates/verdict.html.j2`): self-contained, inline
CSS, no script, so it opens from a CI artifact.
"""

from __future__ import annotations

from typing import Any

from clientjudge.render import _environment

TEMPLATE = "exam.html.j2"


def headline(report: dict[str, Any]) -> str:
    total = report["passed"] + report["failed"]
    if not report["failed"]:
        return f"Exam: passed every lesson ({total})"
    return f"Exam: {report['failed']} of {total} lesson(s) failed"


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
        if lesson.get("note"):
            lines.append(f"      note: {lesson['note']}")
    lines.append(f"{report['passed']} passed, {report['failed']} failed")
    return "\n".join(lines)


def render_html(report: dict[str, Any], command: str = "") -> str:
    template = _environment().get_template(TEMPLATE)
    return template.render(headline=headline(report), report=report, command=command)
