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
    # Seconds each file took in a `make test` run on a quiet machine (2026-12-06, 04:50 UTC,
    # `--durations=0` summed by file), longest first.
    "test_conformance.py",  # 26
    "test_install.py",  # 10
    "test_proxy.py",  # 9.9
    "test_http_limits.py",  # 9.3
    "test_faults.py",  # 5.6
    "test_workers.py",  # 3.2
    "test_first_hour.py",  # 3.1
    "test_generator.py",  # 2.7
    # 1.3 then, plus the impatient client's 0.6 s wait on the slow page and two more bad
    # clients (issue 26's audit, 05:40 UTC; not measured quiet).
    "test_clientjudge_exam.py",  # ~2.1
    "test_pages_in_browser.py",  # 2.3
    "test_bench_charts.py",  # 1.8
    "test_client_developers.py",  # 1.7
    "test_cors_drill_variant.py",  # 1.5
    "test_access_log.py",  # 1.4
    "test_store.py",  # 1.1
    "test_signatures.py",  # 1.1
    "test_clientjudge_reference_clients.py",  # 1.1
    "test_determinism.py",  # 1.0
    "test_generated_client.py",  # 1.0
    "test_negative_schemathesis.py",  # 1.0
    "test_architecture.py",  # 0.9
    # The plugin's sessions in-process and a pytester run (C73): the file alone took 1.7 s of
    # CPU under /usr/bin/time, tests/test_page.py's whole run (start and imports) 0.95 s
    # (05:40 UTC, a shared machine).
    "test_pytest_plugin.py",  # ~0.8
    "test_server.py",  # 0.9
    "test_provocations.py",  # 0.7
    "test_install_lock.py",  # 0.7
    "test_progress.py",  # 0.6
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
