"""The one place requests are recorded, and the door to the admin API (D47, D48).

The outermost middleware of the mock (outside CORS and Connexion's exception handling), so it
sees every answer to the operation's paths: pages, the error envelopes (4005, 401/402/403,
53003, 5000) and Connexion's own 404 and 405. It records the request when the answer's last
body message goes out, before the server sends it: when the client has its answer, the entry is
in the journal, and a test reads it without sleeping (D47).

The handler and the error handler fill a `Note` the recording puts in the scope (code, count,
records returned, limit served), so nothing parses a body again. `/__mock/...` goes to the
admin API, which no other middleware sees (no CORS headers there, D48); every other path is
passed on untouched.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract import OPERATION_PATH, PRODUCTION_PREFIX
from mockserver.journal import NOTE, Journal, Recorded, new_note, redacted

ADMIN_PREFIX = "/__mock/"
OPERATION_PATHS = frozenset({OPERATION_PATH, PRODUCTION_PREFIX + OPERATION_PATH})


def is_operation_path(path: str) -> bool:
    """The operation's path under either prefix, or below it (Connexion's 404 there)."""
    if path in OPERATION_PATHS:
        return True
    return any(path.startswith(known + "/") for known in OPERATION_PATHS)


class JournalDoor:
    """Records the operation's requests in `journal`; hands `/__mock/` to `admin`."""

    def __init__(self, app: ASGIApp, journal: Journal, admin: ASGIApp) -> None:
        self._app = app
        self._journal = journal
        self._admin = admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in OPERATION_PATHS or is_operation_path(path):
            await self._record(scope, receive, send)
        elif path.startswith(ADMIN_PREFIX) or path == ADMIN_PREFIX[:-1]:
            await self._admin(scope, receive, send)
        else:
            await self._app(scope, receive, send)

    async def _record(self, scope: Scope, receive: Receive, send: Send) -> None:
        at = time.time()
        started = time.perf_counter()
        note = new_note()
        scope[NOTE] = note
        status = 0
        recorded = False
        journal = self._journal

        def record() -> None:
            nonlocal recorded
            recorded = True
            journal.record(
                Recorded(
                    at,
                    (time.perf_counter() - started) * 1000,
                    scope.get("client"),
                    scope["method"],
                    scope["path"],
                    scope["query_string"],
                    redacted(scope["headers"]),
                    status,
                    note,
                )
            )

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif not message.get("more_body", False):
                record()
            await send(message)

        try:
            await self._app(scope, receive, watched)
        finally:
            # An answer that never finished (the client went away, or an error escaped every
            # handler, which the server then answers 500) is recorded all the same.
            if not recorded:
                if status == 0:
                    status = 500
                record()
