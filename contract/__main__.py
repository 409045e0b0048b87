"""`python -m contract diff OLD NEW` and `python -m contract http-200`: the contract's tools.

`diff` lists the changes from one version of openapi.yaml to another, each marked BREAKING or
ok for clients, and exits 1 when one is breaking (D32). `http-200` prints the contract of a
server that answers every outcome with HTTP 200 (D31), to generate clients from.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from contract import SPEC_PATH
from contract.diff import diff
from contract.variants import http_200_variant


def _read(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            spec = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as error:
        raise SystemExit(f"python -m contract: {path}: cannot be read ({error})") from None
    if not isinstance(spec, dict) or "paths" not in spec:
        raise SystemExit(f"python -m contract: {path}: not an OpenAPI document")
    return spec


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contract")
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser("diff", help="changes from OLD to NEW, breaking ones first")
    compare.add_argument("old", type=Path)
    compare.add_argument("new", type=Path)
    variant = commands.add_parser("http-200", help="print the HTTP-200 variant of the contract")
    variant.add_argument("--spec", type=Path, default=SPEC_PATH)
    options = parser.parse_args(arguments)
    if options.command == "http-200":
        yaml.safe_dump(http_200_variant(_read(options.spec)), sys.stdout, sort_keys=False)
        return 0
    changes = sorted(diff(_read(options.old), _read(options.new)), key=lambda c: not c.breaking)
    for change in changes:
        print(change)
    breaking = sum(change.breaking for change in changes)
    print(f"{len(changes)} change(s), {breaking} breaking")
    return 1 if breaking else 0


if __name__ == "__main__":
    raise SystemExit(main())
