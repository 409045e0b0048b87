"""What a run is doing while it runs: a live status line on a terminal, plain lines elsewhere.

On a terminal, one line kept up to date (rich's `Live`): the phase, the current check, the
requests sent, the time elapsed and, once some checks of a phase have finished, the time the
rest should take; each finished check is printed above it. Anywhere else (a CI log, a pipe)
there are no control codes at all: one plain line per finished check (C60).

rich comes with Schemathesis; it is imported only when a terminal asks for it, so an install
without it still runs, with plain lines.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

POLL_SECONDS = 0.25


class Progress:
    """The events of a run; this base reports nothing (library callers, tests)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.phase_name = ""
        self.phase_started = self.started
        self.step = ""
        self.requests = 0
        self.total = 0
        self.done = 0
        self._lock = threading.Lock()

    def phase(self, name: str, checks: int) -> None:
        """A phase starts, with the number of checks it will report."""
        with self._lock:
            self.phase_name, self.total, self.done = name, checks, 0
            self.phase_started = time.monotonic()
            self.step = ""
        self.changed()

    def check_started(self, name: str) -> None:
        self.step = name
        self.changed()

    def check_finished(self, name: str, status: str) -> None:
        with self._lock:
            self.done += 1
        self.finished(f"{self.phase_name}: {name} {status}")

    def request(self) -> None:
        with self._lock:
            self.requests += 1
        self.changed()

    def sent(self, number: int) -> None:
        """`number` requests another process sent (Schemathesis's)."""
        with self._lock:
            self.requests += number
        self.changed()

    def remaining(self) -> float | None:
        """Seconds the phase's other checks should take, at the pace of those done so far."""
        if not self.done or self.done >= self.total:
            return None
        spent = time.monotonic() - self.phase_started
        return spent / self.done * (self.total - self.done)

    def status(self) -> str:
        elapsed = time.monotonic() - self.started
        parts = [self.phase_name or "starting"]
        if self.step:
            parts.append(self.step)
        if self.total:
            parts.append(f"check {min(self.done + 1, self.total)}/{self.total}")
        parts.append(f"{self.requests} requests")
        parts.append(f"{elapsed:.0f}s")
        left = self.remaining()
        parts.append(f"about {left:.0f}s left" if left is not None else "time left unknown")
        return " | ".join(parts)

    # What the subclasses show.

    def changed(self) -> None:
        """Something in the status changed."""

    def finished(self, line: str) -> None:
        """A check finished: `line` says which and how."""

    def close(self) -> None:
        """The run is over: leave the output as plain text."""


class Lines(Progress):
    """One plain line per finished check, nothing else: for logs and pipes."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def finished(self, line: str) -> None:
        elapsed = time.monotonic() - self.started
        self.stream.write(f"conformance: {line} ({self.requests} requests, {elapsed:.1f}s)\n")
        self.stream.flush()


class Live(Progress):
    """A status line redrawn in place (rich), finished checks printed above it."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        from rich.console import Console
        from rich.live import Live as RichLive
        from rich.text import Text

        self._text = Text
        self.console = Console(file=stream, highlight=False)
        self.live = RichLive(
            get_renderable=self._render,
            console=self.console,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.live.start()

    def _render(self) -> Any:
        return self._text(self.status(), style="bold")

    def finished(self, line: str) -> None:
        self.console.print(self._text(f"conformance: {line}"))

    def close(self) -> None:
        self.live.stop()


def for_stream(stream: TextIO) -> Progress:
    """A live line when `stream` is a terminal and rich is installed, plain lines otherwise."""
    if stream.isatty():
        try:
            return Live(stream)
        except ImportError:
            pass  # the light install has no rich: plain lines serve as well
    return Lines(stream)


SILENT = Progress()


@contextmanager
def following(progress: Progress, events: Path) -> Iterator[None]:
    """Count the requests of a Schemathesis run while it writes `events` (its NDJSON stream).

    `st run` is a child process (C1); its event stream is the one channel that tells how far
    it got. A thread reads the file's new complete lines every quarter second: a scenario's
    interactions are its requests, a phase's start its name.
    """
    if type(progress) is Progress:
        yield  # nobody watches: no thread
        return
    stop = threading.Event()

    def follow() -> None:
        position, partial = 0, ""
        while True:
            stopping = stop.wait(POLL_SECONDS)
            try:
                with events.open(encoding="utf-8") as handle:
                    handle.seek(position)
                    chunk = handle.read()
                    position = handle.tell()
            except OSError:
                chunk = ""
            lines = (partial + chunk).split("\n")
            partial = lines.pop()
            for line in lines:
                _follow_line(progress, line)
            if stopping:
                return

    thread = threading.Thread(target=follow, name="schemathesis-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _follow_line(progress: Progress, line: str) -> None:
    if '"PhaseStarted"' in line:
        found = json.loads(line)["PhaseStarted"].get("phase", {})
        name = found.get("name") if isinstance(found, dict) else None
        if name:
            progress.check_started(f"Schemathesis's {str(name).lower()} phase")
    elif '"ScenarioFinished"' in line:
        finished = json.loads(line)["ScenarioFinished"]
        progress.sent(len((finished.get("recorder") or {}).get("interactions") or {}))
