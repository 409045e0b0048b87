"""`stardust-exam`: a client command examined lesson by lesson against the mock (D72, C68).

    stardust-exam [--mock URL] [--lessons a,b] [--json FILE] [--report-dir DIR] -- CMD ARG...

Without `--mock` it starts a mock of its own on a free loopback port (`python -m mockserver`),
stopped at the end. `{url}` in the command's arguments is the lesson's base URL, which is also
in the environment as `STARDUST_MOCK_URL`. The client's output (its standard output and
error, in the order written) goes to standard error, each line labelled with its lesson
(`[outage] ...`), and its last lines go into the lesson's grades; the grades go to standard
output. While the client runs, the exam reads its lesson's journal every
`POLL` seconds and stops it (terminate, then kill after `GRACE`) once the lesson has failed
for certain (C79), as it stops one that outlasts `--timeout`. Exit 0: every lesson passed;
1: one failed; 2: the exam could not run (the message says why).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import httpx

from clientjudge.exam import Doomed, ExamError, Examiner, Outcome, Report, choose
from clientjudge.grades import render_html, render_text
from clientjudge.lessons import LESSON_NAMES, MAX_ATTEMPTS, SLOW_MS
from conformance.launch import HOST, ServerDidNotStart, free_port, started

PROG = "stardust-exam"
URL_VARIABLE = "STARDUST_MOCK_URL"
# Seconds one lesson's run may take before the client is stopped (a client that retries an
# outage forever must not hang the exam).
TIMEOUT = 120.0
# How often a running client's lesson is read for a failure already certain (C79): one small
# admin request each time, and a hammering client sends a few more requests before it stops.
POLL = 0.25
# Seconds a stopped client has to exit after SIGTERM before it is killed.
GRACE = 2.0
# The client's last lines kept in a lesson's grades (JSON `output`, exam.html), each cut to
# OUTPUT_WIDTH characters: what it said before it ended, not a log of its run.
OUTPUT_LINES = 20
OUTPUT_WIDTH = 500


class UsageError(ValueError):
    """A bad option; one line naming it, exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Examine a client of GET /statistics/record.")
    parser.add_argument("--mock", metavar="URL", help="a running mock (default: start one)")
    parser.add_argument(
        "--lessons",
        metavar="A,B",
        help=f"lessons to run, from {', '.join(LESSON_NAMES)} (default: all, in that order)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the grades as JSON")
    parser.add_argument(
        "--report-dir", type=Path, metavar="DIR", help="write exam.html and exam.json there"
    )
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=MAX_ATTEMPTS,
        metavar="N",
        help="requests allowed for a page that cannot be had (default %(default)s, D72)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT,
        metavar="SECONDS",
        help="time one lesson's run may take (default %(default)g)",
    )
    parser.add_argument(
        "--slow-ms", type=int, default=SLOW_MS, metavar="MS", help=argparse.SUPPRESS
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARG... ({url})")
    return parser


def parse(arguments: Sequence[str]) -> argparse.Namespace:
    options = build_parser().parse_args(arguments)
    command = list(options.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("the client's command is missing: stardust-exam [OPTIONS] -- CMD ARG...")
    options.command = command
    if options.max_attempts < 1:
        raise UsageError(f"--max-attempts: {options.max_attempts} is not a whole number >= 1")
    if not options.timeout > 0:
        raise UsageError(f"--timeout: {options.timeout:g} is not a number of seconds above 0")
    if not 0 <= options.slow_ms <= 60_000:
        raise UsageError(f"--slow-ms: {options.slow_ms} is not between 0 and 60000")
    if options.mock is not None and not options.mock.startswith(("http://", "https://")):
        raise UsageError(f"--mock: {options.mock!r} is not an http:// or https:// URL")
    try:
        names = options.lessons.split(",") if options.lessons is not None else None
        options.chosen = choose([n.strip() for n in names] if names else names, options.slow_ms)
    except ValueError as error:
        raise UsageError(f"--lessons: {error}") from None
    return options


@contextlib.contextmanager
def own_mock() -> Iterator[str]:
    """A mock of the exam's own on a free loopback port, stopped on exit."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    command = [sys.executable, "-m", "mockserver", "--host", HOST, "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log"]
    try:
        with started(command, url + "/__mock/openapi.json", stdout=subprocess.DEVNULL):
            yield url
    except ServerDidNotStart as error:
        raise ExamError(f"the exam's own mock did not start: {error}") from None


def _signal_group(process: subprocess.Popen[bytes], signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal_number)


def stop(process: subprocess.Popen[bytes], grace: float = GRACE) -> None:
    """SIGTERM to the client's process group, so it can leave tidily, then SIGKILL to what is
    left of it after `grace` (at once once the client itself has gone): a client started
    through a wrapper (`sh -c`, `make`, `npm run`) goes with the processes it started."""
    _signal_group(process, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(grace)
    _signal_group(process, signal.SIGKILL)
    process.wait()


class Relay:
    """The client's output, line by line on a thread of its own, to standard error with its
    lesson's label, so that it never reads as the exam's own; its last lines kept."""

    def __init__(self, pipe: IO[bytes], lesson: str) -> None:
        self._pipe = pipe
        self._label = f"[{lesson}] "
        self._tail: deque[str] = deque(maxlen=OUTPUT_LINES)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._relay, name="exam-relay", daemon=True)
        self._thread.start()

    def _relay(self) -> None:
        try:
            for raw in self._pipe:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                with self._lock:
                    self._tail.append(line[:OUTPUT_WIDTH])
                sys.stderr.write(self._label + line + "\n")
                sys.stderr.flush()
        except (OSError, ValueError):
            # The pipe closed under the reader: nothing more to relay.
            return

    def finish(self, grace: float) -> tuple[str, ...]:
        """The last lines, once the pipe ends. A process the client left behind that keeps
        the pipe open is waited for `grace` seconds only; the pipe then stays open, relayed
        until it ends (closing it would wait for the reader: for that process)."""
        self._thread.join(grace)
        if not self._thread.is_alive():
            self._pipe.close()
        with self._lock:
            return tuple(self._tail)


def run_command(
    command: list[str],
    timeout: float,
    url: str,
    doomed: Doomed = lambda: "",
    poll: float = POLL,
    grace: float = GRACE,
    lesson: str = "client",
) -> Outcome:
    """The client's command with `{url}` replaced, until it exits, outlasts `timeout` (exit
    status None), or `doomed` says its lesson has failed for certain (None, and why: C79).
    Its output is relayed labelled with `lesson`; the outcome keeps its last lines."""
    line = [part.replace("{url}", url) for part in command]
    try:
        process = subprocess.Popen(
            line,
            env={**os.environ, URL_VARIABLE: url},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # A group of its own, so that a stop reaches the processes it starts too.
            start_new_session=True,
        )
    except OSError as error:
        raise ExamError(f"cannot run {line[0]!r}: {error.strerror or error}") from None
    assert process.stdout is not None  # PIPE above
    relay = Relay(process.stdout, lesson)
    exit_code, stopped = _supervise(process, timeout, doomed, poll, grace)
    return Outcome(exit_code, stopped, relay.finish(grace))


def _supervise(
    process: subprocess.Popen[bytes], timeout: float, doomed: Doomed, poll: float, grace: float
) -> tuple[int | None, str]:
    """(exit status, why it was stopped early): the client waited for, stopped at the
    timeout, or stopped once `doomed` names a failure already certain."""
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                return process.wait(min(poll, max(0.0, deadline - time.monotonic()))), ""
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() >= deadline:
                stop(process, grace)
                return None, ""
            reason = doomed()
            if reason and process.poll() is None:
                stop(process, grace)
                return None, f"stopped early, its failure already certain: {reason}"
    except BaseException:
        # The mock went away (ExamError) or the exam was interrupted (Ctrl-C reaches the
        # exam, not the client's own group): no client left running behind it.
        stop(process, grace)
        raise


def write_reports(report: Report, options: argparse.Namespace, command: str) -> None:
    data = report.to_json()
    if options.json is not None:
        options.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if options.report_dir is not None:
        options.report_dir.mkdir(parents=True, exist_ok=True)
        (options.report_dir / "exam.json").write_text(json.dumps(data, indent=2) + "\n")
        (options.report_dir / "exam.html").write_text(render_html(data, command))


def _runnable(program: str) -> bool:
    """The client's program exists: a path to an executable file, or a command on the PATH."""
    if os.sep in program:
        return os.path.isfile(program) and os.access(program, os.X_OK)
    return shutil.which(program) is not None


def main(arguments: Sequence[str] | None = None) -> int:
    try:
        options = parse(sys.argv[1:] if arguments is None else arguments)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    command = shlex.join(options.command)
    if not _runnable(options.command[0]):
        # Not a client that failed: nothing ran, so nothing can be graded.
        print(f"{PROG}: error: cannot run {options.command[0]!r}: no such command", file=sys.stderr)
        return 2
    try:
        with contextlib.ExitStack() as stack:
            url = options.mock.rstrip("/") if options.mock else stack.enter_context(own_mock())
            http = stack.enter_context(httpx.Client(base_url=url, timeout=30))
            examiner = Examiner(http, url, options.max_attempts)
            report = examiner.watched_exam(
                options.chosen,
                lambda base, lesson, doomed: run_command(
                    options.command, options.timeout, base, doomed, lesson=lesson
                ),
            )
            write_reports(report, options, command)
    except (ExamError, OSError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C reaches the exam alone (the client runs in a group of its own), which has
        # stopped the client and its own mock on the way out: one line, no traceback.
        print(f"{PROG}: interrupted; no client left running", file=sys.stderr)
        return 130
    print(render_text(report.to_json(), command))
    return 0 if not report.failed else 1


if __name__ == "__main__":
    sys.exit(main())
