"""tests/support/required.py: a missing tool skips, unless the run requires it (CI)."""

from __future__ import annotations

import pytest

from tests.support.required import REQUIRE, missing


def test_a_missing_tool_skips_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        missing("no Chromium: apt-get install chromium")


def test_where_the_run_requires_it_a_missing_tool_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        missing("no Chromium: apt-get install chromium")
    assert str(failed.value) == (
        "no Chromium: apt-get install chromium (STARDUST_REQUIRE_TOOLS=1: this run requires it)"
    )
    assert failed.value.pytrace is False
