"""Task histories as look-up tables: a record's state at any step without replaying its walk.

A task's history depends on its campaign only through the kinds of pools in its workflow and
whether the campaign converts to OpenLabel: sixteen variants. For each variant, `SHAPES` walks
of `MAX_STEPS` steps are drawn from `mockserver/workflow.py`'s state machine (each on its first
use, once per process), with their running totals, and kept as tables. A task takes one of
them (drawn from its own key) and reads its step `s` by index, so a record costs the same at
step 40 as at step 0.
What varies between tasks of one shape is drawn from the task's key when its record is made:
who does the work, and how much (the amounts are scaled, which keeps every total consistent).
The tables do not depend on the seed; they are a constant of the program.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from mockserver.enums import PoolType, Status
from mockserver.layout import MAX_STEPS
from mockserver.rng import Rng, derive
from mockserver.workflow import Pool, Step, TaskWalk, Team, Workflow

SHAPES = 256

# Who acts: the admin, the algorithm's bot, or the holder who accepted the task in a pool of
# the labelers', the reviewers' or the quality analysts'.
ADMIN, BOT, LABELER, REVIEWER, ANALYST = range(5)
_ROLE_NAMES = ("admin", "bot", "labeler", "reviewer", "analyst")
_SYMBOLIC_TEAM = Team(
    admin="admin",
    algorithm="bot",
    labelers=("labeler",),
    reviewers=("reviewer",),
    analysts=("analyst",),
)


class Act(NamedTuple):
    """One step of a shape: everything a record says about the task, but names and scale."""

    action: int
    pool: int  # index into the workflow's pools
    status: int
    role: int
    # The step of the Accept that made the holder (for holder roles), so a holder's later
    # actions name the same person; -1 for the admin and the bot.
    since: int
    modify_instance_num: int
    modify_attributes_num: int
    instance_sum: int
    attributes_sum: int


Variant = tuple[tuple[PoolType, ...], bool]


def _act(step: Step, since: int) -> Act:
    role = _ROLE_NAMES.index(step.user)
    return Act(
        action=int(step.action),
        pool=int(step.pool.name),
        status=int(step.status),
        role=role,
        since=since if role >= LABELER else -1,
        modify_instance_num=step.modify_instance_num,
        modify_attributes_num=step.modify_attributes_num,
        instance_sum=step.instance_sum,
        attributes_sum=step.attributes_sum,
    )


def _shape(
    workflow: Workflow, converts: bool, rng: Rng, interned: dict[Act, Act]
) -> tuple[Act, ...]:
    walk = TaskWalk(workflow, _SYMBOLIC_TEAM, rng, converts)
    acts = [_act(walk.first(creation_failed=False), -1)]
    since = -1
    for index in range(1, MAX_STEPS):
        step = walk.next()
        since = index if step.action == 13 else since
        act = _act(step, since)
        # Many steps of many shapes are equal: one object each keeps the tables small.
        acts.append(interned.setdefault(act, act))
    return tuple(acts)


class Histories:
    """The `SHAPES` histories of one workflow variant, each drawn on its first use and kept.

    Drawing all of them at once takes a noticeable fraction of a second per variant; a page
    needs a handful, so a process's first requests pay for those only.
    """

    __slots__ = ("_converts", "_interned", "_names", "_shapes", "_workflow")

    def __init__(self, variant: Variant) -> None:
        pool_types, converts = variant
        # Pools are named by their index: the shape says where, the plan what it is called.
        self._workflow = Workflow(
            tuple(Pool(str(index), kind) for index, kind in enumerate(pool_types))
        )
        self._converts = converts
        self._names = ",".join(str(int(kind)) for kind in pool_types)
        self._interned: dict[Act, Act] = {}
        self._shapes: list[tuple[Act, ...] | None] = [None] * SHAPES

    def __getitem__(self, index: int) -> tuple[Act, ...]:
        shape = self._shapes[index]
        if shape is None:
            rng = Rng(derive("shape", self._names, int(self._converts), index))
            shape = _shape(self._workflow, self._converts, rng, self._interned)
            self._shapes[index] = shape
        return shape


@cache
def shapes(variant: Variant) -> Histories:
    """The histories of one workflow variant (one object per variant and process)."""
    return Histories(variant)


def failed_creation(act: Act) -> Act:
    """The Initialization of a task whose creation failed (it has no other record)."""
    return act._replace(status=int(Status.CREATION_FAILED))
