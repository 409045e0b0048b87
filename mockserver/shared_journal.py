"""One journal for several worker processes: SQLite in WAL mode, in the parent's temp folder.

uvicorn's `--workers` are processes, each with its own memory: an in-memory journal per
worker would show each one's share only. Here every worker writes to one SQLite file that the
parent creates before spawning them and removes at exit (D47):

- one `INSERT` per request, in autocommit; `seq` is the table's AUTOINCREMENT key, given under
  SQLite's write lock, so it is one sequence across workers, never reused (not even after a
  DELETE of the journal);
- a trigger drops the entries beyond the newest `size` in that same statement, so the kept
  entries, `total` (the last `seq` minus its value at the last reset) and `dropped` are exact
  at every moment (D49);
- WAL lets readers read while workers write; `synchronous=OFF` spares the fsync, since the
  journal lives only as long as the mock.

The write is a system call per request: the in-memory `RingJournal` stays the journal of a
single worker, where the cost target is measured (D47).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson

from mockserver.journal import Page, Recorded, entry

FILE_NAME = "journal.sqlite3"
# Milliseconds a worker waits for another's write to finish; a write takes microseconds.
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE entries (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry BLOB NOT NULL);
CREATE TABLE meta (one INTEGER PRIMARY KEY CHECK (one = 1), size INTEGER NOT NULL,
                   base INTEGER NOT NULL);
CREATE TRIGGER keep_newest AFTER INSERT ON entries BEGIN
    DELETE FROM entries WHERE seq <= NEW.seq - (SELECT size FROM meta);
END;
"""
_LAST_SEQ = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'entries'), 0)"


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit (isolation_level=None): each INSERT is its own transaction; reads open one.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA synchronous = OFF")
    return connection


class SharedJournal:
    """The journal in an SQLite file that several processes write and read."""

    across_processes = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = _connect(path)

    @classmethod
    def create(cls, folder: Path, size: int) -> SharedJournal:
        """A new, empty journal in `folder` (the parent's, before the workers start)."""
        path = folder / FILE_NAME
        connection = _connect(path)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript(_SCHEMA)
        connection.execute("INSERT INTO meta VALUES (1, ?, 0)", (size,))
        connection.close()
        return cls(path)

    def record(self, request: Recorded) -> None:
        built = entry(0, request)
        del built["seq"]
        self._db.execute("INSERT INTO entries (entry) VALUES (?)", (orjson.dumps(built),))

    def read(self, since: int = 0, limit: int | None = None) -> Page:
        db = self._db
        # One read transaction: the entries and the counts of the same moment.
        db.execute("BEGIN")
        try:
            rows = db.execute(
                "SELECT seq, entry FROM entries WHERE seq > ? ORDER BY seq LIMIT ?",
                (since, -1 if limit is None else limit),
            ).fetchall()
            kept = db.execute("SELECT count(*) FROM entries").fetchone()[0]
            last = db.execute(_LAST_SEQ).fetchone()[0]
            base = db.execute("SELECT base FROM meta").fetchone()[0]
        finally:
            db.execute("COMMIT")
        entries: list[dict[str, Any]] = [{"seq": seq, **orjson.loads(entry)} for seq, entry in rows]
        total = last - base
        return Page(entries, total, total - kept)

    def clear(self) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM entries")
            db.execute(f"UPDATE meta SET base = ({_LAST_SEQ})")
        finally:
            db.execute("COMMIT")

    def last_seq(self) -> int:
        seq: int = self._db.execute(_LAST_SEQ).fetchone()[0]
        return seq

    def close(self) -> None:
        self._db.close()
