"""mockserver/shared_journal.py: one SQLite journal written by several workers (D47).

Two `SharedJournal`s on one file stand for two worker processes here (each opens its own
connection, as a worker does); `tests/test_workers.py` runs the real `--workers 2`.
"""

from __future__ import annotations

from pathlib import Path

from mockserver.journal import Recorded, entry, packed
from mockserver.shared_journal import SharedJournal


def recorded(worker: int, number: int) -> Recorded:
    return (
        1_700_000_000.0 + number,
        0.5,
        ("127.0.0.1", 50000 + worker),
        "GET",
        "/statistics/record",
        f"annotationRequestId=w{worker}&offset={number + 1}".encode(),
        packed(((b"host", b"mock"), (b"x-sign", b"secret-signature"))),
        200,
        2000,
        1930,
        None,
        None,
    )


def test_two_workers_share_one_sequence_and_one_journal(tmp_path: Path) -> None:
    first = SharedJournal.create(tmp_path, size=100)
    second = SharedJournal(first.path)
    for number in range(3):
        first.record(recorded(1, number))
        second.record(recorded(2, number))
    for reader in (first, second):
        page = reader.read()
        assert [e["seq"] for e in page.entries] == [1, 2, 3, 4, 5, 6]
        assert [e["query"] for e in page.entries[:2]] == [
            "annotationRequestId=w1&offset=1",
            "annotationRequestId=w2&offset=1",
        ]
        assert (page.total, page.dropped) == (6, 0)
    assert page.entries[0] == entry(1, recorded(1, 0))
    # The file holds entries already built: no secret is written to disk (D49).
    assert b"secret-signature" not in first.path.read_bytes()


def test_the_shared_journal_keeps_the_newest_and_counts_exactly(tmp_path: Path) -> None:
    first = SharedJournal.create(tmp_path, size=4)
    second = SharedJournal(first.path)
    for number in range(5):
        first.record(recorded(1, number))
        second.record(recorded(2, number))
    page = second.read()
    assert [e["seq"] for e in page.entries] == [7, 8, 9, 10]
    assert (page.total, page.dropped) == (10, 6)
    assert [e["seq"] for e in first.read(since=7, limit=2).entries] == [8, 9]


def test_clear_in_one_worker_empties_it_for_all(tmp_path: Path) -> None:
    first = SharedJournal.create(tmp_path, size=3)
    second = SharedJournal(first.path)
    for number in range(5):
        first.record(recorded(1, number))
    second.clear()
    assert first.read() == ([], 0, 0)
    first.record(recorded(1, 9))
    page = second.read()
    assert [e["seq"] for e in page.entries] == [6] and (page.total, page.dropped) == (1, 0)
