"""`python -m mockserver`: serve the mock with uvicorn."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys
from collections.abc import Sequence
from typing import cast

import uvicorn
from starlette.types import ASGIApp

from mockserver.app import create_app
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


def worker_app() -> AsyncApp:
    """App factory for uvicorn's worker processes: the settings come from the parent."""
    return create_app(settings_from_environment(os.environ[SETTINGS_VARIABLE]))


def serve(app: ASGIApp | str, settings: Settings) -> None:
    """Run uvicorn on an app, or on an app factory's import path (for several workers).

    The benchmark's ceiling is served through here too, so both run under the same options and
    the same HTTP protocol.
    """
    # uvicorn calls `http` as it would a protocol class; a partial of an importable class is
    # pickled by reference, so worker processes get the same protocol and options.
    protocol = functools.partial(HeadLimitedProtocol, head_timeout=settings.head_timeout)
    uvicorn.run(
        app,
        factory=isinstance(app, str),
        workers=settings.workers if isinstance(app, str) else None,
        host=settings.host,
        port=settings.port,
        http=cast("type[asyncio.Protocol]", protocol),
        log_level=settings.log_level,
        access_log=settings.access_log,
        timeout_graceful_shutdown=10,
    )


def main(arguments: Sequence[str] | None = None) -> int:
    try:
        settings = settings_from_arguments(arguments)
        # Built once here even with several workers, so a bad fixture stops start-up at once.
        app = create_app(settings)
    except (OptionError, FixtureError) as error:
        print(f"mockserver: error: {error}", file=sys.stderr)
        return 2
    loopback = settings.host in {"127.0.0.1", "localhost", "::1"}
    exposure = "loopback only" if loopback else "EXPOSED to the network"
    signatures = "verified" if settings.signature_keys else "not checked"
    print(
        f"mockserver: serving GET /statistics/record and /rosetta-open/statistics/record on "
        f"http://{settings.host}:{settings.port or '(free port)'} ({exposure}; --host changes it), "
        f"seed {settings.seed}, {settings.workers} worker(s), signatures {signatures}",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn re-raises the signal that stopped it once it has drained the requests in flight;
    # with the default handler that re-raise kills the process (exit -15) after a clean
    # shutdown. A no-op handler makes SIGTERM end in `return 0`, as supervisors expect.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: None)
    if settings.workers > 1:
        os.environ[SETTINGS_VARIABLE] = settings_to_environment(settings)
        serve("mockserver.__main__:worker_app", settings)
    else:
        serve(app, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
