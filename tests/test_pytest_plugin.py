"""The pytest plugin's documentation (D42).

The plugin itself runs as a client project uses it, in its own folder with its own pytest run,
from the installed wheel: `test_a_client_project_uses_the_installed_plugin` in
`tests/test_install.py`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from conformance.pytest_plugin import (
    IN_PROCESS_URL,
    MockOptions,
    MockSession,
    StardustMock,
    Tests,
    WholeMock,
)
from conformance.pytest_plugin import mock_settings as plugin_settings
from conformance.sync_asgi import ThreadedASGITransport
from contract import DEFAULT_FIXTURES
from mockserver.app import create_app
from mockserver.sessions import NAMES
from tests.support.client_project import readme_files

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
pytest_plugins = ("pytester",)


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


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (MockOptions(fault_rate=2.0), "stardust_mock_options: --fault-rate: 2.0 is not between"),
        # argparse's own refusal, its last line, not a SystemExit through the fixture.
        (
            MockOptions(arguments=("--no-such-flag",)),
            "stardust_mock_options: python -m mockserver: error: --no-such-flag: no such option",
        ),
    ],
)
def test_a_bad_option_fails_with_one_line_naming_it(options: MockOptions, says: str) -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        plugin_settings(options, 1)
    assert str(failed.value).startswith(says) and "\n" not in str(failed.value)
    # Shown without the fixture's traceback: the client's test is not at fault.
    assert failed.value.pytrace is False


def test_without_a_journal_the_judging_methods_say_so() -> None:
    settings = plugin_settings(MockOptions(arguments=("--no-journal",)), 1)
    whole = WholeMock("http://127.0.0.1:9", "http://127.0.0.1:9/rosetta-open", settings, Path())
    tests = Tests()
    mock = StardustMock(whole, tests)
    with tests.running("t1-no-journal"):
        # No journal, no sessions (the door that strips the prefix is the journal's).
        assert mock.url == "http://127.0.0.1:9"
    for call in (lambda: mock.requests, mock.reset, mock.verdict, mock.assert_client_behaved):
        with pytest.raises(RuntimeError, match="started with --no-journal"):
            call()


@pytest.mark.parametrize("name", ["-starts-with-a-dash", "a b", "x" * 65, ""])
def test_a_session_name_the_mock_would_refuse_is_refused_with_the_mock_s_rule(name: str) -> None:
    # The same rule and words as the mock's own refusal (D83), before any request is sent.
    settings = plugin_settings(MockOptions(), 1)
    whole = WholeMock("http://127.0.0.1:9", "http://127.0.0.1:9/rosetta-open", settings, Path())
    with pytest.raises(ValueError, match=re.escape(NAMES)):
        whole.session(name)
    assert whole.session("t1-ok_name.2").name == "t1-ok_name.2"


def test_under_several_workers_a_tests_session_is_its_own_requests_alone() -> None:
    # Several workers refuse a session's reset (D68): the plugin sends none (nothing answers
    # at port 9, so a request would raise) and reads the session without the whole mock's.
    settings = plugin_settings(MockOptions(arguments=("--workers", "2")), 1)
    whole = WholeMock("http://127.0.0.1:9", "http://127.0.0.1:9/rosetta-open", settings, Path())
    tests = Tests()
    mock = StardustMock(whole, tests)
    with tests.running("t1-workers"):
        here = mock.here()
        assert type(here) is MockSession and here.url == "http://127.0.0.1:9/__session/t1-workers"


class _Judged(WholeMock):
    """A mock whose admin API answers `answer`: the assertion's logic without a process."""

    answer: dict[str, object]

    def verdict(self) -> dict[str, object]:
        return self.answer


def _judged(answer: dict[str, object]) -> WholeMock:
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


# Each test its own session (C73, D75), proven in-process: a mock behind a threaded ASGI
# transport, and the plugin's own registry of running tests, as its fixture drives it.


@pytest.fixture
def in_process() -> Iterator[tuple[StardustMock, Tests, httpx.Client]]:
    settings = plugin_settings(MockOptions(), 1)
    transport = ThreadedASGITransport(create_app(settings))
    tests = Tests()
    whole = WholeMock(IN_PROCESS_URL, IN_PROCESS_URL + "/rosetta-open", settings, Path(), transport)
    try:
        with httpx.Client(transport=transport) as http:
            yield StardustMock(whole, tests), tests, http
    finally:
        transport.shutdown()


def read(http: httpx.Client, base_url: str, offset: int) -> int:
    params = {"annotationRequestId": DOC_ID, "offset": offset, "limit": 10}
    code: int = http.get(f"{base_url}/statistics/record", params=params).json()["code"]
    return code


def offsets(entries: list[dict[str, Any]]) -> list[int]:
    return [int(dict(parse_qsl(entry["query"]))["offset"]) for entry in entries]


def test_tests_running_at_once_in_threads_each_get_their_own_verdict(
    in_process: tuple[StardustMock, Tests, httpx.Client],
) -> None:
    mock, tests, http = in_process
    # Test "walk" reads pages 1, 2, 3; test "again" reads page 7 twice (a refetch), their
    # requests interleaved one by one.
    plans = {"walk": [1, 2, 3], "again": [7, 7, 8]}
    step = threading.Barrier(2)
    seen: dict[str, tuple[list[int], dict[str, Any], str]] = {}

    def test(name: str) -> None:
        with tests.running(name):
            for offset in plans[name]:
                step.wait(timeout=10)
                assert read(http, mock.url, offset) == 2000
            step.wait(timeout=10)
            seen[name] = (offsets(mock.requests), mock.verdict(), mock.url)

    threads = [threading.Thread(target=test, args=(name,)) for name in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert set(seen) == set(plans)
    assert seen["walk"][0] == [1, 2, 3] and seen["again"][0] == [7, 7, 8]
    assert seen["walk"][1]["requests"] == 3 and seen["walk"][1]["findings"] == []
    assert [f["rule"] for f in seen["again"][1]["findings"]] == ["paging-refetch"]
    assert seen["walk"][2] == IN_PROCESS_URL + "/__session/walk"
    # The whole mock has them all, and outside a test stardust_mock is the whole mock.
    assert mock.url == IN_PROCESS_URL
    assert sorted(offsets(mock.requests)) == [1, 2, 3, 7, 7, 8]
    assert sorted(offsets(mock.whole.requests)) == [1, 2, 3, 7, 7, 8]


def test_a_client_made_before_the_test_is_judged_in_it_and_the_failure_says_so(
    in_process: tuple[StardustMock, Tests, httpx.Client],
) -> None:
    mock, tests, http = in_process
    early = mock.url  # a session-scoped client fixture: the whole mock's URL
    read(http, early, 5)  # before the test: not its request
    with tests.running("t1-uses-a-session-client"):
        read(http, early, 2)
        read(http, mock.url, 2)
        assert [entry["session"] for entry in mock.requests] == [None, "t1-uses-a-session-client"]
        with pytest.raises(AssertionError) as raised:
            mock.assert_client_behaved()  # page 2 twice: a refetch
    text = str(raised.value)
    assert "warning paging-refetch" in text
    assert f"1 of them went to the whole mock's URL ({IN_PROCESS_URL}), not to this" in text
    assert f"test's session ({IN_PROCESS_URL}/__session/t1-uses-a-session-client)" in text
    nothing = "this test's session, or at the whole mock's"
    with tests.running("t2-sends-nothing"), pytest.raises(AssertionError, match=nothing):
        mock.assert_client_behaved()


def test_a_wider_fixture_made_during_a_test_sees_the_whole_mock(
    in_process: tuple[StardustMock, Tests, httpx.Client],
) -> None:
    mock, tests, http = in_process
    with tests.running("t1-first"):
        with tests.outside():
            assert mock.url == IN_PROCESS_URL
        assert mock.url == IN_PROCESS_URL + "/__session/t1-first"
        mock.add_scenario({"name": "down", "answer": 5000})
        assert read(http, mock.url, 1) == 5000
        assert read(http, mock.whole.url, 1) == 2000  # the test's scenario is its own
        mock.reset()  # the test's session: its scenario goes too
        assert read(http, mock.url, 1) == 2000 and offsets(mock.requests) == [1]


def test_a_thread_a_test_starts_sees_its_session_and_two_tests_are_not_guessed(
    in_process: tuple[StardustMock, Tests, httpx.Client],
) -> None:
    mock, tests, _ = in_process
    urls: list[str] = []
    with tests.running("t1-alone"):
        worker = threading.Thread(target=lambda: urls.append(mock.url))
        worker.start()
        worker.join(timeout=10)
        assert urls == [IN_PROCESS_URL + "/__session/t1-alone"]
        # A second test running at once, in a thread of its own that stays until the end.
        started, done = threading.Event(), threading.Event()

        def other_test() -> None:
            with tests.running("t2-other"):
                started.set()
                done.wait(timeout=10)

        other = threading.Thread(target=other_test)
        other.start()
        assert started.wait(timeout=10)
        errors: list[str] = []

        def unbound() -> None:
            try:
                urls.append(mock.url)
            except RuntimeError as error:
                errors.append(str(error))

        third = threading.Thread(target=unbound)
        third.start()
        third.join(timeout=10)
        done.set()
        other.join(timeout=10)
    assert len(urls) == 1 and len(errors) == 1
    assert (
        "a thread that no test runs in while 2 tests run at once (t1-alone, t2-other)"
        in (errors[0])
    )


# The fixtures themselves, in a pytest run of a client's suite in this process (pytester):
# its mock is in-process (a factory of its conftest), everything else is the plugin's.
SUITE_CONFTEST = """
import httpx
import pytest

from conformance.pytest_plugin import IN_PROCESS_URL, StardustMock, WholeMock, mock_settings
from conformance.sync_asgi import ThreadedASGITransport
from mockserver.app import create_app


@pytest.fixture(scope="session")
def stardust_mock_factory(stardust_mock_options):
    settings = mock_settings(stardust_mock_options, 1)
    transport = ThreadedASGITransport(create_app(settings))
    whole = WholeMock(IN_PROCESS_URL, IN_PROCESS_URL + "/rosetta-open", settings, None, transport)
    mock = StardustMock(whole)
    yield lambda options: mock
    transport.shutdown()


@pytest.fixture(scope="session")
def api(stardust_mock):
    # A session-scoped client, made when the first test that needs it runs.
    return httpx.Client(base_url=stardust_mock.url, transport=stardust_mock.whole.transport)


@pytest.fixture(scope="module")
def late_api(stardust_mock):
    # Asked by a test while it runs (request.getfixturevalue): it outlives the test.
    return httpx.Client(base_url=stardust_mock.url, transport=stardust_mock.whole.transport)
"""

SUITE_TESTS = """
import httpx
import pytest

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
pytest_plugins = ("pytester",)


def read(http, offset):
    http.get("/statistics/record", params={"annotationRequestId": DOC_ID, "offset": offset})


def mine(stardust_mock):
    return httpx.Client(base_url=stardust_mock.url, transport=stardust_mock.whole.transport)


def test_a_walk(stardust_mock, stardust_test_session):
    read(mine(stardust_mock), 1)
    read(mine(stardust_mock), 2)
    assert stardust_mock.url.endswith("/__session/" + stardust_test_session)
    assert len(stardust_mock.requests) == 2
    stardust_mock.assert_client_behaved()


def test_a_refetch(stardust_mock):
    read(mine(stardust_mock), 1)
    read(mine(stardust_mock), 2)
    read(mine(stardust_mock), 2)
    stardust_mock.assert_client_behaved()


def test_a_session_client(api, stardust_mock, stardust_session):
    read(api, 3)
    assert api.base_url == stardust_mock.whole.url
    assert [e["session"] for e in stardust_mock.requests] == [None]
    assert stardust_session.url == stardust_mock.url
    stardust_mock.assert_client_behaved()


def test_the_session_client_again(api, stardust_mock):
    read(api, 5)
    read(api, 5)
    stardust_mock.assert_client_behaved()


def test_a_wider_fixture_asked_during_a_test(request, stardust_mock):
    late = request.getfixturevalue("late_api")
    assert late.base_url == stardust_mock.whole.url != stardust_mock.url


def test_without_the_mock(stardust_test_session):
    assert stardust_test_session is None
"""


def test_each_test_of_a_suite_gets_its_own_session_without_asking(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(SUITE_CONFTEST)
    pytester.makepyfile(test_suite=SUITE_TESTS)
    # As installed, the plugin comes by its entry point; here it is named, others left out.
    result = pytester.runpytest_inprocess(
        "--disable-plugin-autoload", "-p", "conformance.pytest_plugin", "-p", "no:cacheprovider",
        # In-process, the plugin was imported before this run could rewrite its asserts.
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("failed")) == (4, 2), result.stdout.str()
    failed = [line.split()[1] for line in result.stdout.lines if line.startswith("FAILED")]
    assert failed == [
        "test_suite.py::test_a_refetch",
        "test_suite.py::test_the_session_client_again",
    ]
    text = result.stdout.str()
    # Each verdict holds its test's requests only: 3 in the refetch's, 2 in the client's.
    assert "(3 request(s) judged;" in text and "(2 request(s) judged;" in text
    assert "2 of them went to the whole mock's URL (http://stardust-mock), not to" in text
