"""Real mock servers for tests: a subprocess running uvicorn on a free loopback port."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from conformance.launch import HOST, ROOT, free_port, started

__all__ = ["ROOT", "RunningServer", "free_port", "mock_server"]


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]
    _chunks: list[bytes] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def start_draining(self) -> None:
        # The pipe must be read while the server runs: once its buffer (64 KiB) is full of
        # access-log lines (a long URL fills it at once), the server blocks writing its log and
        # stops answering.
        stream = self.process.stdout
        assert isinstance(stream, io.BufferedReader)

        def drain() -> None:
            for chunk in iter(lambda: stream.read1(65536), b""):
                self._chunks.append(chunk)

        self._reader = threading.Thread(target=drain, daemon=True)
        self._reader.start()

    def printed(self) -> str:
        """What the server has printed so far, while it runs."""
        return b"".join(list(self._chunks)).decode(errors="replace")

    def output(self) -> str:
        """What the server printed, once it has stopped."""
        if self._reader is not None:
            self._reader.join(timeout=10)
        return b"".join(self._chunks).decode(errors="replace")


@contextmanager
def mock_server(
    *arguments: str, environment: dict[str, str] | None = None, port: int | None = None
) -> Iterator[RunningServer]:
    """`python -m mockserver` with the given options, stopped (SIGTERM) on exit."""
    port = port or free_port()
    env = {**os.environ, **(environment or {})}
    command: Sequence[str] = [sys.executable, "-m", "mockserver", "--port", str(port), *arguments]
    servers: list[RunningServer] = []

    def attach(process: subprocess.Popen[bytes]) -> None:
        server = RunningServer(f"http://{HOST}:{port}", process)
        server.start_draining()
        servers.append(server)

    with started(
        command,
        f"http://{HOST}:{port}/ui/",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        on_start=attach,
    ):
        yield servers[0]
