"""Records of annotation requests: a pure function of (seed, annotation request, position).

An annotation request's records are laid out step by step: the first record of every task,
then the second record of every task that has one, and so on. Record ids and creation times
grow with the position, as an auto-increment log's would, and each task's records are in the
order of its walk through the workflow. Tasks are numbered longest history first, so the tasks
that have a record at step `s` are exactly tasks `0 .. alive[s]-1`: a position maps to its task
and step with one bisection, whatever the offset, without generating anything before it.
"""

from __future__ import annotations

import bisect
import re
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from math import gcd
from typing import Any, TypeVar, cast

from faker import Faker

from mockserver.enums import PoolType
from mockserver.rng import Rng, derive, mix
from mockserver.timefmt import format_time, parse_time
from mockserver.workflow import Pool, Step, TaskWalk, Taxonomy, Team, Workflow

Record = dict[str, Any]

# Record ids of one annotation request live in a block of their own, so ids stay unique across
# requests and the records of several requests merge in id order by concatenating blocks.
ID_BLOCK = 1 << 22
MAX_RECORDS = 4_000_000
MAX_STEPS = 48
_EPOCH_2024_06_01 = 1717200000
# `<code>-<Type> Pool`: the generated workflow reuses a pinned record's code.
_POOL_CODE = re.compile(r"^(.+)-[A-Za-z]+ Pool$")
T = TypeVar("T")
_SPAN_SECONDS = 120 * 86400
_INSTANCE_TYPES = ("box2d", "box3d", "line3d", "polygon", "point", "cuboid", "polyline", "mask")
_ATTRIBUTE_TYPES = ("select", "text", "radio", "checkbox")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Names and words drawn once from Faker with the server's seed."""

    user_names: tuple[str, ...]
    words: tuple[str, ...]

    @classmethod
    def from_faker(cls, seed: int, size: int = 1024) -> Vocabulary:
        fake = Faker("en_US")
        fake.seed_instance(seed)
        names = tuple(dict.fromkeys(fake.user_name() for _ in range(size)))
        words = tuple(dict.fromkeys(fake.word() for _ in range(size // 4)))
        return cls(user_names=names, words=words)


@dataclass(frozen=True, slots=True)
class PinnedRequest:
    """What a fixture pins of an annotation request: its count and its first records."""

    count: int
    records: tuple[Record, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything about one annotation request that its records are generated from."""

    annotation_request_id: str
    seed: int
    count: int
    campaign_id: str
    folder_id: int
    workflow: Workflow
    team: Team
    taxonomy: Taxonomy
    converts_to_openlabel: bool
    alive: tuple[int, ...]
    step_starts: tuple[int, ...]
    task_id_base: int
    task_stride: int
    id_base: int
    start_epoch: int
    gap_seconds: float
    pinned: tuple[Record, ...] = field(default=())
    # The zone `createdTime` is written in; the instants do not depend on it.
    zone: tzinfo = UTC

    @property
    def first_id(self) -> int:
        return int(self.pinned[0]["id"]) if self.pinned else self.id_base + 1

    def locate(self, position: int) -> tuple[int, int]:
        """(task index, step) of the record at a 0-based position."""
        step = bisect.bisect_right(self.step_starts, position) - 1
        return position - self.step_starts[step], step


def record_count(seed: int, annotation_request_id: str) -> int:
    """How many records a request without a fixture has: from none to millions, mostly hundreds."""
    rng = Rng(derive(seed, annotation_request_id, "count"))
    roll = rng.uniform()
    if roll < 0.08:
        return 0
    low, high = (1, 3000) if roll < 0.70 else (3000, 30000) if roll < 0.95 else (30000, 2_000_000)
    scaled: float = low * (high / low) ** rng.uniform()
    return round(scaled)


def _layout(count: int, decay: float) -> tuple[int, ...]:
    """Tasks alive at each step: geometric decay, summing to exactly `count`."""
    if count == 0:
        return ()
    factors = [decay**step for step in range(MAX_STEPS)]

    def total(tasks: int) -> int:
        return sum(int(tasks * factor) for factor in factors)

    # total(t) is within MAX_STEPS of t * sum(factors), so the answer lies in a narrow bracket
    # around count / sum(factors): a few halvings instead of log2(count). Widened if need be, so
    # the answer is the one the search over [1, count] finds.
    per_task = sum(factors)
    low = max(1, int((count - MAX_STEPS - 1) / per_task) - 1)
    high = min(count, int((count + MAX_STEPS + 1) / per_task) + 2)
    while low > 1 and total(low) > count:
        low = max(1, low // 2)
    while high < count and total(high + 1) <= count:
        high = min(count, high * 2)
    while low < high:
        middle = (low + high + 1) // 2
        if total(middle) <= count:
            low = middle
        else:
            high = middle - 1
    alive = [int(low * factor) for factor in factors]
    # The remainder becomes tasks that have only their first record: just created.
    alive[0] += count - sum(alive)
    while alive and alive[-1] == 0:
        alive.pop()
    return tuple(alive)


def _key(rng: Rng, kind: str) -> str:
    return f"{kind}-[{rng.below(1 << 20):05x}]"


def make_plan(
    seed: int,
    vocabulary: Vocabulary,
    annotation_request_id: str,
    pinned: PinnedRequest | None = None,
    zone: tzinfo = UTC,
) -> Plan:
    """The plan of one annotation request; pure."""
    ar_seed = derive(seed, annotation_request_id)
    rng = Rng(ar_seed)
    count = pinned.count if pinned else record_count(seed, annotation_request_id)
    pinned_records = pinned.records if pinned else ()
    last_pinned = pinned_records[-1] if pinned_records else None
    code = f"CO {rng.between(1, 12):02d}{rng.between(1, 28):02d}{rng.between(1, 99):02d}"
    code += f"{vocabulary.words[rng.below(len(vocabulary.words))][:2].upper()}{rng.below(10)}"
    # Generated records share the pinned ones' campaign, folder and pool names: one annotation
    # request is one campaign. Drawn values are still drawn, so nothing else moves.
    pool_code = _POOL_CODE.match(str(last_pinned["poolName"])) if last_pinned else None
    code = pool_code.group(1) if pool_code else code
    pools = [Pool(f"{code}-Distribution Pool", PoolType.DISTRIBUTION)]
    if rng.chance(0.2):
        pools.append(Pool(f"{code}-Algorithm Pool", PoolType.ALGORITHM))
    pools.append(Pool(f"{code}-Annotation Pool", PoolType.ANNOTATION))
    if rng.chance(0.75):
        pools.append(Pool(f"{code}-Check Pool", PoolType.CHECK))
    if rng.chance(0.5):
        pools.append(Pool(f"{code}-Sampling Pool", PoolType.SAMPLING))
    pools.append(Pool(f"{code}-Completion Pool", PoolType.COMPLETE))

    names = vocabulary.user_names

    def people(low: int, high: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rng.pick(names) for _ in range(rng.between(low, high))))

    team = Team(
        admin=rng.pick(names),
        algorithm=f"{rng.pick(vocabulary.words)}-bot",
        labelers=people(3, 12),
        reviewers=people(2, 5),
        analysts=people(1, 3),
    )
    instance_keys = tuple(
        dict.fromkeys(_key(rng, rng.pick(_INSTANCE_TYPES)) for _ in range(rng.between(2, 5)))
    )
    attribute_keys = tuple(
        dict.fromkeys(
            str(uuid.UUID(int=rng.next() << 64 | rng.next(), version=4))
            if rng.chance(0.4)
            else _key(rng, rng.pick(_ATTRIBUTE_TYPES))
            for _ in range(rng.between(1, 4))
        )
    )
    # Pinned records are their author's own tasks: the generated tasks fill the positions after
    # them, so every generated task keeps its whole history, Initialization first.
    alive = _layout(count - len(pinned_records), 0.80 + 0.14 * rng.uniform())
    starts = [0]
    for tasks in alive:
        starts.append(starts[-1] + tasks)
    tasks = alive[0] if alive else 1
    stride = 1 + rng.below(tasks)
    while gcd(stride, tasks) != 1:
        stride += 1
    id_base = (derive(seed, annotation_request_id, "ids") % (1 << 30) + 1) * ID_BLOCK
    if pinned_records:
        id_base = int(pinned_records[-1]["id"]) - len(pinned_records)
    return Plan(
        annotation_request_id=annotation_request_id,
        seed=ar_seed,
        count=count,
        campaign_id=_pinned_or(
            last_pinned, "campaignId", str(uuid.UUID(int=rng.next() << 64 | rng.next(), version=4))
        ),
        folder_id=_pinned_or(last_pinned, "folderId", rng.between(1000, 99999)),
        workflow=Workflow(tuple(pools)),
        team=team,
        taxonomy=Taxonomy(instance_keys, attribute_keys),
        converts_to_openlabel=rng.chance(0.3),
        alive=alive,
        step_starts=tuple(starts),
        task_id_base=(derive(seed, annotation_request_id, "tasks") % (1 << 30) + 1) * ID_BLOCK,
        task_stride=stride,
        id_base=id_base,
        start_epoch=_generated_start(
            pinned_records, zone, _EPOCH_2024_06_01 + rng.below(540 * 86400)
        ),
        gap_seconds=min(900.0, max(1.0, _SPAN_SECONDS / max(count, 1))),
        pinned=pinned_records,
        zone=zone,
    )


def _pinned_or(last_pinned: Record | None, field_name: str, drawn: T) -> T:
    return drawn if last_pinned is None else cast(T, last_pinned[field_name])


def _generated_start(pinned_records: Sequence[Record], zone: tzinfo, drawn: int) -> int:
    """When the generated records begin: after the last pinned one, as in an append-only log."""
    if not pinned_records:
        return drawn
    # Pinned times are read in the zone the mock writes them in.
    last = max(parse_time(str(record["createdTime"]), zone) for record in pinned_records)
    return last + 1


def _start(plan: Plan, task: int) -> tuple[TaskWalk, Step]:
    rng = Rng(mix(plan.seed ^ mix(task + 1)))
    walk = TaskWalk(plan.workflow, plan.team, rng, plan.converts_to_openlabel)
    only_one = len(plan.alive) < 2 or task >= plan.alive[1]
    return walk, walk.first(creation_failed=only_one and rng.chance(0.1))


def task_step(plan: Plan, task: int, step: int) -> Step:
    """The `step`-th action of task `task`: its walk replayed from the start."""
    walk, current = _start(plan, task)
    for _ in range(step):
        current = walk.next()
    return current


class WalkCache:
    """Walks paused where they were last asked for, so paging forward extends them by a step.

    Records at step `s` of a page are followed, pages later, by the same tasks' step `s + 1`:
    without this, reading a whole annotation request would replay every walk once per step.
    Bounded; a miss replays the walk from the start and gives the same step.
    """

    def __init__(self, size: int = 8192) -> None:
        self._size = size
        self._walks: OrderedDict[tuple[int, int], tuple[TaskWalk, int, Step]] = OrderedDict()

    def step(self, plan: Plan, task: int, step: int) -> Step:
        key = (plan.seed, task)
        entry = self._walks.pop(key, None)
        if entry is None or entry[1] > step:
            walk, current = _start(plan, task)
            index = 0
        else:
            walk, index, current = entry
        while index < step:
            current = walk.next()
            index += 1
        self._walks[key] = (walk, index, current)
        if len(self._walks) > self._size:
            self._walks.popitem(last=False)
        return current


def _split(rng: Rng, total: int, keys: Sequence[str], into: dict[str, int]) -> None:
    """Spread `total` over some of `keys` (non-zero parts only)."""
    if total == 0:
        return
    chosen = [key for key in keys if rng.chance(0.6)] or [rng.pick(keys)]
    cuts = sorted(rng.between(0, total) for _ in range(len(chosen) - 1))
    bounds = [0, *cuts, total]
    for key, low, high in zip(chosen, bounds, bounds[1:], strict=False):
        if high > low:
            into[key] = into.get(key, 0) + high - low


def make_record(plan: Plan, position: int, walks: WalkCache | None = None) -> Record:
    """The record at a 0-based position of an annotation request; pure (`walks` only saves time)."""
    if position < len(plan.pinned):
        return plan.pinned[position]
    generated = position - len(plan.pinned)
    task, step = plan.locate(generated)
    action = walks.step(plan, task, step) if walks else task_step(plan, task, step)
    rng = Rng(mix(plan.seed ^ mix(position + (1 << 40))))
    instance_info: dict[str, int] = {}
    _split(rng, action.modify_instance_num, plan.taxonomy.instance_keys, instance_info)
    _split(rng, action.modify_attributes_num, plan.taxonomy.attribute_keys, instance_info)
    created = plan.start_epoch + int((generated + rng.uniform()) * plan.gap_seconds)
    return {
        "id": plan.id_base + position + 1,
        "status": int(action.status),
        "campaignId": plan.campaign_id,
        "taskId": plan.task_id_base + (task * plan.task_stride) % plan.alive[0] + 1,
        "poolName": action.pool.name,
        "poolType": int(action.pool.pool_type),
        "folderId": plan.folder_id,
        "aliceName": action.user,
        "createdTime": format_time(created, plan.zone),
        "actionType": int(action.action),
        "instanceInfo": instance_info,
        "modifyInstanceNum": action.modify_instance_num,
        "modifyAttributesNum": action.modify_attributes_num,
        "instanceSum": action.instance_sum,
        "attributesSum": action.attributes_sum,
    }
