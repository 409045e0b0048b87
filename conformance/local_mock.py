"""The project's own mock, started for a run that names no server (`make conformance`)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from contract import OPERATION_PATH, SPEC_PATH
from mockserver.fixtures import load_folder

ROOT = SPEC_PATH.parent
DEFAULT_FIXTURES = ROOT / "fixtures"
# Not in any fixture file: the mock generates its records, so it is known too.
GENERATED_ID = "conformance-generated-request"


@dataclass(frozen=True)
class LocalMock:
    base_url: str
    known_ids: tuple[str, ...]
    unknown_ids: tuple[str, ...]


def fixture_ids(folder: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Known and unknown IDs of the fixture files the mock loads, plus one generated ID."""
    fixtures = load_folder(folder)
    return (*sorted(fixtures.pinned), GENERATED_ID), tuple(sorted(fixtures.unknown))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def local_mock(
    seed: int = 1, fixtures: Path = DEFAULT_FIXTURES, http_200_errors: bool = False
) -> Iterator[LocalMock]:
    """`python -m mockserver` on a free loopback port, stopped on exit."""
    port = _free_port()
    command = [
        *(sys.executable, "-m", "mockserver", "--host", "127.0.0.1", "--port", str(port)),
        *("--seed", str(seed), "--fixtures", str(fixtures), "--log-level", "warning"),
    ]
    if http_200_errors:
        command.append("--http-200-errors")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"the mock exited before serving: {error.strip()}")
            try:
                httpx.get(base_url + OPERATION_PATH, timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the mock did not answer within 30 s") from None
                time.sleep(0.1)
        known, unknown = fixture_ids(fixtures)
        yield LocalMock(base_url, known, unknown)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
