"""Command line to Settings, and Settings across worker processes: the process's only edge."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from mockserver.arguments import OneLineParser
from mockserver.config import WRITER_CHOICES, Settings
from mockserver.cors import is_origin
from mockserver.drill import DRILLS, DrillError, parse_drills
from mockserver.zones import UnknownZone, zone

SETTINGS_VARIABLE = "MOCKSERVER_SETTINGS"
KEYS_VARIABLE = "MOCKSERVER_SIGNATURE_KEYS"
# Which loop writes records (D81): no option, since the answers are the same; a benchmark or a
# suspicion of the compiled loop sets it.
WRITER_VARIABLE = "MOCKSERVER_RECORD_WRITER"


# Every default lives in Settings; the parser reads them from here.
DEFAULTS = Settings()
LOG_LEVELS = ["critical", "error", "warning", "info", "debug"]
# About 1.5 GB of journal (docs/operators.md gives the measured size of an entry).
MAX_JOURNAL_SIZE = 1_000_000


class OptionError(ValueError):
    """A command-line option that cannot be used."""


def program(module_form: str) -> str:
    """The command as the user typed it: the console script's name, or `python -m ...`."""
    script = Path(sys.argv[0]).name
    return script if script.startswith("stardust-") else module_form


def build_parser(defaults: Settings = DEFAULTS) -> argparse.ArgumentParser:
    """The options; every default is read from `defaults` (Settings' own), never repeated."""
    d = defaults
    parser = OneLineParser(
        prog=program("python -m mockserver"),
        description=(
            "Mock of the Stardust GET /statistics/record API, driven by openapi.yaml. "
            "Records are deterministic: the same --seed and request give the same data."
        ),
    )
    add = parser.add_argument
    add("--host", default=d.host, help="address to bind (default %(default)s: this machine only)")
    add(
        "--port",
        type=int,
        default=d.port,
        accepts="a port number from 0 to 65535",
        help="port to listen on (default %(default)s; 0 picks a free one)",
    )
    add(
        "--seed",
        type=int,
        default=d.seed,
        accepts="a whole number",
        help="seed of the generated data (default %(default)s)",
    )
    add(
        "--fixtures",
        type=Path,
        default=d.fixtures,
        help="folder of fixture files (default: the shipped ones, fixtures/ of a checkout)",
    )
    add(
        "--no-fixtures",
        action="store_true",
        default=d.fixtures is None,
        help="load no fixture files",
    )
    add(
        "--fixtures-only",
        action="store_true",
        default=d.fixtures_only,
        help="only fixture IDs exist; any other answers 53003",
    )
    add(
        "--http-200-errors",
        action="store_true",
        default=d.http_200_errors,
        help="answer every business outcome with HTTP 200 (the code stays in the body)",
    )
    add(
        "--fault-rate",
        type=float,
        default=d.fault_rate,
        accepts="a number from 0 to 1",
        help="share of requests answered 5000, 0..1 (default %(default)s)",
    )
    add(
        "--latency-ms",
        type=int,
        default=d.latency_ms,
        accepts="a whole number of milliseconds from 0 to 60000",
        help="latency added to every answer, in ms (default %(default)s)",
    )
    add(
        "--workers",
        type=int,
        default=d.workers,
        accepts="a whole number from 1 to 64",
        help="worker processes (default %(default)s)",
    )
    add(
        "--head-timeout",
        type=float,
        default=d.head_timeout,
        accepts="a number of seconds above 0, at most 3600",
        metavar="SECONDS",
        help="time a request head (request line and headers) may take to arrive, from the "
        "connection or a kept-alive request's first byte; then 408 and close "
        "(default %(default)g)",
    )
    add(
        "--signature-keys",
        type=Path,
        help=f"JSON file of {{accessKey: secretKey}}: verify X-STARDUST-KEY/X-TS/X-SIGN "
        f"(also ${KEYS_VARIABLE} with the same JSON)",
    )
    add(
        "--signature-skew",
        type=int,
        default=d.signature_skew_seconds,
        accepts="a whole number of seconds, 0 or more",
        help="accepted clock skew of X-TS, in seconds (default %(default)s)",
    )
    add(
        "--timezone",
        default=d.timezone,
        help="IANA zone of `date` and `createdTime`, e.g. Asia/Shanghai (default %(default)s)",
    )
    add(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="let browser apps of this origin call the mock, e.g. http://localhost:3000 "
        "(repeatable; default: any origin when bound to a loopback address, none otherwise)",
    )
    add("--no-cors", action="store_true", help="answer no CORS request or preflight")
    add(
        "--drill",
        metavar="DRILLS",
        help=f"serve occasional values and fields outside the contract, for client teams: "
        f"{','.join(DRILLS)} (deterministic; never use it for conformance runs)",
    )
    add(
        "--no-swagger-ui",
        action="store_true",
        default=not d.swagger_ui,
        help="do not serve Swagger UI at /ui",
    )
    add(
        "--journal-size",
        type=int,
        default=d.journal_size,
        metavar="N",
        help="requests the journal keeps, the newest (default %(default)s; see /__mock/requests)",
    )
    add(
        "--no-journal",
        action="store_true",
        default=not d.journal,
        help="record no request: no journal, no admin API, no verdict at exit",
    )
    add(
        "--scenario",
        action="append",
        type=Path,
        metavar="FILE",
        help="provocations to set at start-up, YAML (repeatable; see docs/client-developers.md)",
    )
    add(
        "--admin-from",
        action="append",
        metavar="CIDR",
        help="also answer the admin API (/__mock/) to clients of this network, e.g. 10.0.0.0/8 "
        "(repeatable; default: loopback clients only)",
    )
    add("--log-level", default=d.log_level, choices=LOG_LEVELS)
    add(
        "--no-access-log",
        action="store_true",
        default=not d.access_log,
        help="do not log every request (faster)",
    )
    return parser


def _signature_keys(
    path: Path | None, environment_value: str | None, default: Mapping[str, str]
) -> dict[str, str]:
    if path is None and not environment_value:
        return dict(default)
    source = str(path) if path is not None else f"${KEYS_VARIABLE}"
    try:
        text = path.read_text(encoding="utf-8") if path is not None else str(environment_value)
        keys = json.loads(text)
    except (OSError, json.JSONDecodeError) as error:
        # The message names the source, never its content: it holds secrets.
        raise OptionError(f"{source}: cannot be read as JSON ({type(error).__name__})") from None
    if (
        not isinstance(keys, dict)
        or not keys
        or not all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in keys.items())
    ):
        raise OptionError(
            f"{source}: must be a non-empty JSON object of accessKey: secretKey strings"
        )
    return keys


def _cors_origins(
    host: str, origins: list[str] | None, no_cors: bool, default: tuple[str, ...]
) -> tuple[str, ...]:
    """Allowed origins (D34): as given, or the default (any) when the mock listens on loopback
    only."""
    if origins and no_cors:
        raise OptionError("--cors-origin: cannot be combined with --no-cors")
    for origin in origins or ():
        if not is_origin(origin):
            raise OptionError(
                f"--cors-origin: {origin!r} is not an origin (scheme://host[:port], or *)"
            )
    if no_cors:
        return ()
    if origins:
        return tuple(dict.fromkeys(origins))
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return default if loopback else ()


def _admin_networks(cidrs: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if cidrs is None:
        return default
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise OptionError(
                f"--admin-from: {cidr!r} is not an address or a CIDR network, e.g. 10.0.0.0/8"
            ) from None
    return tuple(dict.fromkeys(cidrs))


def settings_from_arguments(
    arguments: Sequence[str] | None = None,
    environment: dict[str, str] | None = None,
    defaults: Settings = DEFAULTS,
) -> Settings:
    """Parse and check the options; an impossible value is an OptionError naming the option."""
    options = build_parser(defaults).parse_args(arguments)
    environment = dict(os.environ) if environment is None else environment
    try:
        ipaddress.ip_address(options.host)
    except ValueError:
        if options.host != "localhost":
            raise OptionError(f"--host: {options.host!r} is not an IP address") from None
    if not 0 <= options.port <= 65535:
        raise OptionError(f"--port: {options.port} is not a port number")
    if not 0.0 <= options.fault_rate <= 1.0:
        raise OptionError(f"--fault-rate: {options.fault_rate} is not between 0 and 1")
    if not 0 <= options.latency_ms <= 60_000:
        raise OptionError(f"--latency-ms: {options.latency_ms} is not between 0 and 60000")
    if not 1 <= options.workers <= 64:
        raise OptionError(f"--workers: {options.workers} is not between 1 and 64")
    if not 0 < options.head_timeout <= 3600:
        raise OptionError(
            f"--head-timeout: {options.head_timeout:g} is not above 0 and at most 3600 seconds"
        )
    if not 1 <= options.journal_size <= MAX_JOURNAL_SIZE:
        raise OptionError(
            f"--journal-size: {options.journal_size} is not between 1 and {MAX_JOURNAL_SIZE}"
        )
    if options.signature_skew < 0:
        raise OptionError(f"--signature-skew: {options.signature_skew} is negative")
    try:
        zone(options.timezone)
    except UnknownZone as error:
        raise OptionError(f"--timezone: {error}") from None
    fixtures = None if options.no_fixtures else options.fixtures
    cors_origins = _cors_origins(
        options.host, options.cors_origin, options.no_cors, defaults.cors_origins
    )
    try:
        drills = parse_drills(options.drill) if options.drill is not None else defaults.drills
    except DrillError as error:
        raise OptionError(f"--drill: {error}") from None
    if options.fixtures_only and fixtures is None:
        raise OptionError("--fixtures-only: needs fixtures, but --no-fixtures was given")
    record_writer = environment.get(WRITER_VARIABLE) or defaults.record_writer
    if record_writer == "compiled":
        # Imported here: the suite borrows this module's `program`, and need not load the
        # generator for it.
        from mockserver.record_json import writer_loop

        try:
            writer_loop(record_writer)
        except ValueError as error:
            raise OptionError(f"${WRITER_VARIABLE}: {error}") from None
    elif record_writer not in WRITER_CHOICES:
        raise OptionError(
            f"${WRITER_VARIABLE}: {record_writer!r} is not one of {', '.join(WRITER_CHOICES)}"
        )
    if options.scenario and options.workers > 1:
        # Scenario counts live in one process (D68): "the first 2" per worker would be 2 x N.
        raise OptionError("--scenario: needs --workers 1 (scenarios count in one process)")
    return Settings(
        host=options.host,
        port=options.port,
        seed=options.seed,
        fixtures=fixtures,
        fixtures_only=options.fixtures_only,
        http_200_errors=options.http_200_errors,
        fault_rate=options.fault_rate,
        latency_ms=options.latency_ms,
        workers=options.workers,
        head_timeout=options.head_timeout,
        signature_keys=_signature_keys(
            options.signature_keys, environment.get(KEYS_VARIABLE), defaults.signature_keys
        ),
        signature_skew_seconds=options.signature_skew,
        swagger_ui=not options.no_swagger_ui,
        log_level=options.log_level,
        access_log=not options.no_access_log,
        timezone=options.timezone,
        cors_origins=cors_origins,
        drills=drills,
        journal=not options.no_journal,
        journal_size=options.journal_size,
        scenarios=tuple(options.scenario or defaults.scenarios),
        admin_from=_admin_networks(options.admin_from, defaults.admin_from),
        record_writer=record_writer,
    )


def settings_to_environment(settings: Settings) -> str:
    """Settings as JSON, for worker processes started by uvicorn."""
    data: dict[str, Any] = asdict(settings)
    data["fixtures"] = str(settings.fixtures) if settings.fixtures else None
    data["signature_keys"] = dict(settings.signature_keys)
    data["scenarios"] = [str(path) for path in settings.scenarios]
    return json.dumps(data)


def settings_from_environment(text: str) -> Settings:
    data = json.loads(text)
    fixtures = Path(data.pop("fixtures")) if data.get("fixtures") else None
    # JSON has no tuples: the sequences come back as lists.
    for key in ("cors_origins", "drills", "admin_from"):
        if key in data:
            data[key] = tuple(data[key])
    data["scenarios"] = tuple(Path(path) for path in data.get("scenarios", ()))
    return replace(Settings(**{**data, "fixtures": None}), fixtures=fixtures)
