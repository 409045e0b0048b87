"""The pure generator: deterministic, realistic, and priced by position rather than offset."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import workflow
from mockserver.config import DEFAULT_FIXTURES
from mockserver.fixtures import load_folder
from mockserver.generator import (
    MAX_RECORDS,
    MAX_STEPS,
    PinnedRequest,
    Vocabulary,
    WalkCache,
    _layout,
    make_plan,
    make_record,
    record_count,
)
from tests.support.records import by_task, history_problems, record_problems

VOCABULARY = Vocabulary.from_faker(1)
# Built a second time from the same seed: equal records prove Faker itself is seeded.
VOCABULARY_AGAIN = Vocabulary.from_faker(1)
SAMPLE_IDS = [f"generator-test-{index}" for index in range(120)]


def records_of(
    annotation_request_id: str, seed: int = 1, limit: int = 2500, count: int | None = None
) -> list[dict]:
    pinned = PinnedRequest(count=count) if count is not None else None
    plan = make_plan(seed, VOCABULARY, annotation_request_id, pinned)
    walks = WalkCache()
    return [make_record(plan, position, walks) for position in range(min(plan.count, limit))]


@given(
    seed=st.integers(0, 2**32), ar=st.text(min_size=1, max_size=40), position=st.integers(0, 10**6)
)
@settings(max_examples=40, deadline=None)
def test_a_record_is_a_pure_function_of_seed_request_and_position(
    seed: int, ar: str, position: int
) -> None:
    plan = make_plan(seed, VOCABULARY, ar)
    again = make_plan(seed, VOCABULARY_AGAIN, ar)
    if plan.count:
        position %= plan.count
        assert make_record(plan, position) == make_record(again, position)
        assert make_record(plan, position, WalkCache()) == make_record(plan, position)


def test_different_seeds_give_different_records() -> None:
    assert records_of("seeded", seed=1, limit=20) != records_of("seeded", seed=2, limit=20)


@given(ar=st.text(min_size=1, max_size=30), count=st.integers(0, 50_000))
@settings(max_examples=60, deadline=None)
def test_layout_places_every_position_on_exactly_one_task_step(ar: str, count: int) -> None:
    plan = make_plan(1, VOCABULARY, ar, PinnedRequest(count=count))
    assert sum(plan.alive) == count
    assert list(plan.alive) == sorted(plan.alive, reverse=True), "longest histories first"
    assert len(plan.alive) <= MAX_STEPS
    if count:
        seen = {plan.locate(position) for position in range(0, count, max(1, count // 500))}
        assert all(0 <= task < plan.alive[step] for task, step in seen)
        assert plan.locate(count - 1)[1] == len(plan.alive) - 1


def test_ids_are_ascending_and_unique_within_a_request() -> None:
    ids = [record["id"] for record in records_of("ids-test")]
    assert ids == sorted(set(ids))


@pytest.mark.parametrize("annotation_request_id", SAMPLE_IDS[:25])
def test_every_task_history_follows_the_documented_workflow(annotation_request_id: str) -> None:
    for history in by_task(records_of(annotation_request_id)).values():
        assert history_problems(history) == []


def test_the_mock_emits_every_enum_value_somewhere() -> None:
    actions: Counter[int] = Counter()
    statuses: Counter[int] = Counter()
    pool_types: Counter[int] = Counter()
    for annotation_request_id in SAMPLE_IDS[:60]:
        for record in records_of(annotation_request_id, limit=1500, count=1500):
            actions[record["actionType"]] += 1
            statuses[record["status"]] += 1
            pool_types[record["poolType"]] += 1
    assert set(actions) == {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 13, 14, 17}
    assert set(statuses) == {0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 16, 17}
    assert set(pool_types) == {0, 1, 2, 3, 4, 5}


def test_records_of_a_request_share_its_campaign_and_folder() -> None:
    records = records_of("campaign-test")
    assert len({(r["campaignId"], r["folderId"]) for r in records}) == 1
    assert len(records[0]["campaignId"]) == 36


def test_record_counts_vary_from_none_to_thousands() -> None:
    counts = [record_count(1, f"count-{index}") for index in range(400)]
    assert any(count == 0 for count in counts)
    assert any(100 <= count < 1000 for count in counts)
    assert any(count >= 3000 for count in counts)
    assert len(set(counts)) > 200


def test_a_deep_record_replays_only_its_own_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 2,000,000th record costs one task's walk, not the records before it."""
    plan = make_plan(1, VOCABULARY, "deep", PinnedRequest(count=2_500_000))
    calls = 0
    original = workflow.TaskWalk.next

    def counting(self: workflow.TaskWalk) -> workflow.Step:
        nonlocal calls
        calls += 1
        return original(self)

    monkeypatch.setattr(workflow.TaskWalk, "next", counting)
    make_record(plan, 2_000_000)
    assert calls <= MAX_STEPS


def test_pinned_records_come_first_and_generated_ids_follow_them() -> None:
    pinned = records_of("pin-source", limit=3)
    plan = make_plan(1, VOCABULARY, "pinned", PinnedRequest(count=50, records=tuple(pinned)))
    records = [make_record(plan, position) for position in range(50)]
    assert records[:3] == pinned
    ids = [record["id"] for record in records]
    assert ids == sorted(set(ids))


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("status", 11, "status 11 after action"),
        ("poolType", 3, "in a pool of type 3"),
        ("instanceInfo", {"select-[e000f]": 1}, "instanceInfo sums to 1"),
        ("poolName", "X-Annotation Pool", "named unlike its type"),
        ("createdTime", "2025-04-01T10:00:00Z", "createdTime"),
    ],
)
def test_the_record_rules_catch_a_broken_record(field: str, value: object, problem: str) -> None:
    record = {
        "actionType": 0, "poolType": 0, "status": 1, "poolName": "CO-Distribution Pool",
        "instanceInfo": {}, "modifyInstanceNum": 0, "modifyAttributesNum": 0,
        "createdTime": "2025-04-01 10:00:00",
    }  # fmt: skip
    assert record_problems(record) == []
    assert any(problem in found for found in record_problems({**record, field: value}))


def test_the_history_rules_catch_a_broken_history() -> None:
    history = next(h for h in by_task(records_of("broken", count=400)).values() if len(h) > 4)
    assert history_problems(history) == []
    swapped = [history[0], history[2], history[1], *history[3:]]
    assert history_problems(swapped) != []
    late_start = [{**history[0], "actionType": 5}, *history[1:]]
    assert history_problems(late_start) != []


def layout_by_full_bisection(count: int, decay: float) -> tuple[int, ...]:
    """The layout as first written: bisection over every task count from 1 to `count`."""
    if count == 0:
        return ()
    factors = [decay**step for step in range(MAX_STEPS)]
    low, high = 1, count
    while low < high:
        middle = (low + high + 1) // 2
        if sum(int(middle * factor) for factor in factors) <= count:
            low = middle
        else:
            high = middle - 1
    alive = [int(low * factor) for factor in factors]
    alive[0] += count - sum(alive)
    while alive and alive[-1] == 0:
        alive.pop()
    return tuple(alive)


@given(count=st.integers(0, MAX_RECORDS), decay=st.floats(0.80, 0.94))
@settings(max_examples=300, deadline=None)
def test_the_narrow_layout_search_finds_what_the_full_one_finds(count: int, decay: float) -> None:
    assert _layout(count, decay) == layout_by_full_bisection(count, decay)


def test_generated_tasks_keep_whole_histories_after_pinned_records() -> None:
    documentation = load_folder(DEFAULT_FIXTURES).pinned["7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"]
    extra = {**documentation.records[0], "id": 9, "taskId": 3, "createdTime": "2025-04-02 08:00:00"}
    pinned = PinnedRequest(count=600, records=(*documentation.records, extra))
    plan = make_plan(1, VOCABULARY, "pinned-history", pinned)
    records = [make_record(plan, position) for position in range(plan.count)]
    assert records[:2] == list(pinned.records)
    generated = records[2:]
    assert [record["id"] for record in generated] == list(range(10, 10 + 598))
    assert generated[0]["createdTime"] > "2025-04-02 08:00:00"
    # One annotation request, one campaign: the generated records join the pinned ones'.
    assert {(r["campaignId"], r["folderId"]) for r in generated} == {("1001", 4001)}
    assert all(r["poolName"].startswith("CO 041401CO2-") for r in generated)
    histories = by_task(generated)
    assert not histories.keys() & {record["taskId"] for record in pinned.records}
    for history in histories.values():
        # Starts with Initialization: no generated task lost its first record to a pinned one.
        assert history_problems(history) == []
