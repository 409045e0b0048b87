"""mockserver/workflow.py: walks through a campaign's pools keep the documented rules.

The rules are tests/support/records.py's, written independently of the state machine; here the
walks are driven directly, on every shape of workflow, without the generator around them.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from mockserver.enums import PoolType, Status, TaskAction
from mockserver.rng import Rng
from mockserver.workflow import Pool, Step, TaskWalk, Team, Workflow
from tests.support.records import ACTION_POOLS, history_problems

TEAM = Team(
    admin="admin",
    algorithm="robot",
    labelers=("labeler-1", "labeler-2"),
    reviewers=("reviewer-1",),
    analysts=("analyst-1", "analyst-2"),
)
NAMES = {
    PoolType.DISTRIBUTION: "W-Distribution Pool",
    PoolType.ALGORITHM: "W-Algorithm Pool",
    PoolType.ANNOTATION: "W-Annotation Pool",
    PoolType.CHECK: "W-Check Pool",
    PoolType.SAMPLING: "W-Sampling Pool",
    PoolType.COMPLETE: "W-Completion Pool",
}
SEEDS = range(12)
STEPS = 80


def workflow(algorithm: bool, check: bool, sampling: bool) -> Workflow:
    kinds = [PoolType.DISTRIBUTION]
    kinds += [PoolType.ALGORITHM] if algorithm else []
    kinds += [PoolType.ANNOTATION]
    kinds += [PoolType.CHECK] if check else []
    kinds += [PoolType.SAMPLING] if sampling else []
    kinds += [PoolType.COMPLETE]
    return Workflow(tuple(Pool(NAMES[kind], kind) for kind in kinds))


SHAPES = [workflow(*flags) for flags in itertools.product((False, True), repeat=3)]
FULL = workflow(True, True, True)


def walk(shape: Workflow, seed: int, steps: int = STEPS, converts: bool = True) -> list[Step]:
    task = TaskWalk(shape, TEAM, Rng(seed), converts)
    return [task.first(creation_failed=False)] + [task.next() for _ in range(steps)]


def as_records(steps: list[Step]) -> list[dict[str, Any]]:
    """The fields of a record that the workflow decides; the rest are the generator's."""
    return [
        {
            "id": index + 1,
            "taskId": 1,
            "actionType": int(step.action),
            "poolType": int(step.pool.pool_type),
            "poolName": step.pool.name,
            "status": int(step.status),
            "aliceName": step.user,
            "createdTime": "2025-04-01 10:00:00",
            "modifyInstanceNum": step.modify_instance_num,
            "modifyAttributesNum": step.modify_attributes_num,
            "instanceSum": step.instance_sum,
            "attributesSum": step.attributes_sum,
            # instanceInfo is the generator's; one valid key holding the total keeps it neutral.
            "instanceInfo": (
                {"car-[00000]": step.modify_instance_num + step.modify_attributes_num}
                if step.modify_instance_num + step.modify_attributes_num
                else {}
            ),
        }
        for index, step in enumerate(steps)
    ]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "+".join(p.name[2:6] for p in s.pools))
def test_every_walk_keeps_the_documented_rules(shape: Workflow) -> None:
    for seed in SEEDS:
        assert history_problems(as_records(walk(shape, seed))) == [], seed


def test_a_full_workflow_uses_every_action() -> None:
    steps = [step for seed in SEEDS for step in walk(FULL, seed)]
    assert {int(step.action) for step in steps} == set(ACTION_POOLS)


@pytest.mark.parametrize(
    ("converts", "expected"),
    [
        (True, {Status.OPENLABEL_CONVERSION_COMPLETED, Status.OPENLABEL_CONVERSION_FAILED}),
        (False, {Status.LABELS_APPROVED}),
    ],
    ids=["converts-to-openlabel", "does-not-convert"],
)
def test_a_task_passing_review_ends_in_the_completion_status_of_its_campaign(
    converts: bool, expected: set[Status]
) -> None:
    # Without a sampling pool, a review passed moves the task into the completion pool.
    reviewed = workflow(algorithm=True, check=True, sampling=False)
    steps = [step for seed in SEEDS for step in walk(reviewed, seed, converts=converts)]
    finished = {step.status for step in steps if step.status in {11, 16, 17}}
    assert finished == expected


def test_pools_a_workflow_lacks_are_never_entered() -> None:
    bare = workflow(algorithm=False, check=False, sampling=False)
    steps = [step for seed in SEEDS for step in walk(bare, seed)]
    assert {step.pool.pool_type for step in steps} == {
        PoolType.DISTRIBUTION,
        PoolType.ANNOTATION,
        PoolType.COMPLETE,
    }
    assert not {TaskAction.CHECK, TaskAction.SAMPLING, TaskAction.REJECT} & {
        step.action for step in steps
    }


def test_a_failed_creation_is_an_initialization_with_status_0() -> None:
    first = TaskWalk(FULL, TEAM, Rng(1), True).first(creation_failed=True)
    assert (first.action, first.status) == (TaskAction.INITIALIZATION, Status.CREATION_FAILED)
    assert first.pool.pool_type is PoolType.DISTRIBUTION and first.user == TEAM.admin


def test_a_walk_is_a_function_of_its_seed() -> None:
    assert walk(FULL, 5) == walk(FULL, 5)
    assert walk(FULL, 5) != walk(FULL, 6)


def test_a_workflow_finds_its_pools_by_type() -> None:
    assert FULL.index_of(PoolType.CHECK) == 3 and FULL.has(PoolType.SAMPLING)
    bare = workflow(algorithm=False, check=False, sampling=False)
    assert not bare.has(PoolType.CHECK)
    with pytest.raises(KeyError):
        bare.index_of(PoolType.CHECK)
