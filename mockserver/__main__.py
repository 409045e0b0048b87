"""`python -m mockserver`: serve the mock with uvicorn."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import cast

import uvicorn
from starlette.types import ASGIApp
from uvicorn.supervisors.multiprocess import Multiprocess

from mockserver.access_log import with_access_log
from mockserver.admin import exit_verdict
from mockserver.app import create_app, journal_of
from mockserver.cli import (
    SETTINGS_VARIABLE,
    OptionError,
    settings_from_arguments,
    settings_from_environment,
    settings_to_environment,
)
from mockserver.config import Settings
from mockserver.connexion_door import AsyncApp
from mockserver.fixtures import FixtureError
from mockserver.http_limits import HeadLimitedProtocol
from mockserver.journal import Journal
from mockserver.listen import CannotListen, listen
from mockserver.provocations import ScenarioError
from mockserver.shared_journal import SharedJournal

# uvicorn's exit code when the app failed to start (its lifespan failed).
STARTUP_FAILURE = 3
# The shared journal's file, for worker processes (D47).
JOURNAL_VARIABLE = "MOCKSERVER_JOURNAL"


def worker_app() -> ASGIApp:
    """App factory for uvicorn's worker processes: the settings come from the parent."""
    settings = settings_from_environment(os.environ[SETTINGS_VARIABLE])
    journal_file = os.environ.get(JOURNAL_VARIABLE)
    journal = SharedJournal(Path(journal_file)) if journal_file else None
    app = create_app(settings, journal=journal)
    return with_access_log(app, settings.access_log, settings.log_level)


@contextmanager
def shared_journal(settings: Settings) -> Iterator[SharedJournal]:
    """The workers' one journal, in a folder of the parent's, removed when the mock stops."""
    with tempfile.TemporaryDirectory(prefix="stardust-mock-journal-") as folder:
        journal = SharedJournal.create(Path(folder), settings.journal_size)
        os.environ[JOURNAL_VARIABLE] = str(journal.path)
        try:
            yield journal
        finally:
            journal.close()


def serve(
    app: ASGIApp | str,
    settings: Settings,
    on_listening: Callable[[int], None] | None = None,
) -> None:
    """Run uvicorn on an app, or on an app factory's import path (for several workers).

    The socket is opened here, before uvicorn starts, and `on_listening` is told its port once
    it accepts connections (D41); a port that cannot be listened on raises CannotListen. The
    benchmark's ceiling is served through here too, so both run under the same options and
    the same HTTP protocol.
    """
    sock = listen(settings.host, settings.port)
    if not isinstance(app, str):
        app = with_access_log(app, settings.access_log, settings.log_level)
    # uvicorn calls `http` as it would a protocol class; a partial of an importable class is
    # pickled by reference, so worker processes get the same protocol and options.
    protocol = functools.partial(HeadLimitedProtocol, head_timeout=settings.head_timeout)
    config = uvicorn.Config(
        app,
        factory=isinstance(app, str),
        workers=settings.workers if isinstance(app, str) else None,
        host=settings.host,
        port=sock.getsockname()[1],
        http=cast("type[asyncio.Protocol]", protocol),
        log_level=settings.log_level,
        # The access log is ours (mockserver/access_log.py, D62): uvicorn's is never on.
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    if on_listening is not None:
        on_listening(sock.getsockname()[1])
    # What uvicorn.run does after binding its own socket: Ctrl-C (re-raised by uvicorn once it
    # has shut down) ends the run quietly.
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[sock]).run()
            return
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        return
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def start_up_line(settings: Settings, port: int) -> str:
    loopback = settings.host in {"127.0.0.1", "localhost", "::1"}
    exposure = "loopback only" if loopback else "EXPOSED to the network"
    signatures = "verified" if settings.signature_keys else "not checked"
    return (
        f"mockserver: serving GET /statistics/record and /rosetta-open/statistics/record on "
        f"http://{settings.host}:{port} ({exposure}; --host changes it), "
        f"seed {settings.seed}, {settings.workers} worker(s), signatures {signatures}"
    )


def main(arguments: Sequence[str] | None = None) -> int:
    try:
        settings = settings_from_arguments(arguments)
        # Built once here even with several workers, so a bad fixture stops start-up at once.
        app = create_app(settings)
    except (OptionError, FixtureError, ScenarioError) as error:
        print(f"mockserver: error: {error}", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        journal = journal_of(app)
        if journal is not None and settings.workers > 1:
            journal = stack.enter_context(shared_journal(settings))
        return run(app, settings, journal)


def run(app: AsyncApp, settings: Settings, journal: Journal | None) -> int:
    """Serve until stopped; then the verdict on the client, if any request came (D47)."""

    def announce(port: int) -> None:
        print(start_up_line(settings, port), file=sys.stderr, flush=True)

    # uvicorn re-raises the signal that stopped it once it has drained the requests in flight;
    # with the default handler that re-raise kills the process (exit -15) after a clean
    # shutdown. A no-op handler makes SIGTERM end in `return 0`, as supervisors expect.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: None)
    if settings.workers > 1:
        os.environ[SETTINGS_VARIABLE] = settings_to_environment(settings)
    try:
        serve("mockserver.__main__:worker_app" if settings.workers > 1 else app, settings, announce)
    except CannotListen as error:
        print(f"mockserver: error: {error}", file=sys.stderr)
        return 2
    if journal is not None:
        verdict = exit_verdict(journal)
        if verdict:
            print(verdict, file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
