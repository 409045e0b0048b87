"""A server module (`python -m mockserver`, the benchmark's ceiling) as a child process.

The conformance suite, the tests, the soak test and the benchmark all start servers on a free
loopback port, wait until they answer and stop them with SIGTERM; this is that one procedure.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO

import httpx

from conformance.client import tls_context
from contract import CHECKOUT, in_checkout

ROOT = CHECKOUT
HOST = "127.0.0.1"


class ServerDidNotStart(RuntimeError):
    """The child exited, or did not answer in time; the message says which."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Returns once `url` answers anything over HTTP; raises if the process dies first."""
    deadline = time.monotonic() + timeout
    # One client for every attempt: each new one would build its TLS context again.
    with httpx.Client(timeout=1.0, verify=tls_context()) as http:
        while True:
            if process.poll() is not None:
                error = _read_all(process.stderr)
                detail = f": {error.strip()}" if error.strip() else ""
                raise ServerDidNotStart(f"exited with {process.returncode} before serving{detail}")
            try:
                http.get(url)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise ServerDidNotStart(f"{url} did not answer within {timeout:g} s") from None
                time.sleep(0.1)


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    """SIGTERM, then SIGKILL if it has not drained in time; the exit code."""
    process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@contextmanager
def started(
    command: Sequence[str],
    probe_url: str,
    *,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[bytes] | None = subprocess.DEVNULL,
    stderr: int | IO[bytes] | None = subprocess.PIPE,
    preexec_fn: Callable[[], None] | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
    timeout: float = 30.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` run from the checkout, yielded once `probe_url` answers, stopped on exit.

    Installed without a checkout, the command runs in the current directory: the packages it
    needs are installed, and relative paths mean what the caller meant.
    `on_start` runs before the wait, for a caller that must read the child's pipes meanwhile.
    """
    process = subprocess.Popen(
        command,
        cwd=ROOT if in_checkout() else None,
        env=env,
        stdout=stdout,
        stderr=stderr,
        preexec_fn=preexec_fn,
    )
    try:
        if on_start is not None:
            on_start(process)
        wait_until_serving(probe_url, process, timeout)
        yield process
    finally:
        if process.poll() is None:
            stop(process)


def _read_all(stream: IO[bytes] | None) -> str:
    return stream.read().decode(errors="replace") if stream is not None else ""
