"""The sync transport to an ASGI app (`conformance/sync_asgi.py`), in-process.

What a client's synchronous test relies on: a plain `httpx.Client` reaches the app, a client
closed on the transport leaves it running, it works inside a running event loop, and the app
sees one event loop however many clients call it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conformance.sync_asgi import ThreadedASGITransport
from mockserver.app import create_app
from mockserver.config import Settings
from tests.support.asgi import whole_body

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app answering with its request body, its event loop and its thread."""
    body = await whole_body(receive)
    where = f"{id(asyncio.get_running_loop())} {threading.get_ident()}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body + b"|" + where})


@pytest.fixture
def echo_transport() -> Iterator[ThreadedASGITransport]:
    transport = ThreadedASGITransport(echo)
    yield transport
    transport.shutdown()


def test_a_plain_sync_client_reads_the_mock() -> None:
    transport = ThreadedASGITransport(create_app(Settings()))
    try:
        with httpx.Client(transport=transport, base_url="http://mock") as client:
            answer = client.get("/statistics/record", params={"annotationRequestId": DOC_ID})
    finally:
        transport.shutdown()
    assert answer.status_code == 200 and answer.json()["data"]["count"] == 1930


def test_a_client_closed_on_it_leaves_it_running(echo_transport: ThreadedASGITransport) -> None:
    with httpx.Client(transport=echo_transport, base_url="http://app") as first:
        first.get("/")
    with httpx.Client(transport=echo_transport, base_url="http://app") as second:
        assert second.get("/").status_code == 200


def test_the_body_reaches_the_app_and_one_loop_serves_every_client(
    echo_transport: ThreadedASGITransport,
) -> None:
    answers = []
    for body in (b"one", b"two"):
        with httpx.Client(transport=echo_transport, base_url="http://app") as client:
            answers.append(client.post("/", content=body).content)
    assert [answer.split(b"|")[0] for answer in answers] == [b"one", b"two"]
    places = {answer.split(b"|")[1] for answer in answers}
    (place,) = places  # one loop, one thread, for both clients
    assert place.split()[1] != str(threading.get_ident()).encode(), "not the test's thread"


def test_it_works_inside_a_running_event_loop(echo_transport: ThreadedASGITransport) -> None:
    # A sync client called from async code (an async test using a sync client library): an
    # event loop run in the calling thread would fail here, as one is already running.
    async def inside() -> bytes:
        with httpx.Client(transport=echo_transport, base_url="http://app") as client:
            return client.post("/", content=b"x").content

    assert asyncio.run(inside()).startswith(b"x|")


def test_after_shutdown_a_request_raises() -> None:
    transport = ThreadedASGITransport(echo)
    transport.shutdown()
    with pytest.raises(RuntimeError), httpx.Client(transport=transport) as client:
        client.get("http://app/")
