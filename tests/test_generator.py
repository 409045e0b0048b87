"""The pure generator: deterministic, realistic, and priced by position rather than offset."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import workflow
from mockserver.config import DEFAULT_FIXTURES
from mockserver.fixtures import load_folder
from mockserver.generator import (
    MAX_STEPS,
    PinnedRequest,
    Vocabulary,
    make_plan,
    make_record,
    make_records,
    record_count,
)
from mockserver.layout import PERIOD, Layout, make_layout
from mockserver.rng import Rng
from tests.support.records import by_task, history_problems, record_problems

VOCABULARY = Vocabulary.from_faker(1)
# Drawn a second time from the same seed (not the process's cached one): equal records prove
# Faker itself is seeded.
VOCABULARY_AGAIN = Vocabulary.draw(1)
SAMPLE_IDS = [f"generator-test-{index}" for index in range(120)]


def records_of(annotation_request_id: str, count: int, seed: int = 1) -> list[dict]:
    plan = make_plan(seed, VOCABULARY, annotation_request_id, PinnedRequest(count=count))
    return make_records(plan, 0, count)


@given(
    seed=st.integers(0, 2**32),
    ar=st.text(min_size=1, max_size=40),
    count=st.integers(1, 4_000_000),
    position=st.integers(0, 4_000_000),
)
@settings(max_examples=40, deadline=None)
def test_a_record_is_a_pure_function_of_seed_request_and_position(
    seed: int, ar: str, count: int, position: int
) -> None:
    plan = make_plan(seed, VOCABULARY, ar, PinnedRequest(count=count))
    again = make_plan(seed, VOCABULARY_AGAIN, ar, PinnedRequest(count=count))
    position %= count
    record = make_record(plan, position)
    assert record == make_record(again, position)
    # The run used for pages gives the same record as the record asked alone.
    start = max(0, position - 3)
    assert make_records(plan, start, position + 1)[-1] == record


def test_different_seeds_give_different_records() -> None:
    assert records_of("seeded", 20, seed=1) != records_of("seeded", 20, seed=2)


def rounds_by_brute_force(layout: Layout, rounds: int) -> list[set[tuple[int, int]]]:
    """Every task's every step placed in its round by walking all the tasks, round by round."""
    placed: list[set[tuple[int, int]]] = [set() for _ in range(rounds)]
    task = 0
    for cohort in range(rounds):
        for length in layout.cohorts[cohort % PERIOD]:
            for step in range(length):
                if cohort + step < rounds:
                    placed[cohort + step].add((task, step))
            task += 1
    return placed


@given(seed=st.integers(0, 2**40), decay=st.floats(0.80, 0.94))
@settings(max_examples=30, deadline=None)
def test_the_closed_form_layout_agrees_with_walking_every_round(seed: int, decay: float) -> None:
    layout = make_layout(Rng(seed), decay)
    # Well past the table of rounds, into the periodic part, several periods deep.
    rounds = layout.ramp + 5 * PERIOD
    expected = rounds_by_brute_force(layout, rounds)
    stop = sum(len(members) for members in expected)
    slots = layout.slots(0, stop)
    position = 0
    for members in expected:
        found = {(task, step) for task, step, _ in slots[position : position + len(members)]}
        assert found == members
        position += len(members)
    assert [layout.locate(p) for p in range(0, stop, 7)] == slots[::7]


@given(ar=st.text(min_size=1, max_size=30), count=st.integers(1, 3000))
@settings(max_examples=40, deadline=None)
def test_every_task_has_its_steps_in_order_from_its_first(ar: str, count: int) -> None:
    plan = make_plan(1, VOCABULARY, ar, PinnedRequest(count=count))
    steps: dict[int, list[int]] = defaultdict(list)
    for task, step, length in plan.layout.slots(0, count):
        steps[task].append(step)
        assert step < length <= MAX_STEPS
    assert len({(task, step) for task, taken in steps.items() for step in taken}) == count
    for taken in steps.values():
        assert taken == list(range(len(taken)))


def test_ids_are_ascending_and_unique_within_a_request() -> None:
    ids = [record["id"] for record in records_of("ids-test", 2500)]
    assert ids == sorted(set(ids))
    assert len(ids) == 2500


@pytest.mark.parametrize("annotation_request_id", SAMPLE_IDS[:25])
def test_every_task_history_follows_the_documented_workflow(annotation_request_id: str) -> None:
    histories = by_task(records_of(annotation_request_id, 2500))
    assert any(len(history) >= 8 for history in histories.values())
    for history in histories.values():
        assert history_problems(history) == []


def long_tasks_plan() -> str:
    """An annotation request whose longest tasks take (nearly) every step there is."""
    return next(
        ar
        for ar in (f"long-tasks-{index}" for index in range(200))
        if make_plan(1, VOCABULARY, ar).layout.depth > 40
    )


def test_deep_steps_follow_the_documented_workflow_too() -> None:
    """Tasks of 40 steps and more, from the middle of a long log rather than its start."""
    plan = make_plan(1, VOCABULARY, long_tasks_plan(), PinnedRequest(count=4_000_000))
    start, stop = 3_000_000, 3_004_000
    started_here = {task for task, step, _ in plan.layout.slots(start, stop) if step == 0}
    histories = by_task(make_records(plan, start, stop))
    whole = [h for task, h in histories.items() if task - plan.task_id_base - 1 in started_here]
    assert max(len(history) for history in whole) > 40
    for history in whole:
        assert history_problems(history) == []


def test_the_mock_emits_every_enum_value_somewhere() -> None:
    actions: Counter[int] = Counter()
    statuses: Counter[int] = Counter()
    pool_types: Counter[int] = Counter()
    # Every value has appeared after 8 requests of 300 records (seed 1): 20 of 600 leave room.
    for annotation_request_id in SAMPLE_IDS[:20]:
        for record in records_of(annotation_request_id, 600):
            actions[record["actionType"]] += 1
            statuses[record["status"]] += 1
            pool_types[record["poolType"]] += 1
    assert set(actions) == {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 13, 14, 17}
    assert set(statuses) == {0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 16, 17}
    assert set(pool_types) == {0, 1, 2, 3, 4, 5}


def test_the_first_page_of_a_typical_request_is_varied() -> None:
    """What a developer sees first: several tasks, actions and pools, not one kind of record."""
    varied = 0
    asked = 0
    for index in range(300):
        plan = make_plan(1, VOCABULARY, f"first-page-{index}")
        if plan.count < 10:
            continue
        asked += 1
        first = make_records(plan, 0, 10)
        actions = {record["actionType"] for record in first}
        pools = {record["poolType"] for record in first}
        tasks = {record["taskId"] for record in first}
        if len(actions) >= 3 and len(pools) >= 2 and len(tasks) >= 3:
            varied += 1
    assert asked >= 200
    assert varied >= 0.9 * asked, f"only {varied} of {asked} first pages are varied"


def test_records_of_a_request_share_its_campaign_and_folder() -> None:
    records = records_of("campaign-test", 500)
    assert len({record["taskId"] for record in records}) > 10
    assert len({(r["campaignId"], r["folderId"]) for r in records}) == 1
    assert len(records[0]["campaignId"]) == 36


def test_record_counts_vary_from_none_to_thousands() -> None:
    counts = [record_count(1, f"count-{index}") for index in range(400)]
    assert any(count == 0 for count in counts)
    assert any(100 <= count < 1000 for count in counts)
    assert any(count >= 3000 for count in counts)
    assert len(set(counts)) > 200


def test_a_deep_record_walks_no_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """A record at step 40 is read from its task's table: no walk is replayed for it."""
    plan = make_plan(1, VOCABULARY, long_tasks_plan(), PinnedRequest(count=4_000_000))
    position = next(p for p in range(3_000_000, 3_100_000) if plan.locate(p)[1] >= 40)
    expected = make_record(plan, position)  # the tables are drawn on first use
    calls = 0
    original = workflow.TaskWalk.next

    def counting(self: workflow.TaskWalk) -> workflow.Step:
        nonlocal calls
        calls += 1
        return original(self)

    monkeypatch.setattr(workflow.TaskWalk, "next", counting)
    assert make_record(plan, position) == expected
    assert calls == 0


def test_pinned_records_come_first_and_generated_ids_follow_them() -> None:
    pinned = records_of("pin-source", 3)
    plan = make_plan(1, VOCABULARY, "pinned", PinnedRequest(count=50, records=tuple(pinned)))
    records = [make_record(plan, position) for position in range(50)]
    assert records[:3] == pinned
    assert make_records(plan, 0, 50) == records
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
    history = next(h for h in by_task(records_of("broken", 400)).values() if len(h) > 4)
    assert history_problems(history) == []
    swapped = [history[0], history[2], history[1], *history[3:]]
    assert history_problems(swapped) != []
    late_start = [{**history[0], "actionType": 5}, *history[1:]]
    assert history_problems(late_start) != []


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
    assert len(histories) > 10
    assert not histories.keys() & {record["taskId"] for record in pinned.records}
    for history in histories.values():
        # Starts with Initialization: no generated task lost its first record to a pinned one.
        assert history_problems(history) == []


def test_a_vocabulary_is_drawn_once_per_seed_and_equals_a_fresh_draw() -> None:
    assert Vocabulary.from_faker(1) is VOCABULARY
    assert VOCABULARY_AGAIN is not VOCABULARY and VOCABULARY_AGAIN == VOCABULARY
    assert Vocabulary.from_faker(2) != VOCABULARY
