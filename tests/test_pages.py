"""Pages asked before: the same bytes as a page computed anew, in a cache bounded in bytes."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from mockserver.envelope import success_head
from mockserver.errors import UnknownAnnotationRequest
from mockserver.fixtures import FixtureSet
from mockserver.generator import PinnedRequest, Vocabulary
from mockserver.pages import PageHeads
from mockserver.store import RecordStore

VOCABULARY = Vocabulary.from_faker(1)
FIXTURES = FixtureSet(
    pinned={"small": PinnedRequest(count=37), "medium": PinnedRequest(count=1234)},
    unknown=frozenset({"missing"}),
)


class CountingStore(RecordStore):
    """A store that counts the pages it is asked to compute."""

    def __init__(self) -> None:
        super().__init__(1, VOCABULARY, FIXTURES)
        self.computed = 0

    def count_and_records(
        self, annotation_request_ids: Sequence[str], offset: int, limit: int
    ) -> tuple[int, list[bytes]]:
        # What the page cache asks the store for (a Page's fields, without the Page).
        self.computed += 1
        return super().count_and_records(annotation_request_ids, offset, limit)


def fresh(ids: Sequence[str], offset: int, limit: int) -> bytes:
    page = RecordStore(1, VOCABULARY, FIXTURES).page(ids, offset, limit)
    return success_head(page.count, page.records)


@pytest.mark.parametrize(
    ("ids", "offset", "limit"),
    [
        (("small",), 1, 10),
        (("medium",), 2, 1000),
        (("small", "medium"), 1, 50),
        (("medium", "other"), 3, 700),
        (("small",), 99, 10),  # past the last page: no records
    ],
)
def test_a_page_asked_again_is_the_page_computed_anew(
    ids: tuple[str, ...], offset: int, limit: int
) -> None:
    heads = PageHeads(CountingStore())
    first = heads.head(ids, offset, limit)
    assert first == fresh(ids, offset, limit)
    assert heads.head(ids, offset, limit) == first
    assert len(heads) == 1  # the answer below comes from the cache
    assert heads.head(ids, offset, limit) == first


def test_a_page_is_kept_on_its_second_asking_not_its_first() -> None:
    store = CountingStore()
    heads = PageHeads(store)
    heads.head(("medium",), 1, 10)
    assert len(heads) == 0 and heads.size == 0  # asked once: not kept (D84)
    second = heads.head(("medium",), 1, 10)
    assert len(heads) == 1 and heads.size == len(second)
    for _ in range(3):
        assert heads.head(("medium",), 1, 10) == second
    heads.head(("medium",), 2, 10)
    assert store.computed == 3


def test_a_walk_of_pages_asked_once_keeps_none_and_evicts_none() -> None:
    # A client walking a request, beside a page asked again and again: the walk's pages, each
    # asked once, neither fill the cache nor push the page asked again out of it.
    store = CountingStore()
    heads = PageHeads(store, max_bytes=3 * len(fresh(("medium",), 1, 10)))
    heads.head(("medium",), 1, 10)
    heads.head(("medium",), 1, 10)
    for offset in range(2, 100):
        heads.head(("medium",), offset, 10)
    assert len(heads) == 1
    computed = store.computed
    heads.head(("medium",), 1, 10)
    assert store.computed == computed


def test_first_askings_are_remembered_up_to_a_bound() -> None:
    store = CountingStore()
    heads = PageHeads(store, seen_keys=3)
    for offset in (1, 2, 3):
        heads.head(("medium",), offset, 10)
    heads.head(("medium",), 1, 10)  # within the bound: kept
    assert len(heads) == 1
    for offset in (4, 5, 6, 7):  # the fourth first asking forgets the three before
        heads.head(("medium",), offset, 10)
    heads.head(("medium",), 2, 10)  # its first asking forgotten: asked once again
    assert len(heads) == 1
    heads.head(("medium",), 2, 10)
    assert len(heads) == 2


def test_pages_kept_take_no_room_among_the_first_askings() -> None:
    store = CountingStore()
    heads = PageHeads(store, seen_keys=2)
    asked_twice(heads, ("medium",), 1, 10)  # kept: no longer a first asking
    for offset in (2, 3):  # the two first askings the bound has room for
        heads.head(("medium",), offset, 10)
    heads.head(("medium",), 2, 10)
    assert len(heads) == 2


def asked_twice(heads: PageHeads, ids: tuple[str, ...], offset: int, limit: int) -> bytes:
    heads.head(ids, offset, limit)
    return heads.head(ids, offset, limit)


def test_limits_above_the_cap_share_the_capped_page() -> None:
    store = CountingStore()
    heads = PageHeads(store)
    over = asked_twice(heads, ("medium",), 1, 5000)
    assert heads.head(("medium",), 1, 1000) == over
    assert store.computed == 2


def test_the_cache_holds_at_most_its_bytes_and_drops_the_least_recently_used() -> None:
    store = CountingStore()
    one_page = len(fresh(("medium",), 1, 100))
    # Room for two 100-record pages of `medium` (their sizes differ by a few bytes), not three.
    heads = PageHeads(store, max_bytes=2 * one_page + one_page // 2)
    for offset in (1, 2, 1, 3):  # page 1 used again before page 3 arrives: page 2 goes
        asked_twice(heads, ("medium",), offset, 100)
    assert len(heads) == 2 and heads.size <= 2 * one_page + one_page // 2
    computed = store.computed
    heads.head(("medium",), 1, 100)
    heads.head(("medium",), 3, 100)
    assert store.computed == computed
    heads.head(("medium",), 2, 100)
    assert store.computed == computed + 1


def test_a_page_larger_than_the_cache_is_served_and_not_kept() -> None:
    store = CountingStore()
    heads = PageHeads(store, max_bytes=1000)
    assert asked_twice(heads, ("medium",), 1, 100) == fresh(("medium",), 1, 100)
    assert len(heads) == 0 and heads.size == 0
    heads.head(("medium",), 1, 100)
    assert store.computed == 3


def test_unknown_ids_raise_and_nothing_is_kept() -> None:
    heads = PageHeads(CountingStore())
    with pytest.raises(UnknownAnnotationRequest):
        heads.head(("small", "missing"), 1, 10)
    assert len(heads) == 0


def test_pages_of_several_ids_are_kept_apart_from_each_ids_own() -> None:
    # One cache asked for the IDs alone and together, in both orders, on the same page: each
    # answer is its own page (a key of the first ID, or of the set's size, would mix them).
    heads = PageHeads(CountingStore())
    asked = [("small",), ("small", "medium"), ("medium",), ("medium", "small"), ("small",)]
    answers = [asked_twice(heads, ids, 1, 50) for ids in asked]
    assert answers == [fresh(ids, 1, 50) for ids in asked]
    assert len({*answers}) == 3  # small alone, medium alone, and both (either order)
    assert len(heads) == 4
