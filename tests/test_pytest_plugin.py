"""The pytest plugin's documentation (D42).

The plugin itself runs as a client project uses it, in its own folder with its own pytest run,
from the installed wheel: `test_a_client_project_uses_the_installed_plugin` in
`tests/test_install.py`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from conformance.pytest_plugin import MockOptions
from conformance.pytest_plugin import mock_settings as plugin_settings
from contract import DEFAULT_FIXTURES
from tests.support.client_project import readme_files, run_pytest, write_judged


def test_the_readme_has_the_example_files_the_client_project_runs() -> None:
    files = readme_files()
    assert set(files) == {"conftest.py", "test_my_client.py"}
    assert (
        "def test_" in files["test_my_client.py"] and "stardust_mock" in files["test_my_client.py"]
    )
    assert "def stardust_mock_options" in files["conftest.py"]


def test_every_option_reaches_the_settings() -> None:
    options = MockOptions(
        seed=9,
        fixtures=None,
        http_200_errors=True,
        signature_keys={"ak": "sk"},
        fault_rate=0.25,
        latency_ms=5,
        timezone="Asia/Shanghai",
        arguments=("--head-timeout", "3"),
    )
    settings = plugin_settings(options, 1234)
    assert (settings.seed, settings.fixtures, settings.http_200_errors) == (9, None, True)
    assert dict(settings.signature_keys) == {"ak": "sk"}
    assert (settings.fault_rate, settings.latency_ms) == (0.25, 5)
    assert (settings.timezone, settings.head_timeout, settings.port) == ("Asia/Shanghai", 3, 1234)
    # The keys travel in the environment, never on the command line.
    assert "sk" not in " ".join(options.command_line())
    fixtures_only = plugin_settings(MockOptions(fixtures_only=True), 1)
    assert fixtures_only.fixtures_only and fixtures_only.fixtures == DEFAULT_FIXTURES


def test_a_bad_option_stops_the_session_naming_it() -> None:
    with pytest.raises(pytest.UsageError, match="stardust_mock_options: --fault-rate: 2"):
        plugin_settings(MockOptions(fault_rate=2.0), 1)


@pytest.mark.slow
def test_assert_client_behaved_fails_a_bad_clients_test_naming_the_rule(tmp_path: Path) -> None:
    # A client's own pytest run, in its own folder, the plugin found through this package's
    # entry point: the bad client's test fails with the rule and its fix, the others pass.
    done = run_pytest(sys.executable, write_judged(tmp_path / "client"))
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "1 failed, 4 passed" in output, output
    failed = re.findall(r"^FAILED (\S+)", output, re.MULTILINE)
    assert failed == ["test_judged_client.py::test_a_client_that_takes_a_capped_page_for_the_last"]
    assert "AssertionError: the client misused the API (1 request(s) judged;" in output
    assert re.search(r"^E +error paging-short-page-as-end: .+\n^E +fix: \S", output, re.MULTILINE)
    # The plugin's own frame is hidden: the client's test is where the failure points.
    assert "def assert_client_behaved" not in output
