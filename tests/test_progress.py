"""Progress: a live line on a terminal (a pseudo-terminal here), plain lines in a pipe."""

from __future__ import annotations

import io
import json
import os
import pty
import sys
import time
from pathlib import Path

import pytest

from conformance import progress
from conformance.progress import Lines, Live, Progress, following, for_stream

CONTROL = "\x1b["


def _drive(shown: Progress, pause: float = 0.0) -> None:
    shown.phase("semantic", 3)
    shown.check_started("count_stable")
    shown.request()
    shown.request()
    shown.check_finished("count_stable", "passed")
    shown.check_started("ordering")
    time.sleep(pause)
    shown.check_finished("ordering", "failed (1)")
    shown.close()


def _read_all(fd: int) -> str:
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_a_live_status_line() -> None:
    master, slave = pty.openpty()
    with os.fdopen(slave, "w", encoding="utf-8") as terminal:
        shown = for_stream(terminal)
        assert isinstance(shown, Live)
        _drive(shown, pause=0.3)  # a refresh of the live line (4 a second) on check 2
    output = _read_all(master)
    os.close(master)
    assert CONTROL in output  # the line is redrawn in place
    assert "semantic | ordering | check 2/3 | 2 requests" in output
    assert "time left" in output
    assert "conformance: semantic: count_stable passed" in output


def test_a_pipe_gets_one_plain_line_per_finished_check() -> None:
    read, write = os.pipe()
    with os.fdopen(write, "w", encoding="utf-8") as pipe:
        shown = for_stream(pipe)
        assert isinstance(shown, Lines)
        _drive(shown)
    with os.fdopen(read, encoding="utf-8") as pipe:
        output = pipe.read()
    assert CONTROL not in output and "\r" not in output
    lines = output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("conformance: semantic: count_stable passed (2 requests, ")
    assert lines[1].startswith("conformance: semantic: ordering failed (1) (2 requests, ")


def test_without_rich_a_terminal_gets_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """The light install has no rich: the progress still works, in plain lines."""
    monkeypatch.setitem(sys.modules, "rich.live", None)
    master, slave = pty.openpty()
    with os.fdopen(slave, "w", encoding="utf-8") as terminal:
        shown = for_stream(terminal)
        assert isinstance(shown, Lines)
        _drive(shown)
    output = _read_all(master)
    os.close(master)
    assert CONTROL not in output
    assert output.count("conformance: semantic:") == 2


def test_remaining_time_is_estimated_from_the_checks_done() -> None:
    shown = Progress()
    shown.phase("semantic", 4)
    assert shown.remaining() is None  # nothing done yet: unknown
    shown.phase_started -= 10  # ten seconds spent
    shown.check_finished("a", "passed")
    remaining = shown.remaining()
    assert remaining is not None and 29 < remaining < 31  # 10 s a check, 3 to go


def test_schemathesis_requests_are_counted_from_its_event_stream(tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    shown = Lines(io.StringIO())
    interactions = {f"c{n}": {} for n in range(3)}
    with following(shown, events):
        events.write_text(
            json.dumps({"PhaseStarted": {"phase": {"name": "coverage"}}})
            + "\n"
            + json.dumps({"ScenarioFinished": {"recorder": {"interactions": interactions}}})
            + "\n"
            # A line Schemathesis has not finished writing is not read yet.
            + '{"ScenarioFinished": {"recorder"',
            encoding="utf-8",
        )
        deadline = time.monotonic() + 5
        while shown.requests < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert shown.requests == 3
        assert shown.step == "Schemathesis's coverage phase"
    assert shown.requests == 3


def test_the_silent_progress_starts_no_thread(tmp_path: Path) -> None:
    with following(progress.SILENT, tmp_path / "events.ndjson"):
        assert not [
            t for t in __import__("threading").enumerate() if t.name == "schemathesis-progress"
        ]


def test_closing_twice_is_harmless() -> None:
    """The command line closes on an error and again on its way out."""
    master, slave = pty.openpty()
    with os.fdopen(slave, "w", encoding="utf-8") as terminal:
        shown = for_stream(terminal)
        assert isinstance(shown, Live) and shown.live.is_started
        shown.close()
        shown.close()  # raises nothing
        assert not shown.live.is_started
    os.close(master)
