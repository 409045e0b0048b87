"""`python -m conformance client-verdict FILE.har ...`: a client judged from HAR files.

Exit status: 0 when no finding is an error or a warning, 1 when one is, 2 when a file cannot
be read or the page written (one line naming the file and the reason).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from clientjudge.verdict import judge, render_html, render_text
from conformance.har import HarError, read_har

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Judge how a client used GET /statistics/record, from HAR files (browser devtools, "
            "mitmproxy, Charles, the mock's /__mock/requests?format=har). Several files are "
            "judged as one traffic, ordered by time. Exit status 0: no error or warning; "
            "1: the client made a mistake; 2: a file could not be read."
        ),
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE.har")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.add_argument(
        "--html",
        type=Path,
        metavar="PAGE",
        help="also write the verdict as a self-contained HTML page (a CI artifact)",
    )
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "stardust-client-verdict") -> int:
    arguments = build_parser(prog).parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        exchanges = read_har(arguments.files)
    except HarError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    verdict = judge(exchanges)
    if arguments.html is not None:
        try:
            arguments.html.write_text(render_html(verdict), encoding="utf-8")
        except OSError as error:
            print(f"{prog}: error: --html {arguments.html}: {error.strerror}", file=sys.stderr)
            return EXIT_UNREADABLE
    if arguments.json:
        print(json.dumps(verdict.to_json(), indent=2))
    else:
        print(render_text(verdict))
    return EXIT_PROBLEMS if verdict.has_problems else EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
