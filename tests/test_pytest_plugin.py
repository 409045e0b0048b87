"""The pytest plugin as a client project uses it: its own folder, its own pytest run (D42)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.client_project import readme_files, run_pytest, write


def test_the_readme_has_the_example_files() -> None:
    assert set(readme_files()) == {"conftest.py", "test_my_client.py"}


@pytest.mark.slow
def test_a_client_project_runs_its_tests_against_the_mock(tmp_path: Path) -> None:
    project = write(tmp_path / "client")
    done = run_pytest(sys.executable, project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout, done.stdout
