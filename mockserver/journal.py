"""The request journal: what clients asked of the operation and what they got (decision D47).

Every request to the operation's paths is recorded by `recording.py` at one place, as it is
answered; the admin API (`admin.py`) reads the journal and judges the client with
`clientjudge`. Two stores behind one protocol:

- `RingJournal`, in memory, for one worker: an append to a bounded deque per request and no
  system call, so that it costs the 10-record page a few per cent at most (`make bench`).
- `SharedJournal` (`shared_journal.py`), SQLite in WAL mode, when `--workers` spawns several
  processes: one journal and one sequence across them.

A recorded request is kept as a tuple of what the request already holds (the scope's header
pairs, its query bytes); the JSON entry is built only when someone reads the journal, and that
is where `X-SIGN`, `Authorization` and `Cookie` values are replaced (D49): no answer, export or
file ever holds them (the shared journal writes entries already built).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from functools import cache
from itertools import chain, count
from typing import Any, NamedTuple, Protocol

from contract import operation
from contract.parameters import compile_rules, parse_query
from mockserver.store import MAX_PAGE_SIZE

REDACTED = b"[REDACTED]"
# Request headers whose values are credentials: their names stay, their values never do (D49).
SECRET_HEADERS = frozenset({b"x-sign", b"authorization", b"cookie"})
# What the handler and the error handler learn about an answer, in a list the recording puts
# in the ASGI scope: [HTTP status, business code, count]. The handler of a page only writes
# its `count` (the page's status and code follow); the records it returned and the limit it
# served are read from the query when an entry is built, not on the request's path. The last
# slot is the name of the scenario that shaped the answer (D67). A list survives the shallow
# copies of the scope that the middlewares make.
NOTE = "stardust.journal"
# The session a request belongs to (`/__session/NAME/`, D70), put in the scope by the door.
SESSION = "stardust.session"
STATUS, CODE, COUNT, SCENARIO = range(4)
Note = list[Any]
# The request's headers, packed (see `packed`).
Headers = bytes
SUCCESS = 2000

# A recorded request: (at, elapsed_ms, client, method, path, query, headers, status, code,
# count, scenario, session). A plain tuple of strings, numbers and bytes: the garbage
# collector stops tracking such a tuple once it has seen its members, so ten thousand of them
# kept cost no collection time (a NamedTuple or a list would be scanned at every full collection).
Recorded = tuple[
    float, float, "tuple[str, int] | None", str, str, bytes, Headers, int, "int | None",
    "int | None", "str | None", "str | None",
]  # fmt: skip


# Up to this many header pairs, `packed` adds tuples (0.28 against 0.44 us for 5 pairs).
_ADDED_PAIRS = 32


def packed(headers: Sequence[tuple[bytes, bytes]]) -> bytes:
    """The header pairs as one bytes object, names and values separated by NUL (which HTTP
    forbids in both). Kept as the request's own pairs, thousands of small objects would be
    freed long after they were made, each a cache miss when the ring drops them (D47's cost).
    """
    flat: Iterable[bytes]
    try:
        # A few pairs (a request's usual 5 to 15) are flattened fastest by tuple addition,
        # which is quadratic: a long list goes through `chain`, as does one of lists (ASGI
        # allows any two-item iterables), which tuple addition refuses.
        flat = sum(headers, ()) if len(headers) <= _ADDED_PAIRS else chain.from_iterable(headers)
    except TypeError:
        flat = chain.from_iterable(headers)
    return b"\0".join(flat)


def unpacked(headers: bytes) -> list[tuple[bytes, bytes]]:
    if not headers:
        return []
    parts = headers.split(b"\0")
    return list(zip(parts[::2], parts[1::2], strict=True))


def new_note() -> Note:
    return [None, None, None, None]


@cache
def _rules() -> Any:
    return compile_rules(operation()["parameters"])


def page_size(query: bytes, count: int) -> tuple[int, int]:
    """(records returned, limit served) of a page the mock served for this query.

    The query was valid (the page was served), so the contract's own parser reads it as the
    mock did; the cap is the store's.
    """
    parsed = parse_query(_rules(), query)
    offset, served = parsed["offset"], min(parsed["limit"], MAX_PAGE_SIZE)
    return max(0, min(served, count - (offset - 1) * served)), served


def redacted(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers with the values of the secret ones replaced."""
    return [(n, REDACTED) if n in SECRET_HEADERS else (n, v) for n, v in headers]


def entry(seq: int, request: Recorded) -> dict[str, Any]:
    """The journal entry as the admin API and `clientjudge.exchanges.from_entry` read it; the
    secret headers' values replaced (D49)."""
    at, elapsed_ms, client, method, path, query, headers, status, code, count, scenario, session = (
        request
    )
    returned, limit = page_size(query, count) if code == SUCCESS and count is not None else (
        None, None,
    )  # fmt: skip
    return {
        "seq": seq,
        "at": at,
        "elapsed_ms": round(elapsed_ms, 3),
        "client": f"{client[0]}:{client[1]}" if client else "",
        "method": method,
        "path": path,
        "query": query.decode("latin-1"),
        "headers": [
            [n.decode("latin-1"), v.decode("latin-1")] for n, v in redacted(unpacked(headers))
        ],
        "status": status,
        "code": code,
        "count": count,
        "returned": returned,
        "limit": limit,
        # The scenario that shaped the answer (D67), so a verdict tells a provoked 5000.
        "scenario": scenario,
        # The session of `/__session/NAME/...` (D70), else null.
        "session": session,
    }


class Page(NamedTuple):
    """Entries read from a journal, oldest first, with the exact counts since the last reset."""

    entries: list[dict[str, Any]]
    total: int
    dropped: int


class Journal(Protocol):
    """What the recording writes to and the admin API reads from."""

    # Read by other processes than the one that records: the entry must be written before
    # the answer's last byte leaves, or another worker could be asked for it first.
    across_processes: bool

    def record(self, request: Recorded) -> None: ...

    def read(self, since: int = 0, limit: int | None = None) -> Page:
        """Kept entries with `seq > since`, oldest first, at most `limit` of them."""
        ...

    def clear(self) -> None:
        """Forget every entry; `total` and `dropped` start again from 0, `seq` goes on."""
        ...

    def last_seq(self) -> int:
        """The sequence number given last (0 before any); a session's reset starts after it."""
        ...

    def close(self) -> None: ...


class RingJournal:
    """The newest `size` requests in memory; `total` and `dropped` exact (D49).

    Each kept request is one flat tuple, its sequence number first. The door (recording.py)
    appends to it directly, numbering from `numbers`: the request's path then runs no Python
    function of the journal's (D47's cost).
    """

    across_processes = False

    def __init__(self, size: int) -> None:
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=size)
        # Sequence numbers, and the append that keeps only the newest `size`: both C calls.
        self.numbers = count(1)
        self.append = self._entries.append
        # Read by `recording.ring_entry`, which drops the oldest entry before it builds a new
        # one (D85): the new entry's objects then take the memory the oldest freed, which the
        # next request's own objects would otherwise get, cold (4% against 2% of a repeated
        # 10-record page on the wire, docs/performance.md).
        self.entries = self._entries
        self.size = size
        # The last sequence number given when the journal was last emptied.
        self._base = 0

    def record(self, request: Recorded) -> None:
        if len(self._entries) >= self.size:
            self._entries.popleft()
        self.append((next(self.numbers), *request))

    def _last(self) -> int:
        # Appends come in the order of their numbers: the newest entry holds the last one.
        last: int = self._entries[-1][0] if self._entries else self._base
        return last

    def read(self, since: int = 0, limit: int | None = None) -> Page:
        chosen = [entry(kept[0], kept[1:]) for kept in self._entries if kept[0] > since]
        total = self._last() - self._base
        return Page(chosen if limit is None else chosen[:limit], total, total - len(self._entries))

    def clear(self) -> None:
        # One process, one event loop: no request is recorded between these two lines.
        self._base = self._last()
        self._entries.clear()

    def last_seq(self) -> int:
        return self._last()

    def close(self) -> None:
        pass
