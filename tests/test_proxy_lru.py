"""The proxy's bounded memory (`conformance/proxy/lru.py`): least recently used entries go once
the total weight or the number of entries exceeds its bound (decision C33); in-process."""

from __future__ import annotations

import pytest

from conformance.proxy.lru import BoundedLRU


def test_bounded_lru_forgets_the_least_recently_used_beyond_its_weight() -> None:
    cache: BoundedLRU[str, list[int]] = BoundedLRU(5, weight=len)
    cache.put("a", [1, 2])
    cache.put("b", [1])
    assert cache.get("a") == [1, 2]  # a is now the most recent
    cache.put("c", [1, 2])  # weight 5: all stay
    assert len(cache) == 3 and cache.total_weight == 5 and cache.evicted == 0
    cache.put("d", [1])  # weight 6: b, the least recently used, goes
    assert cache.values() == [[1, 2], [1, 2], [1]] and "b" not in cache and cache.evicted == 1
    cache.put("e", [1, 2, 3, 4])  # weight 9: a and c go, d and e stay
    assert ("a" in cache, "c" in cache, "d" in cache, "e" in cache) == (False, False, True, True)
    assert cache.total_weight == 5 and cache.evicted == 3
    cache.put("e", [1])  # replaced: its old weight is given back
    assert cache.total_weight == 2 and len(cache) == 2
    cache.put("big", [0] * 9)  # alone over the bound: the newest entry stays, alone
    assert cache.values() == [[0] * 9] and cache.total_weight == 9


def test_bounded_lru_forgets_beyond_its_number_of_entries() -> None:
    # Weight far under its bound: max_entries alone decides.
    cache: BoundedLRU[str, int] = BoundedLRU(1000, max_entries=3)
    for key in "abc":
        cache.put(key, 1)
    assert cache.get("a") == 1
    cache.put("d", 1)  # 4 entries: b, the least recently used, goes
    assert [key for key in "abcd" if key in cache] == ["a", "c", "d"]
    assert cache.evicted == 1 and cache.total_weight == 3
    assert cache.get("b") is None


def test_bounded_lru_refuses_a_bound_below_one() -> None:
    with pytest.raises(ValueError, match="max_weight must be positive, got 0"):
        BoundedLRU(0)


def test_a_bound_of_one_keeps_exactly_the_newest_entry() -> None:
    # The smallest bound allowed: one entry of weight 1 stays, a second pushes the first out.
    cache: BoundedLRU[str, int] = BoundedLRU(1)
    cache.put("a", 1)
    assert "a" in cache and len(cache) == 1 and cache.evicted == 0
    cache.put("b", 2)
    assert cache.values() == [2] and cache.total_weight == 1 and cache.evicted == 1
    by_entries: BoundedLRU[str, int] = BoundedLRU(100, max_entries=1)
    by_entries.put("a", 1)
    by_entries.put("b", 2)
    assert by_entries.values() == [2] and by_entries.evicted == 1


def test_exactly_at_its_bounds_nothing_is_forgotten() -> None:
    cache: BoundedLRU[str, int] = BoundedLRU(3, max_entries=3)
    for key in "abc":
        cache.put(key, 1)
    assert len(cache) == 3 and cache.total_weight == 3 and cache.evicted == 0


def test_get_of_an_unknown_key_is_none_and_changes_no_order() -> None:
    cache: BoundedLRU[str, int] = BoundedLRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("z") is None
    assert cache.get("a") == 1  # a is now the most recent: b goes first
    cache.put("c", 3)
    assert cache.values() == [1, 3]
    assert "z" not in cache and 1 not in cache


def test_an_entry_put_again_is_the_most_recent_with_its_new_weight() -> None:
    cache: BoundedLRU[str, list[int]] = BoundedLRU(4, weight=len)
    cache.put("a", [1])
    cache.put("b", [1])
    cache.put("a", [1, 2])  # a replaced: now the most recent, weight 1 + 2
    assert cache.values() == [[1], [1, 2]] and cache.total_weight == 3
    cache.put("c", [1, 2])  # weight 5: b, not a, goes
    assert "b" not in cache and cache.values() == [[1, 2], [1, 2]] and cache.total_weight == 4
