"""What a new user meets in the first hour: the start-up line, a busy port, the log (D41)."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

from conformance.launch import HOST, ROOT, stop
from tests.support.servers import mock_server

START_UP = "mockserver: serving GET /statistics/record"


@pytest.mark.slow
def test_the_start_up_line_comes_once_the_port_accepts_connections() -> None:
    # --port 0: the line names the port the mock got.
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--no-access-log"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline().decode()
        assert line.startswith(START_UP), line
        port = int(line.split(f"http://{HOST}:")[1].split()[0])
        # A script that waits for this line connects at once, without retrying.
        with socket.create_connection((HOST, port), timeout=10):
            pass
        answer = httpx.get(
            f"http://{HOST}:{port}/statistics/record",
            params={"annotationRequestId": "a"},
            timeout=10,
        )
    finally:
        stop(process)
    assert port > 0 and answer.status_code == 200


@pytest.mark.slow
def test_a_busy_port_is_one_clear_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "mockserver", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        f"mockserver: error: port {port} is in use; pass --port"
    ]
    assert done.stdout == b""


@pytest.mark.slow
def test_404_and_405_leave_no_bare_exception_lines_in_the_log() -> None:
    with mock_server("--log-level", "info") as server:
        assert httpx.get(f"{server.base_url}/nowhere", timeout=10).status_code == 404
        assert httpx.post(f"{server.base_url}/statistics/record", timeout=10).status_code == 405
    output = server.output()
    assert "HTTPException" not in output, output
    # The access log still records both answers.
    assert '"GET /nowhere HTTP/1.1" 404' in output
    assert '"POST /statistics/record HTTP/1.1" 405' in output
