"""tools/breaks.py's breaks still name lines of the code: a break whose line moved is caught
here, in make test, and not only by the maintainer who runs the tool (it once went stale
unseen when the page cache's key was rewritten over three lines)."""

from __future__ import annotations

import pytest

from tools.breaks import BREAKS, ROOT, Break


@pytest.mark.parametrize("item", BREAKS, ids=[item.name for item in BREAKS])
def test_each_break_names_one_place_and_changes_one_line(item: Break) -> None:
    text = (ROOT / item.path).read_text(encoding="utf-8")
    assert text.count(item.old) == 1, f"{item.name}: its line is not once in {item.path}"
    old, new = item.old.splitlines(), item.new.splitlines()
    changed = [pair for pair in zip(old, new, strict=False) if pair[0] != pair[1]]
    assert len(changed) + abs(len(old) - len(new)) == 1, f"{item.name}: not one line"
    for own in item.own:
        assert (ROOT / own.split("::")[0]).is_file(), f"{item.name}: no {own}"


def test_break_names_are_unique() -> None:
    names = [item.name for item in BREAKS]
    assert len(names) == len(set(names))
