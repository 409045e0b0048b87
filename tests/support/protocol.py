"""The mock's HTTP protocol (mockserver/http_limits.py) fed bytes in-process: no socket.

uvicorn's protocol is an asyncio.Protocol: it reads what `data_received` is given and writes to
its transport. A transport that keeps what is written, and an event loop run until each answer
is complete, are enough to drive it request by request, in a fraction of a process's start-up.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from mockserver.http_limits import HeadLimitedProtocol


class RecordingTransport(asyncio.Transport):
    """What the protocol writes, kept; closing and EOF recorded, never sent anywhere."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False
        self.eof = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def ok_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A 200 with a short body: the limits under test are the protocol's, not the app's."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


class Connection:
    """One kept-alive connection to HeadLimitedProtocol serving `app`, in a loop of its own."""

    def __init__(self, app: Any = ok_app, head_timeout: float = 10.0) -> None:
        self.loop = asyncio.new_event_loop()
        config = Config(app=app, log_level="critical", lifespan="off")
        config.load()
        self.transport = RecordingTransport()
        self.protocol = HeadLimitedProtocol(
            config, ServerState(), {}, self.loop, head_timeout=head_timeout
        )
        self.protocol.connection_made(self.transport)

    def send(self, data: bytes) -> bytes:
        """Feed `data`, run the loop until the app has answered, and return what was written."""
        start = len(self.transport.written)
        self.protocol.data_received(data)
        for _ in range(1000):
            cycle = self.protocol.cycle
            if self.transport.closed or cycle is None or cycle.response_complete:
                break
            self.loop.run_until_complete(asyncio.sleep(0))
        return bytes(self.transport.written[start:])

    def close(self) -> None:
        self.protocol.connection_lost(None)
        self.loop.run_until_complete(asyncio.sleep(0))
        self.loop.close()
