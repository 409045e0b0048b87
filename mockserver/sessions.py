"""Sessions: a base-URL prefix that scopes the journal, verdict, scenarios and clock (D70).

`/__session/NAME/` before either API prefix (or before `/__mock/`) makes a request one
session's: the client under test only gets another base URL. The door (`recording.py`) strips
the prefix and notes the name in the scope; the journal records it in each entry; the admin
API under the prefix reads, judges, sets and resets that session's only. A session is made on
first use. Its scenarios are looked at before the mock's own (those set without a prefix,
which cover every session); its clock starts as the mock's clock and moves on its own once
set.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import Scope

from mockserver.journal import SESSION
from mockserver.mock_clock import MockClock
from mockserver.provocations import Fired, ScenarioBook

# A `date` stamp (handlers.DateStamp), and what makes one from a clock (composed in app.py,
# as every DateStamp is).
Stamp = Callable[[], str]
StampMaker = Callable[[Callable[[], float]], Stamp]

PREFIX = "/__session/"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Sessions kept at once; the least recently used goes beyond it (a suite makes one per test).
MAX_SESSIONS = 4096


# The names `_NAME` takes, in words (the refusal's message, docs/client-developers.md).
NAMES = "1 to 64 letters, digits, '.', '_' or '-', the first a letter or digit"


def split(path: str) -> tuple[str, str] | None:
    """(`NAME`, the rest of the path) of `/__session/NAME/rest`, or None if it is not one."""
    name, slash, rest = path[len(PREFIX) :].partition("/")
    if not slash or not _NAME.fullmatch(name):
        return None
    return name, "/" + rest


def refusal(path: str) -> str:
    """Why `path`, under `/__session/`, is no session's (`split` refused it), and what is (D83)."""
    name = path[len(PREFIX) :].partition("/")[0]
    shown = repr(name if len(name) <= 80 else name[:80] + "...")
    if _NAME.fullmatch(name):
        # A valid name with nothing after it: the session's base URL itself.
        return (
            f"{PREFIX}{name} is a session's base URL, not a path: add the API's path "
            f"({PREFIX}{name}/statistics/record) or the admin API's ({PREFIX}{name}/__mock/...)"
        )
    return (
        f"{shown} is not a session name: a session name is {NAMES} "
        f"({PREFIX}NAME/ then the API's path or /__mock/...)"
    )


class Session:
    """One session's scenarios, clock and `date` stamp, and where its journal view starts."""

    def __init__(self, clock: MockClock, stamp: Stamp) -> None:
        self.book = ScenarioBook()
        self.clock = clock
        self.stamp = stamp
        # The journal's sequence number at the session's last reset: its view starts after it.
        self.since = 0


class Sessions:
    """The mock's own state (no prefix) and every named session's, made on first use."""

    def __init__(
        self, book: ScenarioBook, clock: MockClock, stamp: Stamp, make_stamp: StampMaker
    ) -> None:
        self.root = Session(clock, stamp)
        self.root.book = book
        self._make_stamp = make_stamp
        self._named: OrderedDict[str, Session] = OrderedDict()

    def named(self, name: str) -> Session:
        session = self._named.get(name)
        if session is None:
            # Its clock reads the mock's, so it follows the mock's until set on its own.
            clock = MockClock(self.root.clock.now)
            session = Session(clock, self._make_stamp(clock.now))
            self._named[name] = session
            if len(self._named) > MAX_SESSIONS:
                self._named.popitem(last=False)
        else:
            self._named.move_to_end(name)
        return session

    def of(self, scope: Scope) -> Session:
        name: str | None = scope.get(SESSION)
        return self.root if name is None else self.named(name)

    def now_ms(self, scope: Scope, real_ms: int) -> int:
        """The clock a request's signature is checked against: its session's, else the mock's."""
        mock = self.root.clock.at(real_ms / 1000)
        name: str | None = scope.get(SESSION)
        return round((mock if name is None else self.named(name).clock.at(mock)) * 1000)

    def choose(self, scope: Scope, ids: list[str], offset: int, limit: int) -> Fired | None:
        """The scenario that shapes the answer: the session's own first, then the mock's."""
        name: str | None = scope.get(SESSION)
        session = self.root if name is None else self.named(name)
        now = session.clock.now()
        own = session.book.choose(ids, offset, limit, now) if name is not None else None
        root = self.root.book
        shared = root.choose(ids, offset, limit, now) if root else None
        return own or shared
