"""`python tools/mutate.py [GROUP...]`: `make mutate`, mutmut run once per group of modules.

mutmut 3 reads one test selection (`pytest_add_cli_args_test_selection`) for every module it
mutates; it has no per-module selection. Within that selection it runs, for each mutant, only
the tests that called the mutated function, but a selection wide enough for every module
(the proxy's sessions, the generator's pages) would put slow tests under every helper those
tests happen to call. So each group of `[tool.mutmut.groups.NAME]` in pyproject.toml names
its modules (`only_mutate`) and its own in-process tests (`tests`), and runs in a process of
its own: the shared `[tool.mutmut]` settings with the group's two lists put in place of
`only_mutate` and `pytest_add_cli_args_test_selection` (mutmut reads its settings once, into
`mutmut.configuration._config`). mutmut keeps its work in `mutants/`, one group at a time: it
is emptied before each group, and each group's `mutmut results` (the survivors) is written
to `reports/mutate/GROUP.txt` and printed.

Without GROUP, every group in order; exit 1 if a group's run failed (not for survivors: they
are read and judged, docs/conformance.md C26). `--only PATTERN...` after the groups runs only
the mutants whose names match (mutmut's globs), e.g. to check that a new test kills a survivor.
`--show GROUP MUTANT...` prints the diffs of mutants of the group run last.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPORTS = Path("reports/mutate")


def groups() -> dict[str, dict[str, Any]]:
    settings = tomllib.loads(Path("pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    found: dict[str, dict[str, Any]] = settings["groups"]
    return found


def _configure(name: str) -> None:
    """mutmut's settings, with the group's modules and tests in place of the first group's."""
    from mutmut import configuration

    group = groups()[name]
    configuration._config = dataclasses.replace(
        configuration.config(),
        only_mutate=list(group["only_mutate"]),
        pytest_add_cli_args_test_selection=list(group["tests"]),
    )


def show(name: str, mutants: Sequence[str]) -> int:
    """`mutmut show` for mutants of the group run last (a bare `mutmut show` finds only the
    first group's files)."""
    from mutmut.__main__ import cli

    _configure(name)
    for mutant in mutants:
        print(f"# {mutant}", flush=True)
        cli(["show", mutant], standalone_mode=False)
    return 0


def run_one(name: str, *, results_only: bool = False, only: Sequence[str] = ()) -> int:
    """In this process: mutmut run on one group, then its results."""
    from mutmut.__main__ import cli

    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}.txt").unlink(missing_ok=True)
    _configure(name)
    if not results_only:
        shutil.rmtree("mutants", ignore_errors=True)
        try:
            cli(["run", *only], standalone_mode=False)
        except SystemExit as stopped:
            if stopped.code:
                return int(stopped.code) if isinstance(stopped.code, int) else 1
    # `mutmut results` lists only the files its settings mutate: the group's, read here.
    listing = io.StringIO()
    with contextlib.redirect_stdout(listing):
        cli(["results"], standalone_mode=False)
    (REPORTS / f"{name}.txt").write_text(listing.getvalue())
    return 0


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["--one"]:
        return run_one(arguments[1], only=arguments[2:])
    if arguments[:1] == ["--show"]:
        return show(arguments[1], arguments[2:])
    if arguments[:1] == ["--results"]:
        return run_one(arguments[1], results_only=True)
    only: list[str] = []
    if "--only" in arguments:
        at = arguments.index("--only")
        arguments, only = arguments[:at], arguments[at + 1 :]
    known = groups()
    unknown = [name for name in arguments if name not in known]
    if unknown:
        print(
            f"mutate.py: unknown group {', '.join(unknown)}; groups: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    failed = []
    for name in arguments or list(known):
        print(f"== group {name}: {', '.join(known[name]['only_mutate'])}", flush=True)
        started = time.monotonic()
        status = subprocess.call([sys.executable, __file__, "--one", name, *only])
        report = REPORTS / f"{name}.txt"
        results = report.read_text() if report.exists() else ""
        survivors = [line for line in results.splitlines() if line.strip()]
        print(
            f"== group {name}: exit {status}, {len(survivors)} not killed, "
            f"{time.monotonic() - started:.0f} s; {report}\n{results}",
            flush=True,
        )
        if status != 0:
            failed.append(name)
    if failed:
        print(f"mutate.py: the run of {', '.join(failed)} failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
