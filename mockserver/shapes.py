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

from collections.abc import Sequence
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


def _shape(workflow: Workflow, converts: bool, rng: Rng) -> list[Act]:
    walk = TaskWalk(workflow, _SYMBOLIC_TEAM, rng, converts)
    acts = [_act(walk.first(creation_failed=False), -1)]
    since = -1
    for index in range(1, MAX_STEPS):
        step = walk.next()
        since = index if step.action == 13 else since
        acts.append(_act(step, since))
    return acts


class Histories:
    """The `SHAPES` histories of one workflow variant, each drawn on its first use and kept.

    Drawing all of them at once takes a noticeable fraction of a second per variant; a page
    needs a handful, so a process's first requests pay for those only. Equal steps of all the
    shapes are one object each, numbered by a code: `mockserver/record_json.py` keeps what it
    writes of a step by its code, a small integer, rather than hashing the step for each record.
    """

    __slots__ = (
        "_acts",
        "_codes",
        "_converts",
        "_interned",
        "_kind_of",
        "_kinds",
        "_names",
        "_shapes",
        "_workflow",
    )

    def __init__(self, variant: Variant) -> None:
        pool_types, converts = variant
        # Pools are named by their index: the shape says where, the plan what it is called.
        self._workflow = Workflow(
            tuple(Pool(str(index), kind) for index, kind in enumerate(pool_types))
        )
        self._converts = converts
        self._names = ",".join(str(int(kind)) for kind in pool_types)
        # Each distinct step, once, and its code: its index in `_acts`.
        self._interned: dict[Act, int] = {}
        self._acts: list[Act] = []
        # By code: its kind, a distinct (action, pool, status, role), numbered from 0.
        self._kind_of: list[int] = []
        self._kinds: dict[tuple[int, int, int, int], int] = {}
        self._shapes: list[tuple[Act, ...] | None] = [None] * SHAPES
        self._codes: list[tuple[int, ...] | None] = [None] * SHAPES

    def __getitem__(self, index: int) -> tuple[Act, ...]:
        shape = self._shapes[index]
        if shape is None:
            self._draw(index)
            shape = self._shapes[index]
            assert shape is not None
        return shape

    def codes(self, index: int) -> tuple[int, ...]:
        """The codes of shape `index`'s steps, in step order (see `act`)."""
        codes = self._codes[index]
        if codes is None:
            self._draw(index)
            codes = self._codes[index]
            assert codes is not None
        return codes

    def act(self, code: int) -> Act:
        """The step of a code."""
        return self._acts[code]

    @property
    def acts(self) -> Sequence[Act]:
        """The steps by code. The list grows as shapes are drawn: the codes of a shape drawn
        are in it."""
        return self._acts

    @property
    def code_table(self) -> Sequence[tuple[int, ...] | None]:
        """By shape: its steps' codes, None until drawn (`codes` draws it). The compiled record
        loop reads it as it is, a list of `SHAPES` entries."""
        return self._codes

    @property
    def kinds(self) -> Sequence[int]:
        """By code: the step's kind, a small int; steps of one kind differ only in their
        amounts and `since` (what `mockserver/record_json.py` writes per record)."""
        return self._kind_of

    def _draw(self, index: int) -> None:
        rng = Rng(derive("shape", self._names, int(self._converts), index))
        codes = []
        for act in _shape(self._workflow, self._converts, rng):
            code = self._interned.get(act)
            if code is None:
                code = self._interned[act] = len(self._acts)
                self._acts.append(act)
                self._kind_of.append(
                    self._kinds.setdefault(
                        (act.action, act.pool, act.status, act.role), len(self._kinds)
                    )
                )
            codes.append(code)
        # Many steps of many shapes are equal: one object each keeps the tables small.
        self._shapes[index] = tuple(self._acts[code] for code in codes)
        self._codes[index] = tuple(codes)


@cache
def shapes(variant: Variant) -> Histories:
    """The histories of one workflow variant (one object per variant and process)."""
    return Histories(variant)


def failed_creation(act: Act) -> Act:
    """The Initialization of a task whose creation failed (it has no other record)."""
    return act._replace(status=int(Status.CREATION_FAILED))
