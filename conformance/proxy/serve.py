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
from conformance.proxy.app import ProxyApp
from conformance.proxy.options import ProxyOptions
from conformance.proxy.tally import JUNIT_NAME

EXIT_PASS, EXIT_VIOLATIONS, EXIT_CANNOT_START = 0, 1, 2


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
    verdict, text = app.tally.write(options.report_dir)
    coverage = app.tally.write_pages(options.report_dir, verdict)
    print(text)
    print("\n".join(coverage))
    print(f"JUnit XML: {options.report_dir / JUNIT_NAME}")
    print(f"Report: {options.report_dir / REPORT_NAME}", flush=True)
    if options.fail_on_violation and not verdict.passed:
        return EXIT_VIOLATIONS
    return EXIT_PASS
