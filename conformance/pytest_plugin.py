"""pytest plugin for client test suites: the mock, started once per session (D42).

Installing the package registers it (entry point `pytest11`). A client's tests ask for the
`stardust_mock` fixture and get a mock on a free loopback port; its options come from the
`stardust_mock_options` fixture, which a client's `conftest.py` overrides:

    @pytest.fixture(scope="session")
    def stardust_mock_options():
        return MockOptions(seed=7, http_200_errors=True)

`stardust_mock_factory` starts further mocks with other options (one per set of options, all
stopped at the end of the session). In-process, without a port: `stardust_mock_client` is an
`httpx.Client` on the mock for synchronous tests, `stardust_mock_transport` its transport (for a
client that takes one), and `stardust_mock_app` the mock as an ASGI app, for async tests
(httpx's `ASGITransport`).

Each mock judges its client (D47, D48): `.requests` lists what the client sent, `.verdict()`
is the mock's verdict, and `.assert_client_behaved()` fails the test with every error and
warning, its rule's name and its fix. They call the mock's admin API over HTTP.

Each test that uses the mock runs in a session of its own (D70, C73): inside it,
`stardust_mock.url` and the judging methods are the test's session's, whatever other tests
share the mock (threads, one mock for the suite); `stardust_mock.whole` is the whole mock.

Only what every pytest run needs is imported here: the server's own modules are imported by
the fixtures that use them, so a client's test run pays nothing until it asks for the mock.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, redirect_stderr
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import pytest

from conformance.launch import HOST, ServerDidNotStart, free_port, started
from contract import DEFAULT_FIXTURES, OPERATION_PATH, PRODUCTION_PREFIX

if TYPE_CHECKING:
    import httpx

    from conformance.sync_asgi import ThreadedASGITransport
    from mockserver.config import Settings

__all__ = [
    "IN_PROCESS_URL",
    "MockOptions",
    "MockSession",
    "StardustMock",
    "TestSession",
    "WholeMock",
]

KEYS_VARIABLE = "MOCKSERVER_SIGNATURE_KEYS"
# The root of the in-process mock: any host works, no request leaves the process.
IN_PROCESS_URL = "http://stardust-mock"
# The admin API (D48): where the journal and the verdict are read. The mock is probed there
# when it starts, so that the probe is no request of the client's in the journal.
ADMIN_REQUESTS = "/__mock/requests"
ADMIN_VERDICT = "/__mock/verdict"
ADMIN_SPEC = "/__mock/openapi.json"
ADMIN_SCENARIOS = "/__mock/scenarios"
ADMIN_CLOCK = "/__mock/clock"
SESSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
PROBLEMS = ("error", "warning")


@dataclass(frozen=True)
class MockOptions:
    """How to start the mock; the options of `stardust-mock` under their own names."""

    seed: int = 1
    # None: no fixture files at all.
    fixtures: Path | None = DEFAULT_FIXTURES
    fixtures_only: bool = False
    http_200_errors: bool = False
    # accessKey -> secretKey: the mock verifies X-STARDUST-KEY/X-TS/X-SIGN with them.
    signature_keys: Mapping[str, str] = field(default_factory=dict)
    fault_rate: float = 0.0
    latency_ms: int = 0
    timezone: str = "UTC"
    # Any other option of `stardust-mock --help` (not --host or --port: the plugin picks them).
    arguments: tuple[str, ...] = ()

    def command_line(self) -> list[str]:
        line = ["--seed", str(self.seed), "--timezone", self.timezone]
        line += ["--no-fixtures"] if self.fixtures is None else ["--fixtures", str(self.fixtures)]
        if self.fixtures_only:
            line.append("--fixtures-only")
        if self.http_200_errors:
            line.append("--http-200-errors")
        line += ["--fault-rate", repr(self.fault_rate), "--latency-ms", str(self.latency_ms)]
        return [*line, *self.arguments]

    def environment(self) -> dict[str, str]:
        # The keys travel in the environment, as the mock accepts them: a command line is
        # visible to every user of the machine.
        return {KEYS_VARIABLE: json.dumps(dict(self.signature_keys))} if self.signature_keys else {}


class _Journal:
    """What a mock and each of its sessions answer alike: the journal, the verdict, the
    assertion on it, scenarios and the clock; each reads them under its own base URL through
    its `_admin`."""

    # Given by each class below (a dataclass field, a property): declared here for the checker
    # only, since a property on this base would shadow the dataclass's field.
    if TYPE_CHECKING:

        @property
        def url(self) -> str: ...

        def _admin(
            self,
            method: str,
            path: str,
            body: Any = None,
            query: Mapping[str, str] | None = None,
        ) -> httpx.Response: ...

    @property
    def operation_url(self) -> str:
        """The operation's URL under this base URL (without the production prefix)."""
        return self.url + OPERATION_PATH

    # The query of the journal's view: a test's session adds the requests sent to the whole
    # mock's URL while the test ran (C73, D75).
    _view: ClassVar[Mapping[str, str]] = {}

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal's entries, oldest first (the newest --journal-size of them)."""
        entries: list[dict[str, Any]] = self._admin("GET", ADMIN_REQUESTS, query=self._view).json()[
            "requests"
        ]
        return entries

    def verdict(self) -> dict[str, Any]:
        """`{"verdict", "requests": N, "findings": [{"rule", "severity", "message", "fix",
        "see", "requests"}]}`"""
        verdict: dict[str, Any] = self._admin("GET", ADMIN_VERDICT, query=self._view).json()
        return verdict

    def assert_client_behaved(self) -> None:
        """Raise AssertionError listing every error and warning, with its rule and its fix."""
        # pytest shows the client's test, not this frame.
        __tracebackhide__ = True
        assert_behaved(self.verdict(), self.url, self._elsewhere, self._where)

    @property
    def _where(self) -> str:
        """Where a client must send for its requests to be judged here."""
        return self.url

    def _elsewhere(self) -> str:
        """What the failure adds about requests judged that did not come to this URL."""
        return ""

    def add_scenario(self, scenario: Mapping[str, Any]) -> None:
        """Set a scenario here (D67), e.g. `{"name": "x", "answer": 5000, "first": 2}`."""
        self._admin("POST", ADMIN_SCENARIOS, dict(scenario))

    def set_clock(self, setting: Mapping[str, Any]) -> dict[str, Any]:
        """`PUT /__mock/clock` here (D69): reset, freeze, set, advance."""
        clock: dict[str, Any] = self._admin("PUT", ADMIN_CLOCK, dict(setting)).json()
        return clock


def _call(
    mock: WholeMock, method: str, url: str, body: Any, query: Mapping[str, str] | None
) -> httpx.Response:
    """One admin request: over the mock's own transport when it has one (in-process)."""
    if not mock.settings.journal:
        raise RuntimeError(
            "stardust_mock: this mock was started with --no-journal, so it keeps no "
            "journal to read or judge"
        )
    with httpx.Client(transport=mock.transport, timeout=30) as http:
        response = http.request(method, url, json=body, params=query)
    if response.status_code >= 400:
        raise RuntimeError(f"stardust_mock: {method} {url}: {response.text}")
    return response


@dataclass(frozen=True)
class WholeMock(_Journal):
    """A running mock as a whole: `/__mock/...` without a session covers every request."""

    url: str
    prefix_url: str
    settings: Settings
    log_path: Path
    # None: over the network. An in-process mock's transport (httpx), for its admin API.
    transport: httpx.BaseTransport | None = field(default=None, compare=False)

    def _admin(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return _call(self, method, self.url + path, body, query)

    def reset(self) -> None:
        """Empty the journal: the verdict then judges only what comes after."""
        self._admin("DELETE", ADMIN_REQUESTS)

    def exam(
        self,
        run: Callable[[str], object],
        lessons: Sequence[str] | None = None,
        max_attempts: int | None = None,
    ) -> dict[str, Any]:
        """Examine a client as `stardust-exam` does (D72, C69): `run(base_url)` once per lesson,
        each in a session of its own; returning is success (or the int it returns is the exit
        status), raising is the client reporting failure. Returns the grades as JSON when every
        lesson passed; raises AssertionError with the grade table otherwise."""
        __tracebackhide__ = True
        from clientjudge.exam import Examiner, choose
        from clientjudge.grades import render_text
        from clientjudge.lessons import MAX_ATTEMPTS

        def exit_status(url: str) -> int:
            result = run(url)
            return result if isinstance(result, int) and not isinstance(result, bool) else 0

        with httpx.Client(base_url=self.url, timeout=60, transport=self.transport) as http:
            examiner = Examiner(http, self.url, max_attempts or MAX_ATTEMPTS)
            report = examiner.exam(choose(lessons), exit_status).to_json()
        if report["failed"]:
            raise AssertionError("the client failed the exam:\n" + render_text(report))
        return report

    def session(self, name: str) -> MockSession:
        """The mock under `/__session/NAME/` (D70): a journal, verdict, scenarios and clock of
        its own, for one test among many sharing this mock."""
        if not SESSION_NAME.fullmatch(name):
            raise ValueError(
                f"session name {name!r}: 1 to 64 letters, digits, '.', '_' or '-', the first a "
                "letter or digit"
            )
        return MockSession(self, name)


@dataclass(frozen=True)
class MockSession(_Journal):
    """One session of a running mock; give the client `.url` as its base URL."""

    mock: WholeMock
    name: str

    @property
    def url(self) -> str:
        return f"{self.mock.url}/__session/{self.name}"

    @property
    def prefix_url(self) -> str:
        return self.url + PRODUCTION_PREFIX

    def _admin(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return _call(self.mock, method, self.url + path, body, query)

    def reset(self) -> None:
        """A fresh session: its journal view emptied, its scenarios removed, its clock real."""
        self._admin("DELETE", ADMIN_REQUESTS)
        self._admin("DELETE", ADMIN_SCENARIOS)
        self._admin("PUT", ADMIN_CLOCK, {"reset": True})


@dataclass(frozen=True)
class TestSession(MockSession):
    """A test's own session (C73): its requests, and those sent to the whole mock's URL while
    the test ran, since a client made before the test keeps the URL it was given."""

    # Not collected by pytest, whose test classes start with "Test".
    __test__ = False
    _view: ClassVar[Mapping[str, str]] = {"include": "unprefixed"}

    @property
    def _where(self) -> str:
        return f"{self.url}, this test's session, or at the whole mock's {self.mock.url}"

    def _elsewhere(self) -> str:
        whole = sum(entry["session"] is None for entry in self.requests)
        if not whole:
            return ""
        return (
            f"{whole} of them went to the whole mock's URL ({self.mock.url}), not to this "
            f"test's session ({self.url}): a client made before the test (a session-scoped "
            "fixture) keeps the URL it was given, and every test running at the same time "
            "sends there too, so their requests may be among these. Give the client "
            "stardust_mock.url inside the test for a verdict of its own (C73)."
        )


class StardustMock:
    """What `stardust_mock` is (C73): inside a test, that test's own session of the mock (its
    `.url`, journal, verdict, scenarios and clock); outside one (a session-scoped fixture being
    made), the whole mock. `.whole` is always the whole mock, `.session(name)` any session."""

    def __init__(self, whole: WholeMock, tests: Tests | None = None) -> None:
        self.whole = whole
        # The plugin's registry of running tests; a test of the plugin gives its own.
        self._tests = TESTS if tests is None else tests
        self._tests.mocks.append(whole)

    def here(self) -> WholeMock | MockSession:
        """The test's session when a test runs (in this thread, or alone), else the whole."""
        return self._tests.view(self.whole)

    @property
    def settings(self) -> Settings:
        return self.whole.settings

    @property
    def log_path(self) -> Path:
        return self.whole.log_path

    @property
    def url(self) -> str:
        return self.here().url

    @property
    def prefix_url(self) -> str:
        return self.here().prefix_url

    @property
    def operation_url(self) -> str:
        return self.here().operation_url

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal's entries, oldest first: the test's (C73), or the whole mock's."""
        return self.here().requests

    def verdict(self) -> dict[str, Any]:
        """The verdict on the test's requests (C73), or on the whole mock's."""
        return self.here().verdict()

    def reset(self) -> None:
        """Inside a test, a fresh session for it; outside, the whole journal emptied."""
        self.here().reset()

    def assert_client_behaved(self) -> None:
        """Raise AssertionError listing every error and warning, with its rule and its fix."""
        __tracebackhide__ = True
        self.here().assert_client_behaved()

    def add_scenario(self, scenario: Mapping[str, Any]) -> None:
        """Set a scenario (D67) for the test's session, or for the whole mock outside one."""
        self.here().add_scenario(scenario)

    def set_clock(self, setting: Mapping[str, Any]) -> dict[str, Any]:
        """Set the clock (D69) of the test's session, or the whole mock's outside one."""
        return self.here().set_clock(setting)

    def session(self, name: str) -> MockSession:
        return self.whole.session(name)

    def exam(
        self,
        run: Callable[[str], object],
        lessons: Sequence[str] | None = None,
        max_attempts: int | None = None,
    ) -> dict[str, Any]:
        """`WholeMock.exam`: each lesson in a session of its own (C69)."""
        __tracebackhide__ = True
        return self.whole.exam(run, lessons, max_attempts)


@dataclass
class TestRun:
    """One test while it runs: its session of each mock, opened as the test first needs it."""

    __test__ = False
    name: str
    sessions: dict[str, MockSession] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def session_of(self, mock: WholeMock) -> MockSession:
        with self.lock:
            session = self.sessions.get(mock.url)
            if session is None:
                if mock.settings.workers == 1:
                    session = TestSession(mock, self.name)
                    # Its view (and the whole mock's requests it includes) starts now; the
                    # name is new, so this also leaves no scenario or clock of anyone's.
                    session._admin("DELETE", ADMIN_REQUESTS)
                else:
                    # Several workers refuse a session's reset (D68): with no start to count
                    # from, the test's view is its session's requests alone.
                    session = MockSession(mock, self.name)
                self.sessions[mock.url] = session
            return session


class Tests:
    """The tests running now, and the thread each runs in (C73).

    A test's thread sees its own sessions. A thread no test runs in (one a test started, or a
    plugin's worker that runs one test's body in several threads, as pytest-run-parallel and
    pytest-freethreaded do) sees the one test running; with several running at once it cannot
    tell whose it is and says so rather than guess.
    """

    __test__ = False

    def __init__(self) -> None:
        self.mocks: list[WholeMock] = []
        self._lock = threading.Lock()
        self._threads: dict[int, TestRun | None] = {}
        self._running: list[TestRun] = []

    @contextmanager
    def running(self, name: str) -> Iterator[TestRun]:
        """A test runs in this thread until the block ends; every mock started so far gets
        its session now, so a request sent before the test first reads `.url` counts."""
        run = TestRun(name)
        thread = threading.get_ident()
        with self._lock:
            self._running.append(run)
            self._threads[thread] = run
            mocks = list(self.mocks)
        try:
            for mock in mocks:
                if mock.settings.journal:
                    run.session_of(mock)
            yield run
        finally:
            with self._lock:
                self._running.remove(run)
                self._threads.pop(thread, None)

    @contextmanager
    def outside(self) -> Iterator[None]:
        """This thread makes a fixture wider than a test: it sees the whole mock."""
        thread = threading.get_ident()
        with self._lock:
            before = self._threads.get(thread, _UNSET)
            self._threads[thread] = None
        try:
            yield
        finally:
            with self._lock:
                if before is _UNSET:
                    self._threads.pop(thread, None)
                else:
                    self._threads[thread] = before

    def view(self, mock: WholeMock) -> WholeMock | MockSession:
        if not mock.settings.journal:
            # Without the journal the mock has no sessions (the door that strips the prefix
            # is the journal's): the whole mock is all a test can be given.
            return mock
        thread = threading.get_ident()
        with self._lock:
            if thread in self._threads:
                run = self._threads[thread]
                return mock if run is None else run.session_of(mock)
            running = list(self._running)
        if not running:
            return mock
        if len(running) > 1:
            names = ", ".join(run.name for run in running)
            raise RuntimeError(
                f"stardust_mock: read from a thread that no test runs in while {len(running)} "
                f"tests run at once ({names}): it cannot tell whose session this is. Read "
                "stardust_mock.url in the test and give the thread the URL, or use "
                "stardust_mock.session(name) or stardust_mock.whole (C73)"
            )
        return running[0].session_of(mock)


_UNSET: Any = object()
# Every mock this pytest run started, and the tests running now.
TESTS = Tests()


def assert_behaved(
    verdict: Mapping[str, Any],
    url: str,
    elsewhere: Callable[[], str] = str,
    where: str | None = None,
) -> None:
    """Raise AssertionError listing every error and warning of a verdict, with its fix;
    `elsewhere()` says which of the requests judged did not come to `url`."""
    __tracebackhide__ = True
    if verdict["requests"] == 0:
        # No request, no PASS (C45): a client test that never reached the mock (a wrong base
        # URL, a mocked-out transport) must not pass as "behaved".
        raise AssertionError(
            "no request reached the mock: nothing to judge (is the client pointed at "
            f"{where or url}?)"
        )
    problems = [f for f in verdict["findings"] if f["severity"] in PROBLEMS]
    if not problems:
        return
    lines = [
        f"the client misused the API ({verdict['requests']} request(s) judged; "
        f"{url}{ADMIN_VERDICT}?format=html shows the verdict):"
    ]
    if note := elsewhere():
        lines.append("  " + note)
    for finding in problems:
        lines.append(f"  {finding['severity']} {finding['rule']}: {finding['message']}")
        lines.append(f"    fix: {finding['fix']} (see {finding.get('see', '')})")
    raise AssertionError("\n".join(lines))


def mock_settings(options: MockOptions, port: int) -> Settings:
    """The options as the mock will read them; a bad one fails here, naming the option."""
    from mockserver.cli import OptionError, settings_from_arguments

    arguments = ["--host", HOST, "--port", str(port), *options.command_line()]
    said = io.StringIO()
    try:
        # argparse writes what it refuses to stderr, then exits: kept for the one line below.
        with redirect_stderr(said):
            return settings_from_arguments(arguments, {**os.environ, **options.environment()})
    except OptionError as error:
        problem = str(error)
    except SystemExit:
        lines = [line for line in said.getvalue().splitlines() if line.strip()]
        problem = lines[-1] if lines else "the mock's arguments were refused"
    # One line naming the option, not a traceback of the fixture (the test is not at fault).
    pytest.fail(f"stardust_mock_options: {problem}", pytrace=False)


def start_mock(stack: ExitStack, options: MockOptions, log_path: Path) -> StardustMock:
    """`python -m mockserver` with `options` on a free loopback port, stopped with `stack`."""
    port = free_port()
    settings = mock_settings(options, port)
    command = [
        *(sys.executable, "-m", "mockserver", "--host", HOST, "--port", str(port)),
        *("--log-level", "warning", *options.command_line()),
    ]
    url = f"http://{HOST}:{port}"
    log = stack.enter_context(log_path.open("wb"))
    try:
        stack.enter_context(
            started(
                command,
                url + ADMIN_SPEC,
                env={**os.environ, **options.environment()},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    except ServerDidNotStart as error:
        output = log_path.read_text(errors="replace").strip()
        raise RuntimeError(f"stardust_mock did not start: {error}\n{output}") from None
    return StardustMock(WholeMock(url, url + PRODUCTION_PREFIX, settings, log_path))


@pytest.fixture(scope="session")
def stardust_mock_options() -> MockOptions:
    """The options of `stardust_mock`; override this fixture to change them."""
    return MockOptions()


@pytest.fixture(scope="session")
def stardust_mock_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[MockOptions], StardustMock]]:
    """Starts a mock per set of options, once; all are stopped at the end of the session."""
    running: dict[Any, StardustMock] = {}
    with ExitStack() as stack:

        def mock(options: MockOptions) -> StardustMock:
            cache_key = json.dumps([options.command_line(), sorted(options.signature_keys.items())])
            if cache_key not in running:
                log_path = tmp_path_factory.mktemp("stardust-mock") / "mock.log"
                running[cache_key] = start_mock(stack, options, log_path)
            return running[cache_key]

        yield mock


@pytest.fixture(scope="session")
def stardust_mock(
    stardust_mock_factory: Callable[[MockOptions], StardustMock],
    stardust_mock_options: MockOptions,
) -> StardustMock:
    """The mock on a free loopback port for the whole session, with `stardust_mock_options`."""
    return stardust_mock_factory(stardust_mock_options)


@pytest.fixture(scope="session")
def stardust_mock_app(stardust_mock_options: MockOptions) -> Any:
    """The mock as an ASGI app with `stardust_mock_options`, for in-process clients."""
    from mockserver.app import create_app

    return create_app(mock_settings(stardust_mock_options, 0))


@pytest.fixture(scope="session")
def stardust_mock_transport(stardust_mock_app: Any) -> Iterator[ThreadedASGITransport]:
    """A sync httpx transport to `stardust_mock_app`, for `httpx.Client(transport=...)`.

    One for the session, on an event loop of its own thread; a client closed on it leaves it
    running for the next.
    """
    from conformance.sync_asgi import ThreadedASGITransport

    transport = ThreadedASGITransport(stardust_mock_app)
    try:
        yield transport
    finally:
        transport.shutdown()


@pytest.fixture
def stardust_mock_client(
    stardust_mock_transport: ThreadedASGITransport,
) -> Iterator[httpx.Client]:
    """An `httpx.Client` on the in-process mock, its root `IN_PROCESS_URL`, for sync tests."""
    import httpx

    with httpx.Client(transport=stardust_mock_transport, base_url=IN_PROCESS_URL) as client:
        yield client


def session_name(node_name: str, counter: int) -> str:
    """A session name from a test's name: its letters and digits, made unique by a number."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", node_name).strip("-.")[:48] or "test"
    return f"t{counter}-{cleaned}"


_SESSIONS_GIVEN = itertools.count(1)
# A test that asks for one of these runs in a session of its own on every mock (C73).
_MOCK_FIXTURES = frozenset({"stardust_mock", "stardust_mock_factory", "stardust_session"})


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Iterator[Any]:
    """A fixture wider than a test (a session-scoped client, say) is made seeing the whole
    mock, even when the first test that needs it is running: its URL outlives that test."""
    if fixturedef.scope == "function":
        return (yield)
    with TESTS.outside():
        return (yield)


@pytest.fixture(autouse=True)
def stardust_test_session(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Each test that uses the mock runs in a session of its own (C73, D70): inside it
    `stardust_mock.url`, `.requests`, `.verdict()`, `.reset()` and `.assert_client_behaved()`
    are the test's alone, even when tests run at once in threads against one mock. Yields the
    session's name (None for a test that does not use the mock)."""
    if not _MOCK_FIXTURES & set(request.fixturenames):
        yield None
        return
    if "stardust_mock" in request.fixturenames:
        # Started before the test's session is opened, so that it gets one.
        request.getfixturevalue("stardust_mock")
    name = session_name(request.node.name, next(_SESSIONS_GIVEN))
    with TESTS.running(name):
        yield name


@pytest.fixture
def stardust_session(stardust_mock: StardustMock) -> MockSession:
    """This test's own session of the shared mock (C67, C73): what `stardust_mock` means
    inside the test, as a `MockSession`."""
    here = stardust_mock.here()
    if not isinstance(here, MockSession):
        # The one way here: a mock without sessions (C73).
        raise RuntimeError(
            "stardust_session: this mock runs with --no-journal, so it has no sessions"
        )
    return here
