"""The fast door: the operation's common request answered in front of Connexion's stack (D77).

Connexion's stack costs most of a repeated page's time (docs/performance.md, issue 27 round
2): its entry and Starlette's error middleware, the exception middlewares, Swagger UI's and
the routing's look-ups, the validation middleware, each a coroutine or two per request. For
the one request the mock is there for, none of them does anything but pass it on: a GET of
the operation's path (bare or under the production prefix), a query the contract accepts,
no `Prefer` (a forced outcome), no `Origin` (CORS headers), no scenario set, nothing that
can fail. That request is validated here with the same compiled rules
(`contract/parameters.py`), by the same handler, recorded in the same journal ring
(`recording.ring_entry`) and logged in the same access log, and its answer is the one the
stack would send, byte for byte (`tests/test_fast_door.py` sends a corpus both ways).

Everything else goes through Connexion unchanged: other methods and paths, sessions, the
admin API, a query the rules refuse (Connexion's validation answers its 4005), a request
whose handler raises (it is handed to the stack from the start, which calls the handler
again and answers with the error envelope), and every request of a mock built with what
only the stack handles (signature keys, injected faults or latency, drills: `door_is_safe`),
or whose journal is shared by workers (recorded before the answer ends, `recording.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from contract.parameters import ParameterError, ParameterRule, QueryParser, parse_query
from mockserver.config import Settings
from mockserver.handlers import PARSED_QUERY, Handler
from mockserver.journal import NOTE, RingJournal
from mockserver.recording import OPERATION_PATHS, RING_ENTRY

# Headers whose request needs the stack: a forced outcome (the handler raises, or sleeps) and
# a CORS request (the CORS middleware adds its headers, or answers a preflight).
STACK_HEADERS = frozenset({b"prefer", b"origin"})
# Queries the rules accepted, kept by their bytes, so that a page asked again is not parsed
# again: at most this many, of at most this many bytes each. At worst (100 IDs of a few bytes
# in each) some 6.5 kB an entry with its parsed IDs: under 2 MB in all.
MEMO_QUERIES = 256
MEMO_QUERY_BYTES = 512


class LineSink(Protocol):
    """Where the door logs the responses it sends (mockserver.access_log.AccessLog)."""

    def response(self, scope: Scope, status: int) -> None: ...


def door_is_safe(settings: Settings) -> bool:
    """Whether the mock's settings leave a request that only the stack would handle
    recognisable by the request alone: otherwise no door is built."""
    return (
        not settings.signature_keys
        and settings.fault_rate == 0
        and settings.latency_ms == 0
        and not settings.drills
    )


class FastDoor:
    """ASGI: the operation's common request answered here; every other goes on to `app`."""

    def __init__(
        self,
        app: ASGIApp,
        log: LineSink | None = None,
        *,
        rules: Sequence[ParameterRule],
        handler: Handler,
        live_scenarios: Mapping[str, Any],
        ring: RingJournal | None,
        now: Callable[[], float],
    ) -> None:
        self._app = app
        self._rules = rules
        # The fast path for the common query (D82): a fresh page's query is never in the memo
        # below; `parse_query` decides the others.
        self._fast = QueryParser(rules).fast
        self._handler = handler
        # The scenarios the mock's admin API sets, changed in place: while any is set, the
        # handler takes its provoked path, which may raise or count requests.
        self._live = live_scenarios
        self._ring = ring
        self._now = now
        self._log = log
        self._valid: dict[bytes, dict[str, Any]] = {}

    def _parsed(self, query: bytes) -> dict[str, Any] | None:
        """The query as the rules parse it, or None if they refuse it."""
        parsed = self._valid.get(query)
        if parsed is not None:
            return parsed
        parsed = self._fast(query)
        if parsed is None:
            try:
                parsed = parse_query(self._rules, query)
            except ParameterError:
                return None
        if len(query) <= MEMO_QUERY_BYTES:
            valid = self._valid
            if len(valid) >= MEMO_QUERIES:
                # All out at once: one C loop, where taking the oldest out scanned the dict's
                # deleted slots on each new query (a fresh page's, every time). A query asked
                # again and again is parsed again once per MEMO_QUERIES new ones.
                valid.clear()
            valid[query] = parsed
        return parsed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # One coroutine for the whole of a request the door answers: each layer costs one.
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"] not in OPERATION_PATHS
            or self._live
        ):
            await self._app(scope, receive, send)
            return
        for name, _ in scope["headers"]:
            if name in STACK_HEADERS:
                await self._app(scope, receive, send)
                return
        query = self._parsed(scope["query_string"])
        if query is None:
            await self._app(scope, receive, send)
            return
        scope[PARSED_QUERY] = query
        ring = self._ring
        at = self._now()
        if ring is not None:
            # The journal door's note (recording.py), which the handler fills.
            scope[NOTE] = note = [None, None, None, None]
        try:
            answer = await self._handler(scope)
        except Exception:
            # An error envelope is the stack's to answer (its exception middleware, the error
            # handler): the request goes there from the start, as if the door were not here.
            scope.pop(NOTE, None)
            await self._app(scope, receive, send)
            return
        except BaseException:
            # Cancelled: recorded unanswered, as the journal's door records it (D47).
            if ring is not None:
                ring.append(RING_ENTRY(ring, scope, scope["path"], at, self._now(), note))
            raise
        if self._log is not None:
            self._log.response(scope, answer.status_code)  # type: ignore[attr-defined]
        if ring is None:
            await answer(scope, receive, send)
            return
        try:
            await answer(scope, receive, send)
        finally:
            ring.append(RING_ENTRY(ring, scope, scope["path"], at, self._now(), note))
