"""docs/conformance.md maps every decision of docs/decisions.md to the checks covering it."""

from __future__ import annotations

import re

from conformance.catalog import ALL_CHECKS
from tests.servers import ROOT

DECISION = re.compile(r"^\| (D\d+) \|", re.MULTILINE)
ROW = re.compile(r"^\| (D\d+) \| (.+?) \|$", re.MULTILINE)


def _coverage() -> dict[str, str]:
    text = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    table = text[text.index("### Decisions and the checks that cover them") :]
    return dict(ROW.findall(table))


def test_every_decision_has_a_row() -> None:
    decisions = DECISION.findall((ROOT / "docs" / "decisions.md").read_text(encoding="utf-8"))
    assert decisions, "no D-numbers found in docs/decisions.md"
    missing = [number for number in decisions if number not in _coverage()]
    assert not missing, f"decisions without a row in docs/conformance.md: {missing}"


def test_each_row_names_real_checks_or_says_why_not() -> None:
    for number, cell in _coverage().items():
        if cell.startswith("n/a: "):
            assert len(cell) > len("n/a: ") + 10, f"{number}: say why it is n/a"
            continue
        names = [name.strip() for name in cell.split(",")]
        unknown = [name for name in names if name not in ALL_CHECKS]
        assert not unknown, f"{number} names checks that do not exist: {unknown}"
