"""Records of annotation requests: a pure function of (seed, annotation request, position).

An annotation request's records form an interleaved, time-ordered log (`mockserver/layout.py`):
tasks start over time and their steps interleave, and record ids and creation times grow with
the position, as an auto-increment log's would. A position maps to its task and step without
generating anything before it, and a task's step is read from its history's table
(`mockserver/shapes.py`) without replaying the walk: a record costs the same wherever it is.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any, TypeVar, cast

from faker import Faker

from mockserver.enums import PoolType
from mockserver.layout import MAX_STEPS, Layout, Slot, make_layout
from mockserver.rng import Rng, derive, mix
from mockserver.shapes import LABELER, SHAPES, Act, Histories, failed_creation, shapes
from mockserver.timefmt import format_time, parse_time
from mockserver.workflow import Pool, Taxonomy, Team, Workflow

Record = dict[str, Any]

__all__ = [
    "ID_BLOCK",
    "MAX_RECORDS",
    "MAX_STEPS",
    "PinnedRequest",
    "Plan",
    "Record",
    "Vocabulary",
    "make_plan",
    "make_record",
    "make_records",
    "record_count",
]

# Record ids of one annotation request live in a block of their own, so ids stay unique across
# requests and the records of several requests merge in id order by concatenating blocks.
ID_BLOCK = 1 << 22
MAX_RECORDS = 4_000_000
_EPOCH_2024_06_01 = 1717200000
# `<code>-<Type> Pool`: the generated workflow reuses a pinned record's code.
_POOL_CODE = re.compile(r"^(.+)-[A-Za-z]+ Pool$")
T = TypeVar("T")
_SPAN_SECONDS = 120 * 86400
_INSTANCE_TYPES = ("box2d", "box3d", "line3d", "polygon", "point", "cuboid", "polyline", "mask")
_ATTRIBUTE_TYPES = ("select", "text", "radio", "checkbox")
# A task's amounts are its shape's times 1, 2 or 3: scaling keeps every running total consistent.
_SCALES = 3
_CREATION_FAILS = 0.1
_MASK = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Names and words drawn once from Faker with the server's seed."""

    user_names: tuple[str, ...]
    words: tuple[str, ...]

    @classmethod
    def from_faker(cls, seed: int, size: int = 1024) -> Vocabulary:
        """The vocabulary of a seed, drawn once per process (see `_drawn`)."""
        return _drawn(seed, size)

    @classmethod
    def draw(cls, seed: int, size: int = 1024) -> Vocabulary:
        """The vocabulary of a seed, drawn from Faker now."""
        fake = Faker("en_US")
        fake.seed_instance(seed)
        names = tuple(dict.fromkeys(fake.user_name() for _ in range(size)))
        words = tuple(dict.fromkeys(fake.word() for _ in range(size // 4)))
        return cls(user_names=names, words=words)


# Drawing a vocabulary takes some 90 ms, most of an app's build: an app built again in one
# process (the in-process tests, `make profile`) takes the one already drawn. It is immutable.
@functools.lru_cache(maxsize=8)
def _drawn(seed: int, size: int) -> Vocabulary:
    return Vocabulary.draw(seed, size)


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
    # The team by role (`mockserver/shapes.py`'s ADMIN .. ANALYST): who may act in a step.
    crew: tuple[tuple[str, ...], ...]
    taxonomy: Taxonomy
    converts_to_openlabel: bool
    layout: Layout
    # The task histories of this workflow (`mockserver/shapes.py`), shared by every plan of it.
    histories: Histories
    task_id_base: int
    id_base: int
    start_epoch: int
    gap_seconds: float
    pinned: tuple[Record, ...] = field(default=())
    # The zone `createdTime` is written in; the instants do not depend on it.
    zone: tzinfo = UTC

    @property
    def first_id(self) -> int:
        return int(self.pinned[0]["id"]) if self.pinned else self.id_base + 1

    def locate(self, position: int) -> Slot:
        """The task and step of the generated record at a 0-based position after the pinned."""
        return self.layout.locate(position)


def record_count(seed: int, annotation_request_id: str) -> int:
    """How many records a request without a fixture has: from none to millions, mostly hundreds."""
    rng = Rng(derive(seed, annotation_request_id, "count"))
    roll = rng.uniform()
    if roll < 0.08:
        return 0
    low, high = (1, 3000) if roll < 0.70 else (3000, 30000) if roll < 0.95 else (30000, 2_000_000)
    scaled: float = low * (high / low) ** rng.uniform()
    return round(scaled)


def _key(rng: Rng, kind: str) -> str:
    return f"{kind}-[{rng.below(1 << 20):05x}]"


def _uuid(rng: Rng) -> str:
    return str(uuid.UUID(int=rng.next() << 64 | rng.next(), version=4))


def _campaign_code(rng: Rng, vocabulary: Vocabulary) -> str:
    code = f"CO {rng.between(1, 12):02d}{rng.between(1, 28):02d}{rng.between(1, 99):02d}"
    return code + f"{vocabulary.words[rng.below(len(vocabulary.words))][:2].upper()}{rng.below(10)}"


def _workflow(rng: Rng, code: str) -> Workflow:
    """A line of pools named after the campaign code; the optional ones drawn."""
    pools = [Pool(f"{code}-Distribution Pool", PoolType.DISTRIBUTION)]
    if rng.chance(0.2):
        pools.append(Pool(f"{code}-Algorithm Pool", PoolType.ALGORITHM))
    pools.append(Pool(f"{code}-Annotation Pool", PoolType.ANNOTATION))
    if rng.chance(0.75):
        pools.append(Pool(f"{code}-Check Pool", PoolType.CHECK))
    if rng.chance(0.5):
        pools.append(Pool(f"{code}-Sampling Pool", PoolType.SAMPLING))
    pools.append(Pool(f"{code}-Completion Pool", PoolType.COMPLETE))
    return Workflow(tuple(pools))


def _team(rng: Rng, vocabulary: Vocabulary) -> Team:
    names = vocabulary.user_names

    def people(low: int, high: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rng.pick(names) for _ in range(rng.between(low, high))))

    return Team(
        admin=rng.pick(names),
        algorithm=f"{rng.pick(vocabulary.words)}-bot",
        labelers=people(3, 12),
        reviewers=people(2, 5),
        analysts=people(1, 3),
    )


def _taxonomy(rng: Rng) -> Taxonomy:
    instance_keys = tuple(
        dict.fromkeys(_key(rng, rng.pick(_INSTANCE_TYPES)) for _ in range(rng.between(2, 5)))
    )
    attribute_keys = tuple(
        dict.fromkeys(
            _uuid(rng) if rng.chance(0.4) else _key(rng, rng.pick(_ATTRIBUTE_TYPES))
            for _ in range(rng.between(1, 4))
        )
    )
    return Taxonomy(instance_keys, attribute_keys)


def _pinned_or(last_pinned: Record | None, field_name: str, drawn: T) -> T:
    return drawn if last_pinned is None else cast(T, last_pinned[field_name])


def _pool_code(last_pinned: Record | None, drawn: str) -> str:
    """The pinned records' campaign code if they have one: one request is one campaign."""
    match = _POOL_CODE.match(str(last_pinned["poolName"])) if last_pinned else None
    return match.group(1) if match else drawn


def _generated_start(pinned_records: Sequence[Record], zone: tzinfo, drawn: int) -> int:
    """When the generated records begin: after the last pinned one, as in an append-only log."""
    if not pinned_records:
        return drawn
    # Pinned times are read in the zone the mock writes them in.
    last = max(parse_time(str(record["createdTime"]), zone) for record in pinned_records)
    return last + 1


def _id_base(seed: int, annotation_request_id: str, pinned_records: Sequence[Record]) -> int:
    """Ids after the last pinned one, or in a block of the request's own."""
    if pinned_records:
        return int(pinned_records[-1]["id"]) - len(pinned_records)
    return (derive(seed, annotation_request_id, "ids") % (1 << 30) + 1) * ID_BLOCK


def make_plan(
    seed: int,
    vocabulary: Vocabulary,
    annotation_request_id: str,
    pinned: PinnedRequest | None = None,
    zone: tzinfo = UTC,
) -> Plan:
    """The plan of one annotation request; pure."""
    rng = Rng(derive(seed, annotation_request_id))
    count = pinned.count if pinned else record_count(seed, annotation_request_id)
    pinned_records = pinned.records if pinned else ()
    last_pinned = pinned_records[-1] if pinned_records else None
    # Generated records share the pinned ones' campaign, folder and pool names. Every value is
    # drawn either way, so pinning changes nothing else.
    code = _pool_code(last_pinned, _campaign_code(rng, vocabulary))
    workflow = _workflow(rng, code)
    team = _team(rng, vocabulary)
    taxonomy = _taxonomy(rng)
    campaign_id = _pinned_or(last_pinned, "campaignId", _uuid(rng))
    folder_id = _pinned_or(last_pinned, "folderId", rng.between(1000, 99999))
    converts = rng.chance(0.3)
    layout = make_layout(rng, 0.80 + 0.14 * rng.uniform())
    start = _generated_start(pinned_records, zone, _EPOCH_2024_06_01 + rng.below(540 * 86400))
    return Plan(
        annotation_request_id=annotation_request_id,
        seed=rng.next(),
        count=count,
        campaign_id=campaign_id,
        folder_id=folder_id,
        workflow=workflow,
        team=team,
        crew=((team.admin,), (team.algorithm,), team.labelers, team.reviewers, team.analysts),
        taxonomy=taxonomy,
        converts_to_openlabel=converts,
        layout=layout,
        histories=shapes((tuple(pool.pool_type for pool in workflow.pools), converts)),
        task_id_base=(derive(seed, annotation_request_id, "tasks") % (1 << 30) + 1) * ID_BLOCK,
        id_base=_id_base(seed, annotation_request_id, pinned_records),
        start_epoch=start,
        gap_seconds=min(900.0, max(1.0, _SPAN_SECONDS / max(count, 1))),
        pinned=pinned_records,
        zone=zone,
    )


# One bit per key of a spread (a taxonomy has at most 5 instance and 4 attribute keys).
_KEY_BITS = tuple(1 << index for index in range(8))


def _split(bits: int, total: int, keys: Sequence[str], into: dict[str, int]) -> None:
    """Spread `total` (> 0) over some of `keys` (non-zero parts only), from one 64-bit draw.

    Each key is chosen by a bit of its own (at least one is); the cuts between the chosen
    keys' parts come from 12 bits each. One draw per spread keeps a record's cost the same
    whatever its amounts are.
    """
    chosen = [key for key, bit in zip(keys, _KEY_BITS, strict=False) if bits & bit]
    if len(chosen) < 2:
        key = chosen[0] if chosen else keys[(bits >> 8) % len(keys)]
        into[key] = into.get(key, 0) + total
        return
    bits >>= 16
    if len(chosen) == 2:
        # The usual case, without sorting: one cut.
        cut = bits % (total + 1)
        first, second = chosen
        if cut:
            into[first] = into.get(first, 0) + cut
        if total > cut:
            into[second] = into.get(second, 0) + total - cut
        return
    cuts = sorted([(bits >> (12 * index)) % (total + 1) for index in range(len(chosen) - 1)])
    cuts.append(total)
    low = 0
    for key, high in zip(chosen, cuts, strict=True):
        if high > low:
            into[key] = into.get(key, 0) + high - low
            low = high


def _user(plan: Plan, act: Act, task_key: int) -> str:
    people = plan.crew[act.role]
    if act.role < LABELER:
        return people[0]
    # Drawn from the task and the step it was accepted at: the same holder until it lets go.
    return people[mix(task_key ^ act.since) % len(people)]


# A record's own draw is mix(seed ^ mix(position + DRAW_OFFSET)); its spreads' bits are that
# draw times these odd constants (`mockserver/record_json.py` computes the same draws for a
# whole run of positions at once).
DRAW_OFFSET = 1 << 40
INSTANCE_SPREAD = 0xBF58476D1CE4E5B9
ATTRIBUTE_SPREAD = 0x94D049BB133111EB
# A task's key, and what it decides: its shape, its scale, whether its creation failed.
CREATION_FAILS_PER_MILLE = round(_CREATION_FAILS * 1000)


def task_key(plan: Plan, task: int) -> int:
    """The draw a task's shape, scale, holders and failed creation come from."""
    return mix(plan.seed ^ mix(task + 1))


def task_scale(key: int) -> int:
    return 1 + (key >> 40) % _SCALES


def creation_failed(key: int, length: int) -> bool:
    """Whether a one-step task is an Initialization that failed."""
    return length == 1 and (key >> 20) % 1000 < CREATION_FAILS_PER_MILLE


def record_fields(
    plan: Plan,
    act: Act,
    record_id: Any,
    task_id: Any,
    user: Any,
    created: Any,
    instance_info: Any,
    amounts: Sequence[Any],
) -> Record:
    """A record's fields in the contract's order: the one place that says what a record is.

    `amounts` are modifyInstanceNum, modifyAttributesNum, instanceSum and attributesSum.
    `mockserver/record_json.py` fills the per-record values with placeholders to make a
    template of the rest.
    """
    pool = plan.workflow.pools[act.pool]
    modify_instances, modify_attributes, instance_sum, attributes_sum = amounts
    return {
        "id": record_id,
        "status": act.status,
        "campaignId": plan.campaign_id,
        "taskId": task_id,
        "poolName": pool.name,
        "poolType": int(pool.pool_type),
        "folderId": plan.folder_id,
        "aliceName": user,
        "createdTime": created,
        "actionType": act.action,
        "instanceInfo": instance_info,
        "modifyInstanceNum": modify_instances,
        "modifyAttributesNum": modify_attributes,
        "instanceSum": instance_sum,
        "attributesSum": attributes_sum,
    }


def _record(plan: Plan, position: int, slot: Slot) -> Record:
    generated = position - len(plan.pinned)
    task, step, length = slot
    key = task_key(plan, task)
    act = plan.histories[key % SHAPES][step]
    if creation_failed(key, length):
        act = failed_creation(act)
    scale = task_scale(key)
    modify_instances = act.modify_instance_num * scale
    modify_attributes = act.modify_attributes_num * scale
    drawn = mix(plan.seed ^ mix(position + DRAW_OFFSET))
    instance_info: dict[str, int] = {}
    # The spreads' bits: the record's draw times two odd constants (drawn is well mixed already,
    # so a product is enough to give each spread bits of its own).
    if modify_instances:
        bits = drawn * INSTANCE_SPREAD & _MASK
        _split(bits, modify_instances, plan.taxonomy.instance_keys, instance_info)
    if modify_attributes:
        bits = (drawn * ATTRIBUTE_SPREAD >> 5) & _MASK
        _split(bits, modify_attributes, plan.taxonomy.attribute_keys, instance_info)
    return record_fields(
        plan,
        act,
        plan.id_base + position + 1,
        plan.task_id_base + task + 1,
        _user(plan, act, key),
        format_time(created_epoch(plan, generated, drawn), plan.zone),
        instance_info,
        (modify_instances, modify_attributes, act.instance_sum * scale, act.attributes_sum * scale),
    )


def created_epoch(plan: Plan, generated: int, drawn: int) -> int:
    """When the `generated`-th generated record was made: within its slot of the log, a
    fraction of the gap from the record's own draw."""
    fraction = (drawn >> 11) / 9007199254740992.0
    return plan.start_epoch + int((generated + fraction) * plan.gap_seconds)


def make_record(plan: Plan, position: int) -> Record:
    """The record at a 0-based position of an annotation request; pure."""
    if position < len(plan.pinned):
        return plan.pinned[position]
    return _record(plan, position, plan.locate(position - len(plan.pinned)))


def make_records(plan: Plan, start: int, stop: int) -> list[Record]:
    """The records at positions [start, stop): `make_record` for each, rounds located once."""
    pinned = len(plan.pinned)
    out = [plan.pinned[position] for position in range(start, min(stop, pinned))]
    first = max(start, pinned)
    if first < stop:
        slots = plan.layout.slots(first - pinned, stop - pinned)
        out.extend(_record(plan, first + index, slot) for index, slot in enumerate(slots))
    return out
