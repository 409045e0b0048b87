"""The proxy's keep-alive HTTP/1.1 client (`conformance/proxy/http1.py`) against scripted
upstreams: asyncio servers in this process, on loopback, that answer with the bytes a test
gives them, so that each case of the wire (chunks, HEAD, a body ending with the connection, a
connection closed as it is reused, silence) is exactly the one meant."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from conformance.launch import HOST, free_port
from conformance.proxy import http1
from conformance.proxy.http1 import Pool, UpstreamError

# A scripted upstream: given the request head it read (and the connection's number), the bytes
# to answer (the connection closed after them if they say `connection: close`), or None to
# close the connection without a word.
Script = Callable[[bytes, int], Awaitable[bytes | None]]


def answer(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = "".join(f"{header}\r\n" for header in headers)
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode() + body


def sized(body: bytes, *headers: str) -> bytes:
    return answer(body, f"content-length: {len(body)}", *headers)


class Upstream:
    """What the scripted upstream saw: the request heads and bodies, and how many
    connections were opened."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[bytes] = []
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + (await reader.readexactly(length) if length else b""))
                reply = await self.script(head, number)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if b"\r\nconnection: close\r\n" in reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


@asynccontextmanager
async def upstream(script: Script, timeout: float = 2.0, **pool: int) -> AsyncIterator[
    tuple[Upstream, Pool]
]:  # fmt: skip
    seen = Upstream(script)
    server = await asyncio.start_server(seen.handle, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    client = Pool(f"http://{HOST}:{port}/prefix", timeout, **pool)
    try:
        yield seen, client
    finally:
        await client.aclose()
        server.close()


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def test_requests_reuse_one_connection_and_carry_host_and_headers() -> None:
    async def script(head: bytes, number: int) -> bytes:
        return sized(b'{"n":%d}' % number, "content-type: application/json")

    async def test() -> None:
        async with upstream(script) as (seen, pool):
            bodies = []
            for index in range(3):
                response = await pool.request(
                    "GET", b"/prefix/x?n=%d" % index, [(b"x-sign", b"abc")], b""
                )
                assert response.status == 200
                assert (b"content-type", b"application/json") in response.headers
                bodies.append(await response.read_up_to(1000))
            post = await pool.request("POST", b"/prefix/y", [], b"payload")
            assert await post.read_up_to(1000) == (b'{"n":1}', True)
        assert bodies == [(b'{"n":1}', True)] * 3
        assert seen.connections == 1
        first = seen.requests[0].decode()
        assert first.startswith("GET /prefix/x?n=0 HTTP/1.1\r\n")
        assert f"\r\nhost: {HOST}:" in first and "\r\nx-sign: abc\r\n" in first
        assert "content-length" not in first  # a GET without a body says nothing of one
        assert seen.requests[3].endswith(b"content-length: 7\r\n\r\npayload")

    run(test)


def test_a_chunked_answer_is_read_whole_and_a_body_is_cut_at_the_limit() -> None:
    chunked = answer(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "transfer-encoding: chunked")

    async def script(head: bytes, number: int) -> bytes:
        return chunked if b"chunked" in head else sized(b"x" * 5000)

    async def test() -> None:
        async with upstream(script) as (seen, pool):
            response = await pool.request("GET", b"/chunked", [], b"")
            assert await response.read_up_to(100) == (b"hello world", True)
            large = await pool.request("GET", b"/large", [], b"")
            head, complete = await large.read_up_to(10)
            assert not complete and 10 < len(head) <= 5000
            rest = b"".join([part async for part in large.rest()])
            assert head + rest == b"x" * 5000
            again = await pool.request("GET", b"/large", [], b"")
            assert (await again.read_up_to(10_000))[0] == b"x" * 5000
        assert seen.connections == 1

    run(test)


def test_an_answer_to_head_has_no_body_and_the_connection_goes_on() -> None:
    async def script(head: bytes, number: int) -> bytes:
        if head.startswith(b"HEAD"):
            return answer(b"", "content-length: 1234")  # the length a GET would get
        return sized(b"after head")

    async def test() -> None:
        async with upstream(script) as (seen, pool):
            head = await pool.request("HEAD", b"/x", [], b"")
            assert (head.status, await head.read_up_to(100)) == (200, (b"", True))
            after = await pool.request("GET", b"/x", [], b"")
            assert await after.read_up_to(100) == (b"after head", True)
        assert seen.connections == 1

    run(test)


def test_a_body_without_length_ends_with_the_connection() -> None:
    async def script(head: bytes, number: int) -> bytes | None:
        return answer(b"until the end", "connection: close")

    async def test() -> None:
        async with upstream(script) as (_, pool):
            response = await pool.request("GET", b"/x", [], b"")
            body = await response.read_up_to(100)
        assert body == (b"until the end", True)

    run(test)


def test_a_connection_closed_as_it_is_reused_is_retried_only_for_idempotent_methods() -> None:
    answered: set[int] = set()

    async def script(head: bytes, number: int) -> bytes | None:
        # Each connection answers once, then closes on the next request without a word:
        # the race a keep-alive timeout on the upstream allows.
        if number in answered:
            return None
        answered.add(number)
        return sized(b"fresh %d" % number)

    async def test() -> None:
        async with upstream(script) as (seen, pool):
            first = await pool.request("GET", b"/x", [], b"")
            assert await first.read_up_to(100) == (b"fresh 1", True)
            second = await pool.request("GET", b"/x", [], b"")
            assert await second.read_up_to(100) == (b"fresh 2", True)
            assert seen.connections == 2
            with pytest.raises(UpstreamError) as refused:
                await pool.request("POST", b"/x", [], b"once")
            assert refused.value.kind == "RemoteProtocolError" and not refused.value.timeout
            assert seen.connections == 2  # the POST was not sent again

    run(test)


def test_silence_is_a_timeout_and_nothing_listening_a_connect_error() -> None:
    async def script(head: bytes, number: int) -> bytes:
        if b"/quick" in head:
            return sized(b"quick")
        await asyncio.sleep(5)
        return b""

    async def test() -> None:
        async with upstream(script, timeout=0.1) as (seen, pool):
            quick = await pool.request("GET", b"/quick", [], b"")
            assert await quick.read_up_to(10) == (b"quick", True)
            with pytest.raises(UpstreamError) as silent:
                await pool.request("GET", b"/x", [], b"")  # on the reused connection
            assert silent.value.timeout and silent.value.kind == "ReadTimeout"
            # A timeout is no reused connection's race: not sent again.
            assert seen.connections == 1 and len(seen.requests) == 2
        refused = Pool(f"http://{HOST}:{free_port()}", 1.0)
        with pytest.raises(UpstreamError) as nothing:
            await refused.request("GET", b"/x", [], b"")
        assert nothing.value.kind == "ConnectError" and not nothing.value.timeout

    run(test)


def test_a_body_that_breaks_off_is_an_error_not_an_answer() -> None:
    async def script(head: bytes, number: int) -> bytes | None:
        return answer(b"only part", "content-length: 100", "connection: close")

    async def test() -> None:
        async with upstream(script) as (_, pool):
            response = await pool.request("GET", b"/x", [], b"")
            with pytest.raises(UpstreamError) as broken:
                await response.read_up_to(1000)
        assert broken.value.kind == "RemoteProtocolError" and not broken.value.timeout

    run(test)


def test_a_slow_reader_holds_a_bounded_buffer_and_idle_connections_are_bounded() -> None:
    large = b"y" * (4 * http1.HIGH_WATER)

    async def script(head: bytes, number: int) -> bytes:
        if b"/large" in head:
            return sized(large)
        await asyncio.sleep(0.05)  # in use together: each request on a connection of its own
        return sized(b"small")

    async def test() -> None:
        async with upstream(script, max_idle=1) as (_, pool):
            response = await pool.request("GET", b"/large", [], b"")
            parts, most = [], 0
            async for part in response.rest():
                parts.append(part)
                most = max(most, response.buffered)
                await asyncio.sleep(0.001)
            assert b"".join(parts) == large
            # Reading pauses at HIGH_WATER; what was in flight then may still arrive.
            assert most <= 2 * http1.HIGH_WATER, most
            answers = await asyncio.gather(
                *(pool.request("GET", b"/small", [], b"") for _ in range(3))
            )
            assert [(await a.read_up_to(10))[0] for a in answers] == [b"small"] * 3
            assert len(pool.idle) == 1

    run(test)


def test_the_proxy_over_real_connections_judges_as_over_the_in_process_seam() -> None:
    """The same faulty session through the pool (a server on loopback, in a thread) and through
    httpx's ASGI transport (the tests' seam): the same violations, the same bodies."""
    import httpx

    from conformance.proxy.app import ProxyApp
    from conformance.proxy.options import ProxyOptions
    from tests.support.faulty_servers import FaultyServer, serve

    base = "/statistics/record?annotationRequestId="
    session = [f"{base}medium&limit=5&offset={n}" for n in (1, 2, 3)]
    session += [f"{base}medium&limit=1000", f"{base}small,medium", f"{base}a&limit=0"]

    async def through(app: ProxyApp) -> list[tuple[int, str, bytes]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as c:
            answers = [await c.get(path) for path in session]
        await app.client.aclose()
        return [(a.status_code, a.headers.get("x-contract-violations", ""), a.content)
                for a in answers]  # fmt: skip

    fault = "skips_a_record"
    with serve(fault) as url:
        pooled = asyncio.run(through(ProxyApp(ProxyOptions(upstream=url))))
    seam = ProxyApp(
        ProxyOptions(upstream="http://up.test"),
        transport=httpx.ASGITransport(app=FaultyServer(fault).app()),
    )
    in_process = asyncio.run(through(seam))

    def without_volatile(answers: list[tuple[int, str, bytes]]) -> list[tuple[int, str]]:
        return [(status, violations.replace(url, "")) for status, violations, _ in answers]

    assert without_volatile(pooled) == without_volatile(in_process)
    assert "pagination_complete" in " ".join(v for _, v, _ in pooled)
    assert [len(body) for *_, body in pooled] == [len(body) for *_, body in in_process]
