"""Fixtures shared by the tests: the mock in-process by default, a real process only when slow.

- `client`: the mock with default Settings, in-process (seed 1, `fixtures/`), shared by a
  session. Use it for anything a default mock answers.
- `make_client(**settings, clock=, request_ids=, now_ms=, client=)`: a fresh in-process mock
  with some Settings replaced and seams injected (`client`: the address requests come from),
  e.g. `make_client(seed=2)` or
  `make_client(timezone="Asia/Shanghai", clock=lambda: 0.0)`.
- `mock`: the mock as a real process on a free loopback port, for tests that need the real
  HTTP layer; such a test is `@pytest.mark.slow`.

A test that starts a process without the `slow` mark fails (see `pytest_runtest_setup`), so
`make test-fast` stays fast and the marks stay true.
"""

from __future__ import annotations

import gc
import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# The app and the server helpers are imported by the fixtures that use them: xdist's controller
# loads this file too, before any worker starts, and runs no test.
if TYPE_CHECKING:
    import httpx

    from tests.support.inprocess import ClientFactory
    from tests.support.servers import RunningServer

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # Every Schemathesis run (`st run`, a child process) works in a fresh report folder, where
    # Hypothesis would rebuild its caches (the Unicode tables, the constants of our modules):
    # over a second of CPU per run, a quarter of `make test`'s conformance file. One folder for
    # all of them, the one this process uses too; Hypothesis writes its caches atomically, so
    # workers and children may share it. Their children inherit the variable.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(ROOT / ".hypothesis"))


# The files that take longest, first. `make test` spreads whole files over the cores (xdist's
# --dist loadfile) in collection order (--no-loadscope-reorder; xdist would otherwise start
# with the files of most tests): a long file handed out last runs alone at the end while the
# other core idles. Every file over a second, by its time in a `make test` run (2026-11-29);
# the rest keep their order.
LONGEST_FIRST = (
    "test_conformance.py",
    "test_install.py",
    "test_http_limits.py",
    "test_proxy.py",
    "test_faults.py",
    "test_first_hour.py",
    # node against a mock (estimated, 2026-12-06: the machine was too busy to time it).
    "test_client_developers.py",
    "test_soak.py",
    "test_robustness.py",
    "test_workers.py",
    # Chromium's start, and matplotlib's import and charts (measured 2026-12-06, busy machine).
    "test_pages_in_browser.py",
    "test_bench_charts.py",
    "test_soak_charts.py",
    "test_generator.py",
    "test_negative_schemathesis.py",
    "test_signatures.py",
    "test_cors_drill_variant.py",
    "test_determinism.py",
    "test_generated_client.py",
    "test_server.py",
    "test_store.py",
    "test_clientjudge_reference_clients.py",
    # Issue 20's in-process journal and admin tests, about 1.5 s each (2026-12-06, -n 0).
    "test_admin.py",
    "test_recording.py",
    # Issue 26: the exam CLI's real exam (8 s wall, -n 0, a loaded machine) and the lessons
    # proven with reference clients (about 3 s of CPU, 2026-12-06).
    "test_clientjudge_exam_cli.py",
    "test_clientjudge_exam.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_collection_finish(session: pytest.Session) -> None:
    # What collection imported (Schemathesis, Hypothesis, Connexion, the tests) lives until the
    # end: out of the collector's way, every full collection no longer walks it. In the
    # conformance and proxy tests, this halved the time spent collecting garbage (2.2 to 1.2 s).
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def client() -> Iterator[httpx.Client]:
    """The mock with its default options, in-process."""
    from tests.support.inprocess import in_process

    with in_process() as http:
        yield http


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """A factory of in-process mocks: Settings overrides and seams as keyword arguments."""
    from tests.support.inprocess import in_process, settings_with

    with ExitStack() as stack:

        def make(**options: Any) -> httpx.Client:
            seams = {
                k: options.pop(k)
                for k in ("clock", "request_ids", "now_ms", "client")
                if k in options
            }
            return stack.enter_context(in_process(settings_with(**options), **seams))

        yield make


@pytest.fixture(scope="session")
def mock() -> Iterator[RunningServer]:
    """The mock with its default options as a real process (seed 1, fixtures/), on a free port."""
    from tests.support.servers import mock_server

    with mock_server() as server:
        yield server


class ProcessInFastTest(RuntimeError):
    """A test without the `slow` mark tried to start a process."""


@contextmanager
def _processes_allowed(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("slow") is not None or item.get_closest_marker("heavy"):
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
