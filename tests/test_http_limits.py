"""Limits on the request head (mockserver/http_limits.py, D26, D29, D43): in-process first
(the protocol fed bytes, tests/support/protocol.py), then over real sockets (slow).

The mock runs with `--head-timeout 1`. Bounds on time are generous: the deadline is 1 s, and
a server without one never answers or closes at all, so the socket's own timeout ends the test.
The sizes (431 at 64 KiB of header fields, a 64 KiB request-target) are in the robustness
corpus; here, what needs a connection held open.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.protocol import Connection
from tests.support.rawhttp import (
    RawResponse,
    address,
    parse,
    parse_all,
    receive,
    receive_until_closed,
    request,
)
from tests.support.servers import RunningServer, mock_server

# Short, since every test of the deadline waits for it: the slow tier waits on no test longer.
HEAD_TIMEOUT = 0.5
# Far above the deadline, far below forever.
WITHIN = 6.0
DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
TARGET = f"/statistics/record?annotationRequestId={DOC_ID}".encode()
HALF_HEAD = b"GET " + TARGET + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trace: "
TIMED_OUT = f"Request head not complete within {HEAD_TIMEOUT:g} s."
TOO_LARGE = "Request header fields too large."
TOO_LONG = "Request-target longer than 65535 bytes."
# Whole requests a client sends at once, far over each limit: 1 MB of target, of one header.
OVERSIZED = {
    "target": (b"GET " + TARGET + b"&pad=" + b"x" * 1_000_000 + b" HTTP/1.1\r\n\r\n", 414),
    "header": (HALF_HEAD + b"x" * 1_000_000 + b"\r\nContent-Length: 0\r\n\r\n", 431),
}
MESSAGES = {414: TOO_LONG, 431: TOO_LARGE}


# What a browser or an SDK sends with every request: some 900 bytes of header fields.
REALISTIC_HEADERS = (
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"Chrome/131.0.0.0 Safari/537.36\r\n"
    b"Accept: application/json, text/plain, */*\r\nAccept-Language: en-GB,en;q=0.9\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\nX-STARDUST-KEY: dashboard-prod-7f3a\r\n"
    b"X-TS: 1733400000000\r\nX-SIGN: 0cc175b9c0f1b6a831c399e269772661\r\n"
    b"Cookie: session=" + b"s" * 400 + b"\r\n"
    b"Traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
)


def test_the_head_size_is_counted_per_request_on_a_kept_alive_connection() -> None:
    # 1,000 requests of ~1 KB on one connection: 1 MB of heads, 8 times the 128 KiB a single
    # incomplete head may take. Counted over the connection instead of per request, the
    # count would pass that bound after ~130 requests and answer 431 to a pooled client.
    # (3,000 over a real socket: test_server.py.)
    connection = Connection()
    try:
        one = request(TARGET, REALISTIC_HEADERS, keep_alive=True)
        assert 900 < len(one) < 1100
        statuses = [parse(connection.send(one)) for _ in range(1000)]
    finally:
        connection.close()
    assert [answer.status if answer else None for answer in statuses] == [200] * 1000


def fields_of(size: int) -> bytes:
    """Header fields, with those `request` adds, whose names and values take `size` bytes:
    ~67-byte fields, each far under the cap (D26), and one to make up the rest."""
    remaining = size - len("Host127.0.0.1Content-Length0Connectionclose")
    fields = [b"X-%05d: %s\r\n" % (n, b"v" * 60) for n in range(remaining // 67 - 1)]
    rest = remaining - 67 * len(fields) - len("X-Last")
    return b"".join(fields) + b"X-Last: " + b"l" * rest + b"\r\n"


@pytest.mark.parametrize(("size", "status"), [(65536, 200), (65537, 431)])
def test_the_head_size_is_the_sum_of_its_fields_in_process(size: int, status: int) -> None:
    # About a thousand small fields: the cap is on their sum, not on the largest or the last
    # (the robustness corpus sends such a head over a socket, slow).
    connection = Connection()
    try:
        answer = parse(connection.send(request(TARGET, fields_of(size))))
    finally:
        connection.close()
    assert answer is not None and answer.status == status
    assert status == 200 or answer.body.decode() == TOO_LARGE


def test_an_over_long_target_in_process_gets_414_not_400() -> None:
    # The request line ends in the same read: httptools refuses it as a parser error, which
    # must still be answered as what it is (D43), not as uvicorn's generic 400.
    connection = Connection()
    try:
        answer = parse(connection.send(b"GET /" + b"x" * 70_000 + b" HTTP/1.1\r\n\r\n"))
    finally:
        connection.close()
    assert answer is not None and answer.status == 414
    assert answer.body.decode() == TOO_LONG


def test_a_target_still_arriving_in_process_gets_414_at_the_bound() -> None:
    connection = Connection()
    try:
        assert connection.send(b"GET /" + b"x" * 65_000) == b""
        answer = parse(connection.send(b"x" * 1_000))
    finally:
        connection.close()
    assert answer is not None and answer.status == 414


@pytest.fixture(scope="module")
def quick() -> Iterator[RunningServer]:
    """The mock with a short head timeout."""
    with mock_server("--head-timeout", f"{HEAD_TIMEOUT:g}") as server:
        yield server


@contextlib.contextmanager
def connection(server: RunningServer) -> Iterator[socket.socket]:
    with socket.create_connection(address(server.base_url), timeout=WITHIN) as sock:
        yield sock


def assert_refused(response: RawResponse | None, status: int, message: str) -> None:
    """The HTTP layer's own plain-text answer, as uvicorn's 400, closing the connection."""
    assert response is not None, "closed without an answer"
    assert response.status == status
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.headers["connection"] == "close"
    assert response.body.decode() == message


def assert_served(server: RunningServer) -> None:
    response = httpx.get(
        f"{server.base_url}/statistics/record", params={"annotationRequestId": DOC_ID}, timeout=5
    )
    assert response.status_code == 200 and response.json()["code"] == 2000


# Heavy: about 2 s of CPU between client and server, kept out of make test's minute; the
# in-process test above proves the same count per request there, in a fifth of a second.
@pytest.mark.heavy
def test_one_connection_carries_3000_realistic_requests_answered_200(
    quick: RunningServer,
) -> None:
    # A client's pooled connection, from outside: 3,000 requests with ~1 KB of header fields
    # each (3 MB of heads, 24 times the head bound) on one socket, every one answered 200.
    one = request(TARGET, REALISTIC_HEADERS, keep_alive=True)
    statuses = []
    with connection(quick) as sock:
        for _ in range(3000):
            sock.sendall(one)
            answer = parse(receive(sock))
            statuses.append(answer.status if answer is not None else None)
            if answer is None or answer.headers.get("connection") == "close":
                break
    assert statuses == [200] * 3000


@pytest.mark.slow
def test_a_stalled_half_head_gets_408_and_is_closed_while_others_are_served(
    quick: RunningServer,
) -> None:
    with connection(quick) as sock:
        started = time.monotonic()
        sock.sendall(HALF_HEAD)
        assert_served(quick)
        received = receive_until_closed(sock)
        elapsed = time.monotonic() - started
    assert_refused(parse(received), 408, TIMED_OUT)
    assert HEAD_TIMEOUT * 0.5 < elapsed < WITHIN


@pytest.mark.slow
def test_a_connection_that_sends_nothing_is_closed_without_an_answer(
    quick: RunningServer,
) -> None:
    with connection(quick) as sock:
        started = time.monotonic()
        assert receive_until_closed(sock) == b""
        elapsed = time.monotonic() - started
    assert HEAD_TIMEOUT * 0.5 < elapsed < WITHIN


@pytest.mark.slow
def test_a_head_trickled_a_line_at_a_time_still_gets_408(quick: RunningServer) -> None:
    # Slowloris: every line comes before any idle timeout would fire; the deadline is for the
    # whole head.
    with connection(quick) as sock:
        started = time.monotonic()
        sock.sendall(b"GET " + TARGET + b" HTTP/1.1\r\n")
        for line in range(int(WITHIN / 0.2)):
            if select.select([sock], [], [], 0.2)[0]:
                break  # the server has answered
            sock.sendall(b"X-Line-%d: x\r\n" % line)
        received = receive_until_closed(sock)
        elapsed = time.monotonic() - started
    assert_refused(parse(received), 408, TIMED_OUT)
    assert elapsed < WITHIN + 1


@pytest.mark.slow
def test_a_kept_alive_connection_stalled_in_its_second_head_gets_408(
    quick: RunningServer,
) -> None:
    with connection(quick) as sock:
        sock.sendall(request(TARGET, keep_alive=True))
        first = parse(receive(sock))
        assert first is not None and first.status == 200
        assert "connection" not in first.headers, "the connection is kept alive"
        # Longer than the head timeout, shorter than uvicorn's keep-alive timeout (5 s): the
        # deadline starts with the second request's first byte, not with the connection.
        time.sleep(HEAD_TIMEOUT * 1.5)
        sock.sendall(HALF_HEAD)
        started = time.monotonic()
        received = receive_until_closed(sock)
        elapsed = time.monotonic() - started
    assert_refused(parse(received), 408, TIMED_OUT)
    assert HEAD_TIMEOUT * 0.5 < elapsed < WITHIN


@pytest.mark.slow
def test_a_kept_alive_connection_that_trickles_blank_lines_gets_408(
    quick: RunningServer,
) -> None:
    # Blank lines between requests begin no request in the parser, but they are bytes of the
    # next head: each one stopped uvicorn's keep-alive timer, and nothing else ran.
    with connection(quick) as sock:
        sock.sendall(request(TARGET, keep_alive=True))
        first = parse(receive(sock))
        assert first is not None and first.status == 200
        started = time.monotonic()
        for _ in range(int(WITHIN / 0.2)):
            if select.select([sock], [], [], 0.2)[0]:
                break  # the server has answered
            sock.sendall(b"\r\n")
        received = receive_until_closed(sock)
        elapsed = time.monotonic() - started
    assert_refused(parse(received), 408, TIMED_OUT)
    assert elapsed < WITHIN + 1


@pytest.mark.slow
def test_a_pipelined_half_head_waits_for_the_answer_before_it(quick: RunningServer) -> None:
    # The first answer takes twice the head timeout: the 408 for the second head must not
    # cut into it, but follow it.
    with connection(quick) as sock:
        delay = f"Prefer: delay={HEAD_TIMEOUT * 2000:.0f}\r\n".encode()
        sock.sendall(request(TARGET, delay, keep_alive=True) + HALF_HEAD)
        first, *rest = parse_all(receive_until_closed(sock))
    assert first.status == 200 and first.json()["code"] == 2000
    assert len(rest) == 1
    assert_refused(rest[0], 408, TIMED_OUT)


@pytest.mark.slow
def test_a_header_that_never_ends_gets_431_without_being_read_to_its_end(
    quick: RunningServer,
) -> None:
    # 1 MB of one header value and no line end: refused on what has been read, without
    # waiting for the rest (the deadline would have answered 408).
    with connection(quick) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(HALF_HEAD + b"x" * 1_000_000)
        received = receive_until_closed(sock)
    assert_refused(parse(received), 431, "Request header fields too large.")


@pytest.mark.slow
def test_a_request_target_that_never_ends_gets_414_without_being_read_to_its_end(
    quick: RunningServer,
) -> None:
    # httptools' URL parser refuses a target over 65535 bytes once the line has ended; the
    # mock answers 414 as soon as the target is that long.
    with connection(quick) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"GET " + TARGET + b"&pad=" + b"x" * 1_000_000)
        received = receive_until_closed(sock)
    assert_refused(parse(received), 414, TOO_LONG)


def send_whole_and_read(server: RunningServer, data: bytes) -> RawResponse | None:
    """Send all of `data` as a client would, then read to the end; a reset fails the test.

    Unlike `receive_until_closed`, which keeps what arrived before a reset, this treats a
    reset anywhere, while sending or reading, as what it is to a client: no answer read.
    """
    with connection(server) as sock:
        try:
            sock.sendall(data)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        except (BrokenPipeError, ConnectionResetError) as error:
            pytest.fail(f"the connection was reset ({type(error).__name__}), no answer read")
    return parse(received)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(OVERSIZED))
def test_an_oversized_request_sent_whole_always_reads_its_status(
    quick: RunningServer, kind: str
) -> None:
    # The mock refuses at 64 KiB while the client is still sending its megabyte: it reads the
    # rest and drops it (lingering close), so the client reads the status, never a reset.
    data, status = OVERSIZED[kind]
    for _ in range(20):
        assert_refused(send_whole_and_read(quick, data), status, MESSAGES[status])


@pytest.mark.slow
def test_oversized_requests_read_their_status_while_the_server_is_loaded(
    quick: RunningServer,
) -> None:
    # Under load, the reset of an early close used to reach the client before the answer.
    stop = threading.Event()
    served: list[int] = []

    def load() -> None:
        with httpx.Client(base_url=quick.base_url, timeout=WITHIN) as client:
            while not stop.is_set():
                page = client.get(
                    "/statistics/record", params={"annotationRequestId": DOC_ID, "limit": 1000}
                )
                served.append(page.status_code)

    def oversized(kind: str) -> RawResponse | None:
        return send_whole_and_read(quick, OVERSIZED[kind][0])

    loaders = [threading.Thread(target=load) for _ in range(4)]
    for loader in loaders:
        loader.start()
    try:
        deadline = time.monotonic() + WITHIN
        while len(served) < len(loaders) and time.monotonic() < deadline:
            time.sleep(0.01)  # the load is on before the first oversized request
        with ThreadPoolExecutor(4) as pool:
            kinds = sorted(OVERSIZED) * 12
            answers = list(pool.map(oversized, kinds))
    finally:
        stop.set()
        for loader in loaders:
            loader.join()
    for kind, answer in zip(kinds, answers, strict=True):
        status = OVERSIZED[kind][1]
        assert_refused(answer, status, MESSAGES[status])
    assert served and set(served) == {200}


# The heavy tier (CI, make test-heavy): a multi-worker or draining process, seconds each;
# make test keeps the in-process proof of the same rule.
@pytest.mark.heavy
def test_every_worker_process_has_the_deadline() -> None:
    arguments = ("--workers", "2", "--head-timeout", f"{HEAD_TIMEOUT:g}")
    with mock_server(*arguments) as server, contextlib.ExitStack() as stack:
        # Several connections at once, so that both workers are very likely to take some.
        sockets = [stack.enter_context(connection(server)) for _ in range(8)]
        for sock in sockets:
            sock.sendall(HALF_HEAD)
        for sock in sockets:
            assert_refused(parse(receive_until_closed(sock)), 408, TIMED_OUT)
