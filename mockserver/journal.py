"""The request journal: what clients asked of the operation and what they got (decision D47).

Every request to the operation's paths is recorded by `recording.py` at one place, as it is
answered; the admin API (`admin.py`) reads the journal and judges the client with
`clientjudge`. Two stores behind one protocol:

- `RingJournal`, in memory, for one worker: an append to a bounded deque per request and no
  system call, so that it costs the 10-record page a few per cent at most (`make bench`).
- `SharedJournal` (`shared_journal.py`), SQLite in WAL mode, when `--workers` spawns several
  processes: one journal and one sequence across them.

A recorded request is kept as a tuple of what the request already holds (the scope's header
list, its query bytes); the JSON entry is built only when someone reads the journal. Secrets
never enter it: `X-SIGN`, `Authorization` and `Cookie` values are replaced on the way in (D49).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Protocol

REDACTED = b"[REDACTED]"
# Request headers whose values are credentials: their names stay, their values never do (D49).
SECRET_HEADERS = frozenset({b"x-sign", b"authorization", b"cookie"})
# What the handler and the error handler learn about an answer, in a list the recording puts
# in the ASGI scope: [business code, count, records returned, limit served, scenario's name].
# A list survives the shallow copies of the scope that the middlewares make.
NOTE = "stardust.journal"
CODE, COUNT, RETURNED, LIMIT, SCENARIO = range(5)
Note = list[Any]
Headers = Sequence[tuple[bytes, bytes]]


def new_note() -> Note:
    return [None, None, None, None, None]


def redacted(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers with the values of the secret ones replaced."""
    return [
        (name, REDACTED) if name in SECRET_HEADERS else (name, value) for name, value in headers
    ]


class Recorded(NamedTuple):
    """One request and its answer, as the recording saw it (D47)."""

    at: float
    elapsed_ms: float
    client: tuple[str, int] | None
    method: str
    path: str
    query: bytes
    headers: Headers
    status: int
    note: Note

    def entry(self, seq: int) -> dict[str, Any]:
        """The journal entry as the admin API and `clientjudge.exchanges.from_entry` read it."""
        note = self.note
        client = self.client
        return {
            "seq": seq,
            "at": self.at,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "client": f"{client[0]}:{client[1]}" if client else "",
            "method": self.method,
            "path": self.path,
            "query": self.query.decode("latin-1"),
            "headers": [[n.decode("latin-1"), v.decode("latin-1")] for n, v in self.headers],
            "status": self.status,
            "code": note[CODE],
            "count": note[COUNT],
            "returned": note[RETURNED],
            "limit": note[LIMIT],
            # The scenario that shaped the answer (D67), so a verdict tells a provoked 5000.
            "scenario": note[SCENARIO],
        }


class Page(NamedTuple):
    """Entries read from a journal, oldest first, with the exact counts since the last reset."""

    entries: list[dict[str, Any]]
    total: int
    dropped: int


class Journal(Protocol):
    """What the recording writes to and the admin API reads from."""

    def record(self, request: Recorded) -> None: ...

    def read(self, since: int = 0, limit: int | None = None) -> Page:
        """Kept entries with `seq > since`, oldest first, at most `limit` of them."""
        ...

    def clear(self) -> None:
        """Forget every entry; `total` and `dropped` start again from 0, `seq` goes on."""
        ...

    def close(self) -> None: ...


class RingJournal:
    """The newest `size` requests in memory; `total` and `dropped` exact (D48)."""

    def __init__(self, size: int) -> None:
        self._entries: deque[tuple[int, Recorded]] = deque(maxlen=size)
        # The last sequence number given, and its value at the last reset.
        self._seq = 0
        self._base = 0

    def record(self, request: Recorded) -> None:
        # One process, one event loop: nothing runs between these two lines.
        self._seq += 1
        self._entries.append((self._seq, request))

    def read(self, since: int = 0, limit: int | None = None) -> Page:
        chosen = [entry.entry(seq) for seq, entry in self._entries if seq > since]
        total = self._seq - self._base
        return Page(chosen if limit is None else chosen[:limit], total, total - len(self._entries))

    def clear(self) -> None:
        self._entries.clear()
        self._base = self._seq

    def close(self) -> None:
        pass
