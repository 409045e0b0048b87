"""The `conformance` extra: what the light install lacks (D54), and the script without it (C51)."""

from __future__ import annotations

import importlib.util
import tomllib
from typing import Any

import pytest

from conformance import extra
from conformance.launch import ROOT
from tests.support.dependencies import pinned, resolve

# What Schemathesis brings, none of which a client team's install may hold (D54).
EXTRA_DISTRIBUTIONS = {"schemathesis", "hypothesis", "hypothesis-graphql", "jsonschema-rs"}


def test_the_modules_checked_are_the_extras_distributions() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    distributions = [
        requirement.split(">")[0].split("<")[0].split("=")[0].strip().replace("-", "_")
        for requirement in project["optional-dependencies"]["conformance"]
    ]
    assert sorted(distributions) == sorted(extra.EXTRA_MODULES)
    assert project["scripts"]["stardust-conformance"] == "conformance.extra:main"


def test_without_the_extra_one_line_names_the_install_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec

    def without_schemathesis(name: str, *rest: Any) -> Any:
        return None if name == "schemathesis" else real(name, *rest)

    monkeypatch.setattr(extra, "find_spec", without_schemathesis)
    assert extra.missing() == ["schemathesis"]
    assert extra.main() == 2
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("stardust-conformance: error:") and "schemathesis" in line
    assert "pip install 'stardust-statistics-mock[conformance]'" in line


def test_with_the_extra_it_is_the_suite(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["stardust-conformance", "--list-checks"])
    assert extra.missing() == []
    assert extra.main() == 0
    assert "enum_membership" in capsys.readouterr().out


def test_the_light_install_pulls_in_neither_schemathesis_nor_hypothesis() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    light = resolve(project["dependencies"])
    full = resolve([*project["dependencies"], *project["optional-dependencies"]["conformance"]])
    assert {"connexion", "uvicorn", "faker", "httpx"} <= set(light)
    assert not set(light) & EXTRA_DISTRIBUTIONS, sorted(set(light) & EXTRA_DISTRIBUTIONS)
    # The extra is what brings them: the check above is not vacuous.
    assert {"schemathesis", "hypothesis", "jsonschema-rs"} <= set(full)
    # `pip install -c constraints.txt` pins every one of them, the extra's too.
    assert set(full) - set(pinned()) == set(), sorted(set(full) - set(pinned()))
