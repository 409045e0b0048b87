"""The workflow of a campaign and the state machine its tasks move through.

A campaign's workflow is a line of pools: a distribution pool, an optional algorithm pool, an
annotation pool, an optional check (review) pool, an optional sampling pool and a completion
pool. A task's history is a walk through that line; each step is one record. Every action is
legal from the state the previous step left ("docs/mock-data.md" lists the rules), so any prefix
of a walk is itself a consistent history: a task still in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from mockserver.enums import PoolType, Status, TaskAction
from mockserver.rng import Rng


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    pool_type: PoolType


@dataclass(frozen=True, slots=True)
class Workflow:
    """The pools of a campaign, in the order a task moves through them."""

    pools: tuple[Pool, ...]

    def index_of(self, pool_type: PoolType) -> int:
        for index, pool in enumerate(self.pools):
            if pool.pool_type == pool_type:
                return index
        raise KeyError(pool_type)

    def has(self, pool_type: PoolType) -> bool:
        return any(pool.pool_type == pool_type for pool in self.pools)


@dataclass(frozen=True, slots=True)
class Team:
    """The Alice users of a campaign, by role."""

    admin: str
    algorithm: str
    labelers: tuple[str, ...]
    reviewers: tuple[str, ...]
    analysts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Keys of `instanceInfo`: instance items and attribute items."""

    instance_keys: tuple[str, ...]
    attribute_keys: tuple[str, ...]


class Phase(Enum):
    """Where a task stands inside its current pool."""

    WAITING = "waiting"
    IN_PROGRESS = "in progress"
    QC_DONE = "qc done"
    COMPLETED = "completed"


# The status a task has while waiting in a pool of each type.
WAITING_STATUS = {
    PoolType.DISTRIBUTION: Status.CREATED,
    PoolType.ALGORITHM: Status.WAITING_FOR_ANNOTATION,
    PoolType.ANNOTATION: Status.WAITING_FOR_ANNOTATION,
    PoolType.CHECK: Status.WAITING_FOR_REVIEW,
    PoolType.SAMPLING: Status.WAITING_FOR_QC,
}
IN_PROGRESS_STATUS = {
    PoolType.ANNOTATION: Status.ANNOTATION_IN_PROGRESS,
    PoolType.CHECK: Status.REVIEW_IN_PROGRESS,
    PoolType.SAMPLING: Status.QC_IN_PROGRESS,
}


@dataclass(frozen=True, slots=True)
class Step:
    """One action of a task: what a record says about it."""

    action: TaskAction
    pool: Pool
    status: Status
    user: str
    modify_instance_num: int
    modify_attributes_num: int
    instance_sum: int
    attributes_sum: int
    new_instances: int


@dataclass(slots=True)
class TaskState:
    """The mutable state of one walk; never shared between tasks."""

    pool_index: int
    phase: Phase
    paused: bool
    holder: str
    instance_sum: int
    attributes_sum: int
    completion_status: Status


class TaskWalk:
    """The history of one task, generated one step at a time from the task's own seed."""

    def __init__(
        self, workflow: Workflow, team: Team, rng: Rng, converts_to_openlabel: bool
    ) -> None:
        self._workflow = workflow
        self._team = team
        self._rng = rng
        self._converts = converts_to_openlabel
        self._state = TaskState(0, Phase.WAITING, False, "", 0, 0, Status.LABELS_APPROVED)
        self._started = False

    def first(self, creation_failed: bool) -> Step:
        """The Initialization record; a failed creation ends the task there."""
        self._started = True
        status = Status.CREATION_FAILED if creation_failed else Status.CREATED
        return self._step(TaskAction.INITIALIZATION, 0, status, self._team.admin)

    def next(self) -> Step:
        """The next action, legal from the state the previous one left."""
        state = self._state
        pool = self._workflow.pools[state.pool_index]
        rng = self._rng
        if state.paused:
            state.paused = False
            return self._step(TaskAction.RESUME, state.pool_index, self._status(), self._team.admin)
        if state.phase is Phase.COMPLETED:
            return self._back_task()
        kind = pool.pool_type
        if kind is PoolType.DISTRIBUTION:
            if rng.chance(0.03):
                return self._pause()
            return self._advance(TaskAction.DISTRIBUTE, self._team.admin, state.pool_index)
        if kind is PoolType.ALGORITHM:
            return self._advance(
                TaskAction.SUBMIT_ANNOTATION, self._team.algorithm, state.pool_index, work=(5, 80)
            )
        if state.phase is Phase.WAITING:
            if rng.chance(0.04):
                return self._pause()
            return self._accept(kind)
        if state.phase is Phase.QC_DONE:
            if rng.chance(0.4):
                return self._reject()
            return self._back_task()
        # In progress: the holder finishes, gives the task back, or an admin pauses it.
        roll = rng.uniform()
        if roll < 0.05:
            return self._release()
        if roll < 0.08:
            return self._pause()
        if kind is PoolType.ANNOTATION:
            return self._advance(
                TaskAction.SUBMIT_ANNOTATION, state.holder, state.pool_index, work=(0, 40)
            )
        if kind is PoolType.CHECK:
            if roll < 0.22:
                return self._return_to_annotation()
            return self._advance(TaskAction.CHECK, state.holder, state.pool_index, work=(0, 6))
        # Sampling: QC done, or the sampling package is dissolved.
        if roll < 0.14:
            state.phase, state.holder = Phase.WAITING, ""
            return self._step(
                TaskAction.DISSOLVE, state.pool_index, Status.WAITING_FOR_QC, self._team.admin
            )
        state.phase = Phase.QC_DONE
        return self._step(TaskAction.SAMPLING, state.pool_index, Status.QC_COMPLETED, state.holder)

    # The actions, each leaving the state consistent for the next.

    def _status(self) -> Status:
        state = self._state
        kind = self._workflow.pools[state.pool_index].pool_type
        if state.phase is Phase.IN_PROGRESS:
            return IN_PROGRESS_STATUS[kind]
        if state.phase is Phase.QC_DONE:
            return Status.QC_COMPLETED
        if state.phase is Phase.COMPLETED:
            return state.completion_status
        return WAITING_STATUS[kind]

    def _accept(self, kind: PoolType) -> Step:
        state = self._state
        users = {
            PoolType.ANNOTATION: self._team.labelers,
            PoolType.CHECK: self._team.reviewers,
            PoolType.SAMPLING: self._team.analysts,
        }[kind]
        state.holder = self._rng.pick(users)
        state.phase = Phase.IN_PROGRESS
        return self._step(
            TaskAction.ACCEPT_THE_TASK, state.pool_index, self._status(), state.holder
        )

    def _release(self) -> Step:
        state = self._state
        user, state.holder, state.phase = state.holder, "", Phase.WAITING
        return self._step(TaskAction.RELEASE, state.pool_index, self._status(), user)

    def _pause(self) -> Step:
        # A claimed task is released as it is paused.
        state = self._state
        state.paused, state.holder = True, ""
        if state.phase is Phase.IN_PROGRESS:
            state.phase = Phase.WAITING
        return self._step(TaskAction.PAUSE, state.pool_index, self._status(), self._team.admin)

    def _advance(
        self, action: TaskAction, user: str, from_index: int, work: tuple[int, int] = (0, 0)
    ) -> Step:
        """Finish the work of a pool and move to the next; the status says where it landed."""
        state = self._state
        new_instances, modified, new_attributes, modified_attributes = self._work(work)
        state.pool_index = from_index + 1
        state.holder = ""
        next_kind = self._workflow.pools[state.pool_index].pool_type
        if next_kind is PoolType.COMPLETE:
            state.phase = Phase.COMPLETED
            state.completion_status = self._completion_status()
        else:
            state.phase = Phase.WAITING
        status = self._status()
        if (
            action is TaskAction.SUBMIT_ANNOTATION
            and self._workflow.pools[from_index].pool_type is PoolType.ANNOTATION
        ):
            status = Status.ANNOTATION_COMPLETED
        return self._step(
            action,
            from_index,
            status,
            user,
            new_instances + modified,
            new_attributes + modified_attributes,
            new_instances,
            new_attributes,
        )

    def _completion_status(self) -> Status:
        if not self._converts:
            return Status.LABELS_APPROVED
        if self._rng.chance(0.06):
            return Status.OPENLABEL_CONVERSION_FAILED
        return Status.OPENLABEL_CONVERSION_COMPLETED

    def _work(self, bounds: tuple[int, int]) -> tuple[int, int, int, int]:
        """New and modified instances and attributes of one submission."""
        low, high = bounds
        if high == 0:
            return 0, 0, 0, 0
        rng, state = self._rng, self._state
        new_instances = rng.between(low, high)
        modified = rng.between(0, min(state.instance_sum, max(1, high // 4)))
        new_attributes = sum(rng.between(0, 2) for _ in range(min(new_instances, 8)))
        new_attributes += new_instances // 4 if new_instances > 8 else 0
        modified_attributes = rng.between(0, min(state.attributes_sum, max(1, high // 5)))
        return new_instances, modified, new_attributes, modified_attributes

    def _reject(self) -> Step:
        # From the sampling pool back to the review pool, or to the annotation pool.
        state = self._state
        user, state.holder = state.holder, ""
        target = PoolType.ANNOTATION
        if self._workflow.has(PoolType.CHECK) and self._rng.chance(0.5):
            target = PoolType.CHECK
        from_index = state.pool_index
        state.pool_index, state.phase = self._workflow.index_of(target), Phase.WAITING
        return self._step(TaskAction.REJECT, from_index, self._status(), user)

    def _return_to_annotation(self) -> Step:
        state = self._state
        user, state.holder = state.holder, ""
        from_index = state.pool_index
        state.pool_index = self._workflow.index_of(PoolType.ANNOTATION)
        state.phase = Phase.WAITING
        return self._step(TaskAction.RETURN_FROM_WORK_POOL, from_index, self._status(), user)

    def _back_task(self) -> Step:
        # From the completion pool back to the last work pool (the later revision's reading).
        state = self._state
        completion = len(self._workflow.pools) - 1
        state.pool_index, state.phase, state.holder = completion - 1, Phase.WAITING, ""
        return self._step(TaskAction.BACK_TASK, completion, self._status(), self._team.admin)

    def _step(
        self,
        action: TaskAction,
        pool_index: int,
        status: Status,
        user: str,
        modify_instance_num: int = 0,
        modify_attributes_num: int = 0,
        new_instances: int = 0,
        new_attributes: int = 0,
    ) -> Step:
        state = self._state
        state.instance_sum += new_instances
        state.attributes_sum += new_attributes
        return Step(
            action=action,
            pool=self._workflow.pools[pool_index],
            status=status,
            user=user,
            modify_instance_num=modify_instance_num,
            modify_attributes_num=modify_attributes_num,
            instance_sum=state.instance_sum,
            attributes_sum=state.attributes_sum,
            new_instances=new_instances,
        )
