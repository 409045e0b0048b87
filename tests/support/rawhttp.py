"""HTTP/1.1 over a plain socket, for requests that httpx would normalise or refuse to send."""

from __future__ import annotations

import contextlib
import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_CONTENT_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        return json.loads(self.body)


def address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def _receive_until(sock: socket.socket, done: Callable[[bytes], bool]) -> bytes:
    """Bytes from the server until `done` says so, it closes, or it resets the connection."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
        if done(received):
            return received


def _one_response(received: bytes) -> bool:
    head, separator, body = received.partition(b"\r\n\r\n")
    length = _CONTENT_LENGTH.search(head)
    return bool(separator and length and len(body) >= int(length.group(1)))


def receive(sock: socket.socket) -> bytes:
    """One response's bytes: up to the end of its Content-Length body, or until closed."""
    return _receive_until(sock, _one_response)


def parse(received: bytes) -> RawResponse | None:
    """The response in `received`; None if there is none (the server closed without one)."""
    if not received:
        return None
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(status_line.split()[1]), headers, body)


def receive_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; socket.timeout if it never does."""
    return _receive_until(sock, lambda _received: False)


def parse_all(received: bytes) -> list[RawResponse]:
    """The responses in `received`, one after the other as on a kept-alive connection."""
    responses = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        length = _CONTENT_LENGTH.search(head)
        size = int(length.group(1)) if length else len(rest)
        response = parse(head + b"\r\n\r\n" + rest[:size])
        assert response is not None
        responses.append(response)
        received = rest[size:]
    return responses


def exchange(base_url: str, request: bytes, timeout: float = 15.0) -> RawResponse | None:
    """Send `request` as is and read one response; None if the server closed without one."""
    with socket.create_connection(address(base_url), timeout=timeout) as sock:
        # The server may answer and close before it has read everything we send.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        return parse(receive(sock))


def request(
    target: bytes, extra_headers: bytes = b"", method: bytes = b"GET", *, keep_alive: bool = False
) -> bytes:
    """The bytes of a request for `target`, sent exactly as given."""
    return (
        method
        + b" "
        + target
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + extra_headers
        + b"Content-Length: 0\r\n"
        + (b"" if keep_alive else b"Connection: close\r\n")
        + b"\r\n"
    )
