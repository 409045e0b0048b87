"""One error style (C49): every console script and make target says one line naming the option
and what it accepts, exits 2, and prints no usage; `--help` stays complete."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from conformance.__main__ import build_parser as conformance_parser
from conformance.__main__ import main as conformance_main
from conformance.proxy.cli import build_parser as proxy_parser
from mockserver.__main__ import main as mock_main
from mockserver.arguments import OneLineParser
from mockserver.cli import build_parser as mock_parser

ROOT = Path(__file__).resolve().parent.parent


def _proxy(argv: Sequence[str]) -> int:
    return conformance_main(["proxy", *argv], environment={})


def _conformance(argv: Sequence[str]) -> int:
    return conformance_main(list(argv), environment={})


CASES: list[tuple[Callable[[Sequence[str]], int], list[str], str]] = [
    (mock_main, ["--fault-rate", "abc"], "--fault-rate: 'abc' is not a number from 0 to 1"),
    (mock_main, ["--prot", "8091"], "--prot: no such option; did you mean --port? (--help lists"),
    (
        mock_main,
        ["--log-level", "nope"],
        "--log-level: 'nope' is not one of critical, error, warning, info, debug",
    ),
    (mock_main, ["--port", "abc"], "--port: 'abc' is not a port number from 0 to 65535"),
    (mock_main, ["--port"], "--port: needs a value"),
    (mock_main, ["8080"], "unexpected argument '8080': this command takes options only"),
    (mock_main, ["--workers", "0"], "--workers: 0 is not between 1 and 64"),
    (_conformance, ["--max-examples", "0"], "--max-examples: 0 is not positive; give a whole"),
    (_conformance, ["--max-examples", "x"], "--max-examples: 'x' is not a whole number, 1 or"),
    (_conformance, ["--timeout", "soon"], "--timeout: 'soon' is not a number of seconds above 0"),
    (
        _conformance,
        ["--exclude-check", "not_a_server_eror"],
        "--exclude-check: 'not_a_server_eror' is not a check's name (--list-checks lists "
        "them); did you mean not_a_server_error?",
    ),
    (_conformance, ["--base-url", "ftp://x"], "--base-url: 'ftp://x' is not an http(s) URL"),
    (_proxy, ["--prot", "8091"], "--prot: no such option; did you mean --port?"),
    (_proxy, ["--upstream", "http://x", "--port", "abc"], "--port: 'abc' is not a port number"),
    (_proxy, ["--upstream", "http://x", "--min-exchanges", "0"], "--min-exchanges: 0 is not"),
    (_proxy, [], "--upstream is required"),
]


@pytest.mark.parametrize(
    ("main", "argv", "expected"), CASES, ids=[" ".join(case[1]) or "none" for case in CASES]
)
def test_a_bad_option_is_one_line_naming_it_and_exit_2(
    main: Callable[[Sequence[str]], int],
    argv: list[str],
    expected: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    try:
        status = main(argv)
    except SystemExit as stop:
        status = int(stop.code or 0)
    assert status == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert ": error: " in lines[0] and expected in lines[0]
    assert "usage:" not in captured.err + captured.out


@pytest.mark.parametrize(
    "build", [mock_parser, conformance_parser, proxy_parser], ids=["mock", "conformance", "proxy"]
)
def test_help_stays_complete(build: Callable[[], OneLineParser]) -> None:
    parser = build()
    text = parser.format_help()
    assert text.startswith("usage: ")
    for action in parser._actions:
        for option in action.option_strings:
            assert option in text


def test_a_parser_without_what_an_option_accepts_names_the_type() -> None:
    parser = OneLineParser(prog="tool")
    parser.add_argument("--count", type=int)
    parser.add_argument("--mode", choices=["a", "b"])
    assert parser.one_line("argument --count: invalid int value: 'x'") == (
        "--count: 'x' is not a whole number"
    )
    assert parser.one_line("argument --mode: invalid choice: 'c' (choose from 'a', 'b')") == (
        "--mode: 'c' is not one of a, b"
    )
    assert parser.one_line("unrecognized arguments: --zzz") == (
        "--zzz: no such option (--help lists them)"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PORT", "abc", "PORT='abc' is not a port number from 0 to 65535"),
        ("PROXY_PORT", "80 81", "PROXY_PORT='80 81' is not a port number from 1 to 65535"),
        ("SEED", "x", "SEED='x' is not a whole number"),
    ],
)
def test_a_bad_make_variable_is_one_line_naming_it(
    variable: str, value: str, expected: str
) -> None:
    # make reads the Makefile before it runs or installs anything: no server starts here.
    result = subprocess.run(
        ["make", "--no-print-directory", "mock", f"{variable}={value}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert result.stdout == ""
