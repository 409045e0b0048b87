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

Each mock judges its client (D47, D48): `stardust_mock.reset()` empties its journal (a
session's mock is shared by all tests), `.requests` lists what the client sent,
`.verdict()` is the mock's verdict, and `.assert_client_behaved()` fails the test with every
error and warning, its rule's name and its fix. They call the mock's admin API over HTTP.

Only what every pytest run needs is imported here: the server's own modules are imported by
the fixtures that use them, so a client's test run pays nothing until it asks for the mock.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from conformance.launch import HOST, ServerDidNotStart, free_port, started
from contract import DEFAULT_FIXTURES, OPERATION_PATH, PRODUCTION_PREFIX

if TYPE_CHECKING:
    import httpx

    from conformance.sync_asgi import ThreadedASGITransport
    from mockserver.config import Settings

__all__ = ["IN_PROCESS_URL", "MockOptions", "MockSession", "StardustMock"]

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
    """What a mock and each of its sessions answer alike: the journal, the verdict, and the
    assertion on it; each reads them under its own base URL through its `_admin`."""

    # Given by each class below (a dataclass field, a property): declared here for the checker
    # only, since a property on this base would shadow the dataclass's field.
    if TYPE_CHECKING:

        @property
        def url(self) -> str: ...

        def _admin(self, method: str, path: str, body: Any = None) -> httpx.Response: ...

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal's entries, oldest first (the newest --journal-size of them)."""
        entries: list[dict[str, Any]] = self._admin("GET", ADMIN_REQUESTS).json()["requests"]
        return entries

    def verdict(self) -> dict[str, Any]:
        """`{"verdict", "requests": N, "findings": [{"rule", "severity", "message", "fix",
        "see", "requests"}]}`"""
        verdict: dict[str, Any] = self._admin("GET", ADMIN_VERDICT).json()
        return verdict

    def assert_client_behaved(self) -> None:
        """Raise AssertionError listing every error and warning, with its rule and its fix."""
        # pytest shows the client's test, not this frame.
        __tracebackhide__ = True
        assert_behaved(self.verdict(), self.url)


@dataclass(frozen=True)
class StardustMock(_Journal):
    """A running mock: where it answers, and the settings it was started with."""

    url: str
    prefix_url: str
    settings: Settings
    log_path: Path

    @property
    def operation_url(self) -> str:
        return self.url + OPERATION_PATH

    def _admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        if not self.settings.journal:
            raise RuntimeError(
                "stardust_mock: this mock was started with --no-journal, so it keeps no "
                "journal to read or judge"
            )
        response = httpx.request(method, self.url + path, timeout=30)
        response.raise_for_status()
        return response

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

        with httpx.Client(base_url=self.url, timeout=60) as http:
            examiner = Examiner(http, self.url, max_attempts or MAX_ATTEMPTS)
            report = examiner.exam(choose(lessons), exit_status).to_json()
        if report["failed"]:
            raise AssertionError("the client failed the exam:\n" + render_text(report))
        return report

    def session(self, name: str) -> MockSession:
        """The mock under `/__session/NAME/` (D70): a journal, verdict, scenarios and clock of
        its own, for one test among many sharing this mock."""
        if not SESSION_NAME.fullmatch(name):
            raise ValueError(f"session name {name!r}: 1-64 letters, digits, '.', '_' or '-'")
        return MockSession(self, name)


@dataclass(frozen=True)
class MockSession(_Journal):
    """One session of a running mock; give the client `.url` as its base URL."""

    mock: StardustMock
    name: str

    @property
    def url(self) -> str:
        return f"{self.mock.url}/__session/{self.name}"

    @property
    def prefix_url(self) -> str:
        return self.url + PRODUCTION_PREFIX

    def _admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        if not self.mock.settings.journal:
            raise RuntimeError("stardust_mock: this mock was started with --no-journal")
        response = httpx.request(method, self.url + path, json=body, timeout=30)
        if response.status_code >= 400:
            raise RuntimeError(f"stardust_mock: {method} {path}: {response.text}")
        return response

    def reset(self) -> None:
        """A fresh session: its journal view emptied, its scenarios removed, its clock real."""
        self._admin("DELETE", ADMIN_REQUESTS)
        self._admin("DELETE", ADMIN_SCENARIOS)
        self._admin("PUT", ADMIN_CLOCK, {"reset": True})

    def add_scenario(self, scenario: Mapping[str, Any]) -> None:
        """Set a scenario for this session (D67), e.g. `{"name": "x", "answer": 5000}`."""
        self._admin("POST", ADMIN_SCENARIOS, dict(scenario))

    def set_clock(self, setting: Mapping[str, Any]) -> dict[str, Any]:
        """`PUT /__mock/clock` for this session (D69): reset, freeze, set, advance."""
        clock: dict[str, Any] = self._admin("PUT", ADMIN_CLOCK, dict(setting)).json()
        return clock


def assert_behaved(verdict: Mapping[str, Any], url: str) -> None:
    """Raise AssertionError listing every error and warning of a verdict, with its fix."""
    __tracebackhide__ = True
    if verdict["requests"] == 0:
        # No request, no PASS (C45): a client test that never reached the mock (a wrong base
        # URL, a mocked-out transport) must not pass as "behaved".
        raise AssertionError(
            f"no request reached the mock: nothing to judge (is the client pointed at {url}?)"
        )
    problems = [f for f in verdict["findings"] if f["severity"] in PROBLEMS]
    if not problems:
        return
    lines = [
        f"the client misused the API ({verdict['requests']} request(s) judged; "
        f"{url}{ADMIN_VERDICT}?format=html shows the verdict):"
    ]
    for finding in problems:
        lines.append(f"  {finding['severity']} {finding['rule']}: {finding['message']}")
        lines.append(f"    fix: {finding['fix']} (see {finding.get('see', '')})")
    raise AssertionError("\n".join(lines))


def mock_settings(options: MockOptions, port: int) -> Settings:
    """The options as the mock will read them; a bad one fails here, naming the option."""
    from mockserver.cli import OptionError, settings_from_arguments

    arguments = ["--host", HOST, "--port", str(port), *options.command_line()]
    try:
        return settings_from_arguments(arguments, {**os.environ, **options.environment()})
    except OptionError as error:
        raise pytest.UsageError(f"stardust_mock_options: {error}") from None


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
    return StardustMock(url, url + PRODUCTION_PREFIX, settings, log_path)


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


_SESSIONS_GIVEN = [0]


@pytest.fixture
def stardust_session(stardust_mock: StardustMock, request: pytest.FixtureRequest) -> MockSession:
    """This test's own session of the shared mock (D70, C67): its `.url` is the client's base
    URL, and its journal, verdict, scenarios and clock are this test's alone, even when tests
    run at once in threads against one mock."""
    _SESSIONS_GIVEN[0] += 1
    return stardust_mock.session(session_name(request.node.name, _SESSIONS_GIVEN[0]))
