"""The listening socket, opened before uvicorn starts (D41).

The mock opens it itself, so that its start-up line is printed only once connections are
accepted (a script that waits for the line may connect at once), and so that a port in use is
one clear line and exit 2 rather than uvicorn's `Errno 98` and exit 3.
"""

from __future__ import annotations

import errno
import socket

# uvicorn's default backlog: connections the kernel queues before the server accepts them.
BACKLOG = 2048


class CannotListen(OSError):
    """The address cannot be listened on; the message says why and what to do."""


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) and listening, as uvicorn would have opened it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn does: a restarted mock may bind while the last one's connections time out.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CannotListen(f"port {port} is in use; pass --port") from None
        raise CannotListen(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return sock
