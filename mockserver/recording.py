"""The one place requests are recorded, and the door to the admin API (D47, D48).

The outermost middleware of the mock (outside CORS and Connexion's exception handling), so it
sees every answer to the operation's paths: pages, the error envelopes (4005, 401/402/403,
53003, 5000) and Connexion's own 404 and 405. `/__mock/` goes to the admin API, which no other
middleware sees (no CORS headers there, D48); every other path is passed on untouched.

The handler and the error handler fill a `Note` the door puts in the scope (a page's count;
an error's status and code), so nothing parses a body again. When is a request
recorded, so that a client that has its answer finds it in the journal (D47)?

- In-memory journal, a GET or HEAD of the operation's path: right after the app returns. Its
  last `send` has written the answer's end to the socket without yielding to the event loop,
  and the recording follows before this process handles anything else, a request for the
  journal included. Wrapping `send` to record before that write would cost a coroutine per
  message: measured in-process (bench/profile.py's harness), a third of the journal's cost.
- A shared journal (workers read it from other processes), and the rare answers no handler of
  ours notes (Connexion's 404 below the path, 405 for other methods): `send` is watched, and
  the entry is written before the last body message goes out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract import OPERATION_PATH, PRODUCTION_PREFIX
from mockserver.admin import problem
from mockserver.journal import (
    CODE,
    COUNT,
    NOTE,
    SCENARIO,
    SESSION,
    STATUS,
    SUCCESS,
    Journal,
    Note,
    RingJournal,
    new_note,
    packed,
)
from mockserver.record_json import COMPILED
from mockserver.sessions import refusal, split

ADMIN_PREFIX = "/__mock/"
SESSION_PREFIX = "/__session/"
OPERATION_PATHS = frozenset({OPERATION_PATH, PRODUCTION_PREFIX + OPERATION_PATH})
# The methods the operation's handler answers (HEAD as GET): their status is noted.
NOTED_METHODS = frozenset({"GET", "HEAD"})
# An answer that no handler of ours noted and that never started: Starlette's last-resort 500.
UNANSWERED = 500


def is_below_operation_path(path: str) -> bool:
    """Below the operation's path under either prefix (Connexion answers 404 there)."""
    return any(path.startswith(known + "/") for known in OPERATION_PATHS)


def ring_entry(
    ring: RingJournal, scope: Scope, path: str, at: float, now: float, note: Note
) -> tuple[Any, ...]:
    """A noted request of the operation, as the in-memory ring keeps it (its number, then
    `Recorded`): only C calls, D47's cost. The fast door (D77) records through it too. A full
    ring drops its oldest entry first (D85), before this entry's objects exist."""
    entries = ring.entries
    if len(entries) >= ring.size:
        entries.popleft()
    count = note[COUNT]
    return (
        next(ring.numbers),
        at,
        (now - at) * 1000,
        scope.get("client"),
        scope["method"],
        path,
        scope["query_string"],
        packed(scope["headers"]),
        # A page's handler notes only its count.
        200 if count is not None else note[STATUS] or UNANSWERED,
        SUCCESS if count is not None else note[CODE],
        count,
        note[SCENARIO],
        None,
    )


# The entry as the compiled loop builds it (D85), where it is built: the same tuple, in under half
# the time (the header pairs flattened in one copy); else the function above.
RING_ENTRY: Callable[[RingJournal, Scope, str, float, float, Note], tuple[Any, ...]] = (
    ring_entry if COMPILED is None else COMPILED.ring_entry
)


class JournalDoor:
    """Records the operation's requests in `journal`; hands `/__mock/` to `admin`."""

    def __init__(
        self,
        app: ASGIApp,
        journal: Journal,
        admin: ASGIApp,
        now: Callable[[], float] = time.time,
    ) -> None:
        # Real time by default; tests of the exam give a fake clock their clients sleep on.
        self._now = now
        self._app = app
        self._journal = journal
        self._admin = admin
        self._record_now = journal.record
        # The in-memory ring is appended to here, as the app returns (see above); a journal
        # read by other processes is written through `record`, before the answer ends.
        self._ring = journal if isinstance(journal, RingJournal) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in OPERATION_PATHS:
            ring = self._ring
            if ring is not None and scope["method"] in NOTED_METHODS:
                # The common case: no coroutine of its own, one function of C calls (D47's
                # cost). The tuple is RingJournal's: its number, then Recorded.
                at = self._now()
                scope[NOTE] = note = [None, None, None, None]
                try:
                    await self._app(scope, receive, send)
                finally:
                    ring.append(RING_ENTRY(ring, scope, path, at, self._now(), note))
            else:
                await self._record_watching(scope, receive, send)
        elif path.startswith(ADMIN_PREFIX):
            await self._admin(scope, receive, send)
        elif path.startswith(SESSION_PREFIX):
            await self._session(scope, receive, send, path)
        elif is_below_operation_path(path):
            await self._record_watching(scope, receive, send)
        else:
            await self._app(scope, receive, send)

    def _record(self, scope: Scope, at: float, note: Note) -> None:
        self._record_now(
            (
                at,
                (self._now() - at) * 1000,
                scope.get("client"),
                scope["method"],
                scope["path"],
                scope["query_string"],
                packed(scope["headers"]),
                note[STATUS] or UNANSWERED,
                SUCCESS if note[COUNT] is not None else note[CODE],
                note[COUNT],
                note[SCENARIO],
                scope.get(SESSION),
            )
        )

    async def _session(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        """`/__session/NAME/rest`: `rest` served as usual, as that session's (D70)."""
        found = split(path)
        if found is None:
            # A name the sessions refuse (D83): the admin API's envelope, a 404 whose message
            # says which names are allowed, rather than Connexion's bare problem body. Not the
            # operation's request, so unrecorded; no CORS, as under /__mock/ (D48).
            await problem(404, refusal(path))(scope, receive, send)
            return
        name, rest = found
        scope = {**scope, "path": rest, "raw_path": rest.encode(), SESSION: name}
        if rest in OPERATION_PATHS or is_below_operation_path(rest):
            await self._record_watching(scope, receive, send)
        elif rest.startswith(ADMIN_PREFIX):
            await self._admin(scope, receive, send)
        else:
            await self._app(scope, receive, send)

    async def _record_watching(self, scope: Scope, receive: Receive, send: Send) -> None:
        at = self._now()
        scope[NOTE] = note = new_note()
        recorded = False

        async def watched(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start":
                note[STATUS] = message["status"]
            elif not message.get("more_body", False):
                recorded = True
                self._record(scope, at, note)
            await send(message)

        try:
            await self._app(scope, receive, watched)
        finally:
            # An answer that never finished (the client went away, or an error escaped every
            # handler) is recorded all the same.
            if not recorded:
                self._record(scope, at, note)
