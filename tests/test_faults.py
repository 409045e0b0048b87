"""Faults: slow and vanishing clients, SIGTERM with a request in flight, bad start-up input."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
import pytest

from mockserver.__main__ import main
from tests.support.fixture_text import GOOD_RECORD
from tests.support.rawhttp import address
from tests.support.servers import ROOT, RunningServer, free_port, mock_server

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"


@pytest.mark.slow
def test_a_stalled_half_request_does_not_stall_others(mock: RunningServer) -> None:
    stalled = []
    try:
        for _ in range(20):
            sock = socket.create_connection(address(mock.base_url), timeout=5)
            sock.sendall(b"GET /statistics/record?annotationRequestId=a HTTP/1.1\r\nHost: x\r\n")
            stalled.append(sock)
        started = time.monotonic()
        for _ in range(5):
            response = httpx.get(
                f"{mock.base_url}/statistics/record", params={"annotationRequestId": DOC_ID}
            )
            assert response.status_code == 200
        # Generous: a stalled server would not answer at all before httpx's own timeout.
        assert time.monotonic() - started < 4.0
    finally:
        for sock in stalled:
            sock.close()


@pytest.mark.slow
def test_a_client_reading_slowly_does_not_stall_others(mock: RunningServer) -> None:
    slow = socket.create_connection(address(mock.base_url), timeout=5)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        # Large pages, never read: the server's send buffer fills and it must wait on this
        # client alone.
        target = f"/statistics/record?annotationRequestId={DOC_ID}&limit=1000"
        slow.sendall(
            f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * 20,
        )
        time.sleep(0.3)
        response = httpx.get(
            f"{mock.base_url}/statistics/record", params={"annotationRequestId": "x"}, timeout=5
        )
        assert response.status_code == 200
        assert slow.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        slow.close()


@pytest.mark.slow
def test_clients_that_disconnect_mid_request_do_not_hurt_the_server(mock: RunningServer) -> None:
    for part in (
        b"GET /statistics/record?annotationRe",
        b"GET /statistics/record?annotationRequestId=a HTTP/1.1\r\nHost: x\r\n",
        b"GET /statistics/record?annotationRequestId=a HTTP/1.1\r\nContent-Length: 100\r\n\r\nab",
    ):
        with socket.create_connection(address(mock.base_url), timeout=5) as sock:
            sock.sendall(part)
    # A client that leaves while its (delayed) answer is being prepared.
    with socket.create_connection(address(mock.base_url), timeout=5) as sock:
        sock.sendall(
            b"GET /statistics/record?annotationRequestId=a HTTP/1.1\r\nHost: x\r\n"
            b"Prefer: delay=200\r\n\r\n"
        )
    time.sleep(0.4)
    response = httpx.get(f"{mock.base_url}/statistics/record", params={"annotationRequestId": "a"})
    assert response.status_code == 200
    assert mock.process.poll() is None


# The heavy tier (CI, make test-heavy): a multi-worker or draining process, seconds each;
# make test keeps the in-process proof of the same rule.
@pytest.mark.heavy
def test_sigterm_drains_the_request_in_flight_and_exits_zero() -> None:
    with mock_server() as server:
        answers: list[httpx.Response] = []

        def slow_request() -> None:
            answers.append(
                httpx.get(
                    f"{server.base_url}/statistics/record",
                    params={"annotationRequestId": DOC_ID},
                    headers={"Prefer": "delay=1500"},
                    timeout=15,
                )
            )

        worker = threading.Thread(target=slow_request)
        worker.start()
        time.sleep(0.5)
        server.process.send_signal(signal.SIGTERM)
        worker.join(timeout=15)
        assert server.process.wait(timeout=15) == 0
    assert len(answers) == 1
    assert answers[0].status_code == 200 and answers[0].json()["code"] == 2000
    assert "Finished server process" in server.output()
    # The verdict on the client, printed once the server has stopped (D47).
    assert "Client verdict: 1 request; no finding" in server.output()


def serving(*queries: str) -> Any:
    """A stand-in for `serve` that sends `queries` to the app in-process, then returns as a
    stopped server does."""

    def serve(app: Any, _settings: Any, _on_listening: Any) -> None:
        async def ask() -> None:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
                for query in queries:
                    await http.get(f"/statistics/record?{query}")

        asyncio.run(ask())

    return serve


def run_main(*queries: str, arguments: tuple[str, ...] = ()) -> None:
    # main() makes SIGTERM a no-op for the server's sake; this process's handler comes back.
    handler = signal.getsignal(signal.SIGTERM)
    try:
        with patch("mockserver.__main__.serve", side_effect=serving(*queries)):
            assert main(["--port", "0", *arguments]) == 0
    finally:
        signal.signal(signal.SIGTERM, handler)


def test_the_mock_prints_its_verdict_on_the_client_when_it_stops(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_main(f"annotationRequestId={DOC_ID}&limit=5000", "annotationRequestId=a&limit=-1")
    printed = capsys.readouterr().err
    assert "Client verdict: 2 requests; findings: 1 error, 1 info" in printed
    assert "error   paging-short-page-as-end: " in printed and "limit-over-max" in printed


def test_a_journal_that_dropped_requests_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    run_main(*[f"annotationRequestId={DOC_ID}&offset={n}" for n in range(1, 4)],
             arguments=("--journal-size", "2"))  # fmt: skip
    assert "(judged the newest 2 of 3 requests;" in capsys.readouterr().err


@pytest.mark.parametrize("arguments", [(), ("--no-journal",)], ids=["no-request", "no-journal"])
def test_no_verdict_without_requests_or_journal(
    capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...]
) -> None:
    queries = (f"annotationRequestId={DOC_ID}&limit=5000",) if arguments else ()
    run_main(*queries, arguments=arguments)
    assert "verdict" not in capsys.readouterr().err


def start_up_in_process(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    """`mockserver.__main__.main` expected to refuse to start: exit 2, its stderr."""
    # Were the input accepted by mistake, the test fails rather than serving forever.
    refuse = AssertionError(f"started serving with {arguments}")
    try:
        with patch("mockserver.__main__.serve", side_effect=refuse):
            status = main(["--port", "0", *arguments])
    except SystemExit as exit_:  # argparse's own errors (a value of the wrong type)
        status = exit_.code
    assert status == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("annotationRequests: [unclosed\n", ":2:1: not valid YAML"),
        ("annotationRequests:\n  - id: a\n    count: -1\n", "annotationRequests[0].count"),
        ("annotationRequests:\n  - id: a\n    count: 99999999999999\n", "count"),
        (
            "annotationRequests:\n  - id: a\n    count: 5\n    records:"
            + GOOD_RECORD.replace("status: 1", "status: seven"),
            "annotationRequests[0].records[0].status",
        ),
        ("annotationRequests:\n  - id: a\n    count: 1\n    colour: red\n", "colour: unknown key"),
    ],
    ids=["broken-yaml", "negative-count", "count-out-of-range", "wrong-type", "unknown-key"],
)
def test_a_bad_fixture_stops_start_up_naming_file_and_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    (tmp_path / "broken.yaml").write_text(text, encoding="utf-8")
    error = start_up_in_process(capsys, "--fixtures", str(tmp_path))
    assert "broken.yaml" in error and expected in error, error


def test_a_bad_fixture_with_two_workers_is_refused_before_any_worker_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # main reads the fixtures itself even when workers will serve: left to the workers, a bad
    # one fails each at start-up, uvicorn restarts them, and the process hangs. The fast twin
    # of the process test below, which can only see a hang as its timeout.
    (tmp_path / "broken.yaml").write_text("annotationRequests: [", encoding="utf-8")
    error = start_up_in_process(capsys, "--workers", "2", "--fixtures", str(tmp_path))
    assert "broken.yaml:1:22: not valid YAML" in error, error


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--port", "70000"], "--port: 70000 is not a port number"),
        (["--fault-rate", "2"], "--fault-rate: 2.0 is not between 0 and 1"),
        (["--latency-ms", "-5"], "--latency-ms"),
        (["--workers", "0"], "--workers"),
        (["--head-timeout", "0"], "--head-timeout: 0 is not above 0 and at most 3600 seconds"),
        (["--head-timeout", "nan"], "--head-timeout: nan is not above 0"),
        (["--signature-skew", "-1"], "--signature-skew"),
        (["--host", "not an address"], "--host"),
        (["--signature-keys", "/nonexistent/keys.json"], "/nonexistent/keys.json: cannot be read"),
        (["--seed", "abc"], "--seed: 'abc' is not a whole number"),
        (["--fixtures", "/nonexistent/folder"], "fixture folder does not exist"),
        (["--timezone", "Mars/Olympus"], "--timezone: 'Mars/Olympus' is not an IANA time zone"),
        (["--no-fixtures", "--fixtures-only"], "--fixtures-only: needs fixtures"),
    ],
    ids=[
        "port",
        "fault-rate",
        "latency",
        "workers",
        "head-timeout-zero",
        "head-timeout-nan",
        "skew",
        "host",
        "keys-file-missing",
        "seed",
        "fixtures-missing",
        "timezone",
        "fixtures-only-without-fixtures",
    ],
)
def test_a_bad_option_stops_start_up_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], arguments: list[str], expected: str
) -> None:
    assert expected in start_up_in_process(capsys, *arguments)


def test_a_keys_file_that_is_not_json_is_named_without_its_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text("team: hunter2-secret\n", encoding="utf-8")
    error = start_up_in_process(capsys, "--signature-keys", str(keys))
    assert str(keys) in error and "hunter2-secret" not in error


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_process_refuses_bad_start_up_input_with_exit_2_and_no_traceback(
    tmp_path: Path, workers: str
) -> None:
    # The in-process tests above call main(); this one proves what the process does with it.
    # With two workers too: a fixture read only in the workers would have them fail and be
    # restarted, and the process would never exit (the timeout ends the test).
    (tmp_path / "broken.yaml").write_text("annotationRequests: [", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockserver",
            "--port",
            str(free_port()),
            "--workers",
            workers,
            "--fixtures",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert "broken.yaml:1:22: not valid YAML" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_default_is_loopback_only_and_the_start_up_line_says_so(mock: RunningServer) -> None:
    # The session mock is started without --host.
    with httpx.Client() as http:
        assert http.get(f"{mock.base_url}/ui/").status_code == 200
    port = int(mock.base_url.rsplit(":", 1)[1])
    listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local = {line.split()[1] for line in listening if line.split()[3] == "0A"}
    assert f"0100007F:{port:04X}" in local, "bound to 127.0.0.1"
    assert f"00000000:{port:04X}" not in local, "not bound to every interface"


@pytest.mark.slow
def test_the_start_up_line_names_the_address_and_says_loopback_only(mock: RunningServer) -> None:
    # The session mock is started without --host; its first line is printed before it serves.
    port = int(mock.base_url.rsplit(":", 1)[1])
    first_line = mock.printed().splitlines()[0]
    assert re.search(rf"on http://127\.0\.0\.1:{port} \(loopback only", first_line), first_line


def test_sigterm_after_the_drain_ends_main_with_0_in_process() -> None:
    # uvicorn drains, then re-raises the signal that stopped it (D28): main must have put a
    # handler in place that lets the process return 0, not die of SIGTERM (-15). The fast
    # twin of the process test above: the re-raise is played by calling the handler.
    seen: list[object] = []

    def serve_then_reraise(*_arguments: object) -> None:
        handler = signal.getsignal(signal.SIGTERM)
        seen.append(handler)
        assert callable(handler), f"SIGTERM would kill the process: {handler!r}"
        handler(signal.SIGTERM, None)

    original = signal.getsignal(signal.SIGTERM)
    try:
        with patch("mockserver.__main__.serve", side_effect=serve_then_reraise):
            assert main(["--port", "0"]) == 0
    finally:
        signal.signal(signal.SIGTERM, original)
    assert len(seen) == 1 and seen[0] not in (signal.SIG_DFL, signal.SIG_IGN, original)
