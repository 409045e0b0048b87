"""mockserver/app.py: what the composition takes from Settings (the rest is tested by the
behaviour of the composed mock, in the other files)."""

from __future__ import annotations

from types import ModuleType

import pytest

from mockserver import app
from mockserver.config import Settings


def test_the_record_writer_setting_chooses_the_store_s_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def writer_loop(choice: str) -> ModuleType | None:
        asked.append(choice)
        return None

    monkeypatch.setattr(app, "writer_loop", writer_loop)
    app.create_app(Settings(record_writer="python"))
    assert asked == ["python"]
