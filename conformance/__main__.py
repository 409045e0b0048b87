"""`python -m conformance`: check a server of GET /statistics/record against openapi.yaml."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from conformance.catalog import ALL_CHECKS
from conformance.config import PHASES, Options
from conformance.launch import ServerDidNotStart
from conformance.local_mock import DEFAULT_FIXTURES, local_mock
from conformance.preflight import Unusable
from conformance.registry import REGISTRY
from conformance.report import summary
from conformance.runner import JUNIT_NAME, run
from mockserver.cli import program

ACCESS_KEY_VARIABLE = "STARDUST_ACCESS_KEY"
SECRET_KEY_VARIABLE = "STARDUST_SECRET_KEY"


class OptionError(ValueError):
    """An option that cannot be used; the message names it."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=program("python -m conformance"),
        description=(
            "Conformance suite of GET /statistics/record: Schemathesis's checks and the "
            "contract's envelope and semantic rules. Without --base-url it starts the mock "
            "and checks it with the IDs of its fixtures. Exit status 0: conforms; 1: does not; "
            "2: could not judge (nothing listening, wrong prefix, TLS, refused keys, bad option). "
            "`python -m conformance proxy --help`: the validating proxy; "
            "`python -m conformance client-verdict --help`: a client judged from HAR files."
        ),
    )
    add = parser.add_argument
    add(
        "--base-url", help="server to check, e.g. http://host:port/rosetta-open (default: the mock)"
    )
    add(
        "--known-id",
        action="append",
        default=[],
        metavar="ID",
        help="an annotation request ID the server knows (repeatable; commas separate IDs)",
    )
    add("--known-ids-file", type=Path, metavar="FILE", help="file of known IDs, one a line")
    add(
        "--unknown-id",
        action="append",
        default=[],
        metavar="ID",
        help="an ID the server must answer with 53003 (repeatable; commas separate IDs)",
    )
    add("--unknown-ids-file", type=Path, metavar="FILE", help="file of unknown IDs, one a line")
    add(
        "--exclude-check",
        action="append",
        default=[],
        metavar="NAME",
        choices=ALL_CHECKS,
        help="switch a check off, for servers known to differ (repeatable); see --list-checks",
    )
    add(
        "--http-200-errors",
        action="store_true",
        help="the server answers every business outcome with HTTP 200 (the code in the body)",
    )
    add("--access-key", help=f"access key: sign every request (also ${ACCESS_KEY_VARIABLE})")
    add("--secret-key", help=f"secret key for signing (also ${SECRET_KEY_VARIABLE})")
    add(
        "--phase",
        action="append",
        choices=PHASES,
        help="run only this phase (repeatable; default: both)",
    )
    default = Options.default
    add(
        "--max-examples",
        type=int,
        default=default("max_examples"),
        help="Schemathesis examples per phase (default %(default)s)",
    )
    add(
        "--report-dir",
        type=Path,
        default=default("report_dir"),
        help="where the JUnit XML and the summary go (default %(default)s)",
    )
    add(
        "--timeout",
        type=float,
        default=default("timeout_seconds"),
        help="per-request timeout in seconds (default %(default)s)",
    )
    add(
        "--timezone",
        default=default("timezone"),
        metavar="ZONE",
        help="IANA zone the server writes `date` and `createdTime` in (default %(default)s)",
    )
    add(
        "--strict",
        action="store_true",
        default=default("strict"),
        help="a check that did not run fails the run (for CI; STRICT=1 make conformance)",
    )
    add(
        "--fixtures",
        type=Path,
        default=DEFAULT_FIXTURES,
        help="fixture folder of the mock started without --base-url (default: the shipped ones)",
    )
    add("--seed", type=int, default=1, help="seed of the mock started without --base-url")
    add("--list-checks", action="store_true", help="list the checks and exit")
    return parser


def _ids(values: Iterable[str], file: Path | None, option: str) -> tuple[str, ...]:
    items = [part for value in values for part in value.split(",")]
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as error:
            raise OptionError(f"{option}-file: {file}: {error.strerror}") from None
        items += [line.strip() for line in text.splitlines() if line.strip()]
    items = [item.strip() for item in items if item.strip() and not item.startswith("#")]
    return tuple(dict.fromkeys(items))


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OptionError(f"--timezone: {name!r} is not an IANA zone name") from None
    return name


def options_from_arguments(
    arguments: argparse.Namespace, environment: Mapping[str, str]
) -> Options:
    access_key = arguments.access_key or environment.get(ACCESS_KEY_VARIABLE) or None
    secret_key = arguments.secret_key or environment.get(SECRET_KEY_VARIABLE) or None
    if bool(access_key) != bool(secret_key):
        raise OptionError("--access-key and --secret-key go together")
    if arguments.max_examples < 1:
        raise OptionError(f"--max-examples: {arguments.max_examples} is not positive")
    base_url = arguments.base_url.rstrip("/") if arguments.base_url else ""
    if base_url and not base_url.startswith(("http://", "https://")):
        raise OptionError(f"--base-url: {base_url!r} is not an http(s) URL")
    return Options(
        base_url=base_url,
        known_ids=_ids(arguments.known_id, arguments.known_ids_file, "--known-ids"),
        unknown_ids=_ids(arguments.unknown_id, arguments.unknown_ids_file, "--unknown-ids"),
        excluded=frozenset(arguments.exclude_check),
        http_200_errors=arguments.http_200_errors,
        access_key=access_key,
        secret_key=secret_key,
        report_dir=arguments.report_dir,
        max_examples=arguments.max_examples,
        phases=tuple(arguments.phase or PHASES),
        timeout_seconds=arguments.timeout,
        strict=arguments.strict,
        timezone=_zone(arguments.timezone),
    )


def main(argv: Sequence[str] | None = None, environment: Mapping[str, str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["proxy"]:
        # The validating proxy, a subcommand; the suite's own form stays as it was.
        from conformance.proxy.cli import main as proxy_main

        return proxy_main(argv[1:])
    if argv[:1] == ["client-verdict"]:
        # A client judged from HAR files (clientjudge/), a subcommand like the proxy.
        from clientjudge.cli import main as verdict_main

        return verdict_main(argv[1:], prog=program("python -m conformance client-verdict"))
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.list_checks:
        for name in ALL_CHECKS:
            entry = REGISTRY[name]
            print(f"{name:32} {entry.kind:12} {entry.description}")
        return 0
    try:
        options = options_from_arguments(
            arguments, os.environ if environment is None else environment
        )
    except OptionError as error:
        parser.error(str(error))
    with ExitStack() as stack:
        if not options.base_url:
            try:
                mock = stack.enter_context(
                    local_mock(arguments.seed, arguments.fixtures, options.http_200_errors)
                )
            except ServerDidNotStart as error:
                print(f"conformance: error: the mock did not start: {error}", file=sys.stderr)
                return 2
            print(f"conformance: started the mock at {mock.base_url}", file=sys.stderr)
            options = replace(
                options,
                base_url=mock.base_url,
                known_ids=options.known_ids or mock.known_ids,
                unknown_ids=options.unknown_ids or mock.unknown_ids,
            )
        try:
            verdict = run(options)
        except Unusable as error:
            print(f"conformance: error: {error}", file=sys.stderr)
            return 2
    print(summary(verdict))
    print(f"JUnit XML: {options.report_dir / JUNIT_NAME}")
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
