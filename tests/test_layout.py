"""Where each record of an annotation request sits (`mockserver/layout.py`), on its own: the
tables `make_layout` builds and the look-ups at their edges. In-process and quick; the
closed form against a walk of every round is in tests/test_generator.py, and the golden pages
(tests/test_determinism.py) pin which record the mock serves where.
"""

from __future__ import annotations

from itertools import accumulate

import pytest

from mockserver.layout import MAX_STEPS, PERIOD, Layout, _members, _task_length, make_layout
from mockserver.rng import Rng

SEEDS = range(12)


def brute_sizes(layout: Layout, rounds: int) -> list[int]:
    """How many tasks act in each round, counted task by task."""
    sizes = [0] * rounds
    for cohort in range(rounds):
        for length in layout.cohorts[cohort % PERIOD]:
            for step in range(length):
                if cohort + step < rounds:
                    sizes[cohort + step] += 1
    return sizes


@pytest.mark.parametrize("seed", SEEDS)
def test_the_tables_of_a_layout_are_those_of_its_cohorts(seed: int) -> None:
    layout = make_layout(Rng(seed), 0.9)
    assert len(layout.cohorts) == PERIOD
    assert len(layout.cohorts[0]) == 1  # the log starts with a task
    for lengths in layout.cohorts:
        assert list(lengths) == sorted(lengths, reverse=True)
        assert len(lengths) <= 2 and all(1 <= length <= MAX_STEPS for length in lengths)
    longest = max(lengths[0] for lengths in layout.cohorts if lengths)
    assert layout.ramp == longest - 1 and layout.depth == longest
    assert layout.task_starts == tuple(accumulate(map(len, layout.cohorts), initial=0))
    rounds = layout.ramp + PERIOD
    assert layout.round_starts == tuple(accumulate(brute_sizes(layout, rounds), initial=0))


def test_layouts_of_other_cohorts_have_other_keys() -> None:
    # The key names the cached members of steady rounds: two plans must not share one.
    layouts = [make_layout(Rng(seed), 0.9) for seed in range(40)]
    assert len({layout.key for layout in layouts}) == len({layout.cohorts for layout in layouts})
    assert make_layout(Rng(3), 0.9) == make_layout(Rng(3), 0.9)


def test_task_lengths_are_geometric_and_capped() -> None:
    rng = Rng(5)
    lengths = [_task_length(rng, 0.85) for _ in range(4000)]
    assert min(lengths) == 1 and max(lengths) <= MAX_STEPS
    assert lengths.count(1) > lengths.count(2) > lengths.count(3)
    assert max(_task_length(Rng(n), 0.9999) for n in range(50)) == MAX_STEPS


@pytest.mark.parametrize("seed", SEEDS)
def test_positions_map_to_their_rounds_at_every_edge(seed: int) -> None:
    layout = make_layout(Rng(seed), 0.9)
    starts, ramp = layout.round_starts, layout.ramp
    period_size = starts[-1] - starts[ramp]
    for round_number in range(ramp + 3 * PERIOD):
        periods, index = divmod(round_number - ramp, PERIOD) if round_number >= ramp else (0, 0)
        table = ramp + index if round_number >= ramp else round_number
        first = starts[table] + periods * period_size
        size = starts[table + 1] - starts[table]
        if size == 0:
            continue
        for position in (first, first + size - 1):
            assert layout.round_at(position) == (round_number, first, size)
        assert len(layout.members(round_number)) == size


@pytest.mark.parametrize("seed", SEEDS)
def test_the_members_of_a_round_are_the_tasks_it_spans(seed: int) -> None:
    layout = make_layout(Rng(seed), 0.9)
    for round_number in range(layout.ramp + 2 * PERIOD):
        expected = sorted(
            (round_number - cohort, index, length)
            for cohort in range(round_number + 1)
            for index, length in enumerate(layout.cohorts[cohort % PERIOD])
            if cohort + length > round_number
        )
        assert sorted(layout.members(round_number)) == expected
        assert _members(layout.cohorts, round_number, layout.ramp) == layout.members(round_number)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_rounds_order_is_a_permutation(seed: int) -> None:
    layout = make_layout(Rng(seed), 0.9)
    for round_number in range(3 * PERIOD):
        own = layout.round_at(layout.round_starts[min(round_number, layout.ramp)])[2]
        for size in {own, 1, 2, 6, 12}:
            stride, shift = layout.order(round_number, size)
            assert stride >= 1 and 0 <= shift < size
            assert sorted((i * stride + shift) % size for i in range(size)) == list(range(size))
    # Different rounds are shuffled differently.
    assert len({layout.order(n, 97) for n in range(40)}) > 30


@pytest.mark.parametrize("seed", SEEDS)
def test_slots_and_locate_agree_across_rounds_and_periods(seed: int) -> None:
    layout = make_layout(Rng(seed), 0.9)
    stop = layout.round_starts[-1] * 3 + 17
    slots = layout.slots(0, stop)
    assert len(slots) == stop
    assert [layout.locate(p) for p in range(0, stop, 5)] == slots[::5]
    assert layout.slots(40, 75) == slots[40:75]
    assert layout.slots(7, 7) == []
    tasks = {task for task, _, _ in slots}
    assert min(tasks) == 0 and len(tasks) == max(tasks) + 1  # tasks numbered without gaps
