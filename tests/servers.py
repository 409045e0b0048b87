"""Real mock servers for tests: a subprocess running uvicorn on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
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

    def output(self) -> str:
        """What the server printed, once it has stopped."""
        assert self.process.stdout is not None
        return self.process.stdout.read().decode(errors="replace")


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
