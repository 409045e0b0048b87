"""Growing data: a request served as a prefix of its full order that lengthens (D71).

A layer over `RecordStore.page`, which it only calls: the store's records are a pure function
of their position in the full order, so serving the first `visible` of them means that records
are appended at the end (ids ascending), that one served never changes, and that every page is
a slice of the one order. `count` is `visible`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mockserver.provocations import Fired
from mockserver.store import MAX_PAGE_SIZE, RecordStore


@dataclass(frozen=True, slots=True)
class GrownPage:
    count: int
    records: list[bytes]


def grown_page(
    store: RecordStore, ids: Sequence[str], offset: int, limit: int, fired: Fired
) -> GrownPage:
    """Page `offset` of the records that exist now, by the scenario's growth."""
    growth = fired.scenario.grow
    full = store.page(ids, offset, limit)
    if growth is None:
        return GrownPage(full.count, full.records)
    visible = growth.visible(full.count, fired.nth, fired.elapsed)
    first = (offset - 1) * min(limit, MAX_PAGE_SIZE)
    keep = max(0, min(min(limit, MAX_PAGE_SIZE), visible - first))
    return GrownPage(visible, full.records[:keep])
