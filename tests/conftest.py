"""Fixtures shared by the tests: the mock in-process by default, a real process only when slow.

- `client`: the mock with default Settings, in-process (seed 1, `fixtures/`), shared by a
  session. Use it for anything a default mock answers.
- `make_client(**settings, clock=, request_ids=, now_ms=)`: a fresh in-process mock with some
  Settings replaced and seams injected, e.g. `make_client(seed=2)` or
  `make_client(timezone="Asia/Shanghai", clock=lambda: 0.0)`.
- `mock`: the mock as a real process on a free loopback port, for tests that need the real
  HTTP layer; such a test is `@pytest.mark.slow`.

A test that starts a process without the `slow` mark fails (see `pytest_runtest_setup`), so
`make test-fast` stays fast and the marks stay true.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest

from tests.support.inprocess import ClientFactory, in_process, settings_with
from tests.support.servers import RunningServer, mock_server


@pytest.fixture(scope="session")
def client() -> Iterator[httpx.Client]:
    """The mock with its default options, in-process."""
    with in_process() as http:
        yield http


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """A factory of in-process mocks: Settings overrides and seams as keyword arguments."""
    with ExitStack() as stack:

        def make(**options: Any) -> httpx.Client:
            seams = {k: options.pop(k) for k in ("clock", "request_ids", "now_ms") if k in options}
            return stack.enter_context(in_process(settings_with(**options), **seams))

        yield make


@pytest.fixture(scope="session")
def mock() -> Iterator[RunningServer]:
    """The mock with its default options as a real process (seed 1, fixtures/), on a free port."""
    with mock_server() as server:
        yield server


class ProcessInFastTest(RuntimeError):
    """A test without the `slow` mark tried to start a process."""


@contextmanager
def _processes_allowed(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("slow") is not None:
        yield
        return
    original = subprocess.Popen.__init__

    def refuse(self: subprocess.Popen[Any], args: Any, *rest: Any, **options: Any) -> None:
        raise ProcessInFastTest(
            f"{item.nodeid} starts a process ({args!r}): mark it @pytest.mark.slow, "
            "or use the in-process `client`/`make_client` fixtures"
        )

    subprocess.Popen.__init__ = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        subprocess.Popen.__init__ = original  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    # Setup too: a session fixture such as `mock` starts its process in the first test using it.
    with _processes_allowed(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _processes_allowed(item):
        return (yield)
