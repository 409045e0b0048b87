"""`python -m conformance proxy`'s options (conformance/proxy/cli.py): a value that cannot be
used stops start-up with one line naming the option, exit 2, before anything listens."""

from __future__ import annotations

import pytest

from conformance.proxy.cli import build_parser, options_from_arguments


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        ([], "--upstream is required"),
        (["--upstream", "ftp://x"], "--upstream: 'ftp://x' is not an http(s) URL"),
        (["--upstream", "localhost:8000"], "--upstream: 'localhost:8000' is not an http(s) URL"),
        (["--upstream", "http://[::1"], "--upstream: 'http://[::1' is not a URL"),
        (["--upstream", "http://h:99999"], "--upstream: 'http://h:99999' is not a URL (Port"),
        (["--upstream", "http://h:0"], "--upstream: 'http://h:0' names port 0"),
        (["--upstream", "http://h/p?x=1"], "--upstream: 'http://h/p?x=1' has a query"),
        (["--upstream", "http://u:p@h"], "--upstream: 'http://u:p@h' carries credentials"),
        (["--upstream", "http://h", "--upstream-timeout", "0"], "--upstream-timeout: 0.0 is not"),
        (["--upstream", "http://h", "--upstream-timeout", "nan"], "--upstream-timeout: nan is"),
        (["--upstream", "http://h", "--upstream-timeout", "inf"], "--upstream-timeout: inf is"),
        (["--upstream", "http://h", "--max-id-sets", "-1"], "--max-id-sets: -1 is not"),
        (["--upstream", "http://h", "--max-id-sets", "abc"], "argument --max-id-sets: invalid"),
        (["--upstream", "http://h", "--max-page-records", "0"], "--max-page-records: 0 is not"),
        (["--upstream", "http://h", "--port", "70000"], "--port: 70000 is not a TCP port"),
        (["--upstream", "http://h", "--timezone", "Mars/Base"], "--timezone: 'Mars/Base' is"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line_naming_the_option(
    arguments: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = build_parser()
    # Not `main`: were a value let through, it would start serving instead of failing.
    with pytest.raises(SystemExit) as exit_info:
        options_from_arguments(parser, parser.parse_args(arguments))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line: no usage block, no traceback
    assert err.startswith(f"python -m conformance proxy: error: {line}"), err


@pytest.mark.parametrize(
    "upstream", ["http://127.0.0.1:8000", "https://api.example/rosetta-open/", "http://h"]
)
def test_a_usable_upstream_is_accepted(upstream: str) -> None:
    parser = build_parser()
    options = options_from_arguments(parser, parser.parse_args(["--upstream", upstream]))
    assert options.upstream == upstream.rstrip("/")
