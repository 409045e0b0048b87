"""`python -m conformance proxy`: the options of a proxy session, checked before it starts."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from conformance.artifacts import ReportDirError, check_writable
from conformance.proxy.checks import PROXY_CHECKS, PROXY_DESCRIPTIONS
from conformance.proxy.options import ProxyOptions
from conformance.proxy.serve import run
from mockserver.arguments import OneLineParser
from mockserver.cli import program

_DEFAULTS = {item.name: item.default for item in fields(ProxyOptions)}


def _default(name: str) -> Any:
    return _DEFAULTS[name]


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=f"{program('python -m conformance')} proxy",
        description=(
            "A validating proxy: forwards every request to --upstream unchanged and judges each "
            "answer against openapi.yaml and the contract's semantics across the traffic. "
            "Violations go in an X-Contract-Violations header and the log; on SIGINT/SIGTERM "
            "a summary and JUnit XML are written."
        ),
    )
    add = parser.add_argument
    add("--upstream", help="the server, e.g. http://host:port/rosetta-open (required)")
    add("--host", default=_default("host"), help="address to listen on (default %(default)s)")
    add(
        "--port",
        type=int,
        default=_default("port"),
        accepts="a port number from 1 to 65535",
        help="port (default %(default)s)",
    )
    add(
        "--http-200-errors",
        action="store_true",
        help="the upstream answers every business outcome with HTTP 200 (the code in the body)",
    )
    add(
        "--timezone",
        default=_default("timezone"),
        metavar="ZONE",
        help="IANA zone of the upstream's `date` and `createdTime` (default %(default)s)",
    )
    add(
        "--errors",
        action="store_true",
        help="answer 422 to a request the contract refuses instead of forwarding it (as Prism)",
    )
    add(
        "--fail-on-violation",
        action="store_true",
        help="exit 1 at the end if any violation was seen, 2 if too little was judged "
        "(--min-exchanges); for CI",
    )
    add(
        "--min-exchanges",
        type=int,
        default=_default("min_exchanges"),
        accepts="a whole number, 1 or more",
        metavar="N",
        help="exchanges of the operation to judge before the verdict can be PASS; fewer: "
        "INCONCLUSIVE, exit 2 with --fail-on-violation (default %(default)s)",
    )
    add(
        "--report-dir",
        type=Path,
        default=_default("report_dir"),
        help="where the summary and JUnit XML go (default %(default)s)",
    )
    add(
        "--upstream-timeout",
        type=float,
        default=_default("upstream_timeout"),
        accepts="a number of seconds above 0",
        help="seconds to wait for the upstream before answering 504 (default %(default)s)",
    )
    add(
        "--max-id-sets",
        type=int,
        default=_default("max_id_sets"),
        accepts="a whole number, 1 or more",
        help="ID sets whose count is remembered (default %(default)s)",
    )
    add(
        "--max-page-records",
        type=int,
        default=_default("max_page_records"),
        accepts="a whole number, 1 or more",
        help="records of remembered pages, all pages together (default %(default)s)",
    )
    add("--verbose", action="store_true", help="log every exchange with its latency")
    add("--list-checks", action="store_true", help="list the checks and exit")
    return parser


def options_from_arguments(
    parser: argparse.ArgumentParser, arguments: argparse.Namespace
) -> ProxyOptions:
    """The options, or exit 2 with a message naming the option that cannot be used."""
    upstream = (arguments.upstream or "").rstrip("/")
    if not upstream:
        parser.error("--upstream is required")
    problem = upstream_problem(upstream)
    if problem:
        parser.error(f"--upstream: {upstream!r} {problem}")
    if not 0 < arguments.port < 65536:
        parser.error(f"--port: {arguments.port} is not a TCP port")
    try:
        ZoneInfo(arguments.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        parser.error(f"--timezone: {arguments.timezone!r} is not an IANA time zone")
    for name in ("upstream_timeout", "max_id_sets", "max_page_records", "min_exchanges"):
        value = getattr(arguments, name)
        if not (value > 0 and math.isfinite(value)):
            parser.error(f"--{name.replace('_', '-')}: {value} is not a positive number")
    try:
        # The reports are written at exit: a folder that cannot take them stops the session
        # before it starts, not after hours of traffic (C58).
        check_writable(arguments.report_dir)
    except ReportDirError as error:
        parser.error(f"--report-dir: {error}")
    return ProxyOptions(
        upstream=upstream,
        host=arguments.host,
        port=arguments.port,
        http_200_errors=arguments.http_200_errors,
        timezone=arguments.timezone,
        errors=arguments.errors,
        fail_on_violation=arguments.fail_on_violation,
        min_exchanges=arguments.min_exchanges,
        report_dir=arguments.report_dir,
        upstream_timeout=arguments.upstream_timeout,
        max_id_sets=arguments.max_id_sets,
        max_page_records=arguments.max_page_records,
    )


def upstream_problem(upstream: str) -> str | None:
    """What makes `upstream` unusable as the server to forward to, or None."""
    try:
        parts = urlsplit(upstream)
        port = parts.port
    except ValueError as error:
        return f"is not a URL ({error})"
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "is not an http(s) URL (http://host:port, with a path prefix if any)"
    if port == 0:
        return "names port 0"
    if parts.query or parts.fragment:
        return "has a query or fragment; give the server's base URL, e.g. http://host:port"
    if parts.username is not None or parts.password is not None:
        return "carries credentials; clients send their own headers, forwarded unchanged"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.list_checks:
        print("\n".join(f"{name:30} {PROXY_DESCRIPTIONS[name]}" for name in PROXY_CHECKS))
        return 0
    options = options_from_arguments(parser, arguments)
    logging.basicConfig(
        stream=sys.stderr,
        format="%(message)s",
        level=logging.DEBUG if arguments.verbose else logging.INFO,
    )
    # httpx logs every request at INFO: the proxy's own lines say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return run(options)
