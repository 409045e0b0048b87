"""The pytest plugin's documentation (D42).

The plugin itself runs as a client project uses it, in its own folder with its own pytest run,
from the installed wheel: `test_a_client_project_uses_the_installed_plugin` in
`tests/test_install.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.pytest_plugin import MockOptions, StardustMock
from conformance.pytest_plugin import mock_settings as plugin_settings
from contract import DEFAULT_FIXTURES
from tests.support.client_project import readme_files


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


def test_without_a_journal_the_judging_methods_say_so() -> None:
    settings = plugin_settings(MockOptions(arguments=("--no-journal",)), 1)
    mock = StardustMock("http://127.0.0.1:9", "http://127.0.0.1:9/rosetta-open", settings, Path())
    for call in (lambda: mock.requests, mock.reset, mock.verdict, mock.assert_client_behaved):
        with pytest.raises(RuntimeError, match="started with --no-journal"):
            call()
