"""Real mock servers for tests: a subprocess running uvicorn on a free loopback port."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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

    def output(self) -> str:
        """What the server printed, once it has stopped."""
        if self._reader is not None:
            self._reader.join(timeout=10)
        return b"".join(self._chunks).decode(errors="replace")


def wait_until_serving(
    base_url: str, process: subprocess.Popen[bytes], timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before serving")
        try:
            httpx.get(f"{base_url}/ui/", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {base_url} did not answer within {timeout}s")


@contextmanager
def mock_server(
    *arguments: str, environment: dict[str, str] | None = None, port: int | None = None
) -> Iterator[RunningServer]:
    """`python -m mockserver` with the given options, stopped (SIGTERM) on exit."""
    port = port or free_port()
    env = {**os.environ, **(environment or {})}
    command: Sequence[str] = [sys.executable, "-m", "mockserver", "--port", str(port), *arguments]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    server = RunningServer(f"http://127.0.0.1:{port}", process)
    server.start_draining()
    try:
        wait_until_serving(server.base_url, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
