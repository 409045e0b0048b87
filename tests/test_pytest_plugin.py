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
    assert set(files) == {"conftest.py", "test_my_client.py", "test_my_async_client.py"}
    # Both styles (issue 28): a sync test on the in-process client, an async one on the app.
    assert "def test_" in files["test_my_client.py"]
    assert "stardust_mock_client" in files["test_my_client.py"]
    assert "async def test_" in files["test_my_async_client.py"]
    assert "stardust_mock_app" in files["test_my_async_client.py"]
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


class _Judged(StardustMock):
    """A mock whose admin API answers `answer`: the assertion's logic without a process."""

    answer: dict[str, object]

    def verdict(self) -> dict[str, object]:
        return self.answer


def _judged(answer: dict[str, object]) -> StardustMock:
    settings = plugin_settings(MockOptions(), 1)
    mock = _Judged("http://127.0.0.1:9", "http://127.0.0.1:9/rosetta-open", settings, Path())
    object.__setattr__(mock, "answer", answer)
    return mock


def test_a_client_that_sent_nothing_has_not_behaved() -> None:
    # No request, no PASS (C45): a test whose client never reached the mock must fail.
    nothing = _judged({"verdict": "INCONCLUSIVE", "requests": 0, "findings": []})
    with pytest.raises(AssertionError, match="no request reached the mock: nothing to judge"):
        nothing.assert_client_behaved()


def test_infos_pass_and_each_problem_is_listed_with_its_fix_and_section() -> None:
    info = {"rule": "limit-over-max", "severity": "info", "message": "m", "fix": "f", "see": "s"}
    _judged({"requests": 2, "findings": [info]}).assert_client_behaved()
    error = {
        "rule": "retry-not-retryable",
        "severity": "error",
        "message": "resent a 4005",
        "fix": "do not resend",
        "see": "docs/client-developers.md#retries",
    }
    with pytest.raises(AssertionError) as raised:
        _judged({"requests": 2, "findings": [info, error]}).assert_client_behaved()
    text = str(raised.value)
    assert "error retry-not-retryable: resent a 4005" in text
    assert "fix: do not resend (see docs/client-developers.md#retries)" in text
    assert "limit-over-max" not in text
