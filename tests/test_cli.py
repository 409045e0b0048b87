"""mockserver/cli.py: the command line to Settings, and Settings across worker processes."""

from __future__ import annotations

from mockserver.cli import build_parser

OPTIONS = (
    "--host",
    "--port",
    "--seed",
    "--fixtures",
    "--no-fixtures",
    "--fixtures-only",
    "--http-200-errors",
    "--fault-rate",
    "--latency-ms",
    "--workers",
    "--head-timeout",
    "--signature-keys",
    "--signature-skew",
    "--timezone",
    "--no-swagger-ui",
    "--log-level",
    "--no-access-log",
)


def test_help_documents_every_option() -> None:
    text = build_parser().format_help()
    for option in OPTIONS:
        assert option in text
