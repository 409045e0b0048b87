"""A proxy session: uvicorn serving the app until SIGINT or SIGTERM, then the reports.

uvicorn drains in-flight requests on either signal, then raises the signal again so that the
process ends as the signal's default would; the no-op handlers installed first are what it
restores, so the session lives on to write its summary and choose its exit status.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from types import FrameType

import uvicorn

from conformance.artifacts import REPORT_NAME
from conformance.evidence import EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_PASS, exit_status
from conformance.proxy.app import ProxyApp
from conformance.proxy.options import ProxyOptions
from conformance.proxy.tally import JUNIT_NAME, Tally

# 2 is also a session that judged too little for a PASS (C45), as the conformance run's.
EXIT_VIOLATIONS, EXIT_CANNOT_START = EXIT_FAIL, EXIT_INCONCLUSIVE
__all__ = ["EXIT_CANNOT_START", "EXIT_PASS", "EXIT_VIOLATIONS", "finish", "run"]


def _keep_running(signum: int, frame: FrameType | None) -> None:
    """Replaced by uvicorn's handler while it serves; called once more as it hands back."""


def config(options: ProxyOptions, app: ProxyApp) -> uvicorn.Config:
    # No Server or Date header of uvicorn's own: the upstream's pass through unchanged.
    return uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
        date_header=False,
        # X-Forwarded-* are the client's headers, forwarded as they are; uvicorn's middleware
        # reading them cost a call per request (docs/performance.md).
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )


def run(options: ProxyOptions) -> int:
    app = ProxyApp(options)
    server = uvicorn.Server(config(options, app))
    for handled in (signal.SIGINT, signal.SIGTERM):
        signal.signal(handled, _keep_running)
    print(
        f"proxy: http://{options.host}:{options.port} -> {options.upstream}; "
        "stop with Ctrl-C (SIGINT) or SIGTERM for the summary",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn exits when it cannot bind; `started` says so below.
    with contextlib.suppress(SystemExit):
        server.run()
    if not server.started:
        print(
            f"proxy: error: --port {options.port}: could not listen on {options.host}",
            file=sys.stderr,
        )
        return EXIT_CANNOT_START
    return finish(options, app.tally)


def finish(options: ProxyOptions, tally: Tally) -> int:
    """The reports written and printed; the exit status of the session."""
    verdict, text = tally.write(options.report_dir)
    coverage = tally.write_pages(options.report_dir, verdict)
    print(text)
    print("\n".join(coverage))
    print(f"JUnit XML: {options.report_dir / JUNIT_NAME}")
    print(f"Report: {options.report_dir / REPORT_NAME}", flush=True)
    # A violation exits 1, a session that judged too little 2 (C45); without the flag, 0.
    return exit_status(verdict.word) if options.fail_on_violation else EXIT_PASS
