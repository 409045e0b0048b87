"""docs/conformance.md maps every decision of docs/decisions.md to the checks covering it."""

from __future__ import annotations

import re

from conformance.catalog import ALL_CHECKS
from tests.support.servers import ROOT

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


BOUNDARY_ROW = re.compile(r"^\| \*\*(D[\d, D]+)\*\* \| .+? \| (.+?) \| (.+?) \|$", re.MULTILINE)


def test_the_boundary_table_names_real_checks_and_faults() -> None:
    # docs/conformance.md's table of boundary cases (issue 22): each row's checks exist, and
    # each fault it names is one of the faulty implementation's.
    from tests.support.faulty_servers import FAULTS

    text = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    rows = BOUNDARY_ROW.findall(text)
    assert len(rows) >= 10
    for decisions, checks, faults in rows:
        named = [name.strip() for name in checks.split(",")]
        assert set(named) <= set(ALL_CHECKS), (decisions, named)
        proven = re.findall(r"`([a-z0-9_]+)`", faults)
        assert proven and set(proven) <= set(FAULTS), (decisions, proven)
