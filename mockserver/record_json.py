"""Generated records written straight to JSON bytes: what `orjson.dumps(make_record(...))` gives,
without making the record.

A record is mostly what its step and its plan fix: its status, pool, action and amounts, its
campaign and folder. For each (step, scale) a plan meets, `RecordWriter` serialises that part
once, as a template (`generator.record_fields` with placeholders, through orjson, so that the
keys, their order and every escape are the generator's own); a record is then one `%` of the
template with its own id, task id, holder, time and `instanceInfo`. The records' draws are
computed for a whole run at once (`rng.mixed_run`), each task's key once per run, and each
quarter hour's date once (`timefmt.QuarterTimes`). tests/test_record_json.py holds it to
`orjson.dumps(make_record(...))`, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from functools import cache

import orjson

from mockserver.generator import (
    ATTRIBUTE_SPREAD,
    DRAW_OFFSET,
    INSTANCE_SPREAD,
    Plan,
    creation_failed,
    make_records,
    record_fields,
    task_key,
    task_scale,
)
from mockserver.layout import PERIOD
from mockserver.rng import mix, mixed_run
from mockserver.shapes import LABELER, SHAPES, failed_creation
from mockserver.timefmt import MINUTES_SECONDS, QUARTER, QuarterTimes, format_time

_MASK = (1 << 64) - 1
_EMPTY = b"{}"
# Tasks (and holders) a writer keeps between runs: some ten times the tasks of a round.
_TASKS_KEPT = 256
# Placeholders: raw fragments orjson copies as they are. A NUL byte never appears raw in
# orjson's output (it escapes it), so they cannot be confused with serialised text.
_HOLE_BYTES = tuple(b"\0%d\0" % index for index in range(9))
_HOLES = tuple(orjson.Fragment(hole) for hole in _HOLE_BYTES)
# What each placeholder becomes: id, taskId, aliceName, createdTime (its date and hour, then its
# minutes and seconds), instanceInfo, then the four amounts.
_FORMATS = (b"%d", b"%d", b"%b", b'"%b%b"', b"%b", b"%d", b"%d", b"%d", b"%d")


@cache
def _quarter_times(zone: tzinfo) -> QuarterTimes:
    """One cache of quarter hours per zone and process: plans of one zone share it."""
    return QuarterTimes(zone)


# The keys a spread chooses, by the low bits of its draw (one bit per key): by number of keys,
# then by those bits, the chosen keys' indexes. Shared by every writer (a taxonomy has at most 5
# instance and 4 attribute keys).
_CHOSEN = tuple(
    tuple(tuple(index for index in range(size) if bits >> index & 1) for bits in range(1 << size))
    for size in range(6)
)


def _spread(bits: int, total: int, keys: Sequence[bytes], into: list[bytes]) -> None:
    """`generator._split`, written as `"key":amount` items (the keys are serialised already)."""
    chosen = _CHOSEN[len(keys)][bits & ((1 << len(keys)) - 1)]
    if len(chosen) < 2:
        key = keys[chosen[0]] if chosen else keys[(bits >> 8) % len(keys)]
        into.append(key + b"%d" % total)
        return
    bits >>= 16
    if len(chosen) == 2:
        cut = bits % (total + 1)
        if cut:
            into.append(keys[chosen[0]] + b"%d" % cut)
        if total > cut:
            into.append(keys[chosen[1]] + b"%d" % (total - cut))
        return
    cuts = sorted([(bits >> (12 * index)) % (total + 1) for index in range(len(chosen) - 1)])
    cuts.append(total)
    low = 0
    for index, high in zip(chosen, cuts, strict=True):
        if high > low:
            into.append(keys[index] + b"%d" % (high - low))
            low = high


class RecordWriter:
    """The serialised records of one plan (see the module's docstring)."""

    __slots__ = (
        "_attribute_keys",
        "_crew",
        "_exact",
        "_holders",
        "_instance_keys",
        "_ready",
        "_tasks",
        "_templates",
        "_times",
        "plan",
    )

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        # What the records are written from is prepared on the first of them: of the 4096
        # plans a store keeps, most never write one (the first IDs of a query fill its page).
        self._ready = False

    def _prepare(self) -> None:
        plan = self.plan
        taxonomy = plan.taxonomy
        self._instance_keys = tuple(orjson.dumps(key) + b":" for key in taxonomy.instance_keys)
        self._attribute_keys = tuple(orjson.dumps(key) + b":" for key in taxonomy.attribute_keys)
        # The two spreads write into one object: with a key in both, the generator adds the
        # amounts, which this writer does not. Never the case for a drawn taxonomy (the kinds
        # of key differ), but then the records are made and serialised one by one.
        self._exact = not set(taxonomy.instance_keys) & set(taxonomy.attribute_keys)
        # Copied to their exact size: orjson's bytes keep the buffer they were written into
        # (kilobytes for a name), which some twenty names of 4096 cached plans would hold.
        self._crew = tuple(
            tuple(bytes(memoryview(orjson.dumps(name))) for name in people) for people in plan.crew
        )
        # By kind of step (times two, plus one if its creation failed): a few dozen at most.
        self._templates: dict[int, bytes] = {}
        self._times = _quarter_times(plan.zone)
        # By task: (its steps' codes, scale, failed, key); by (key ^ since): its holder's draw.
        # Kept from one run to the next, since a client paging on meets the same tasks again
        # (a task lasts a few rounds); bounded, since a writer lives as long as its plan.
        self._tasks: dict[int, tuple[tuple[int, ...], int, bool, int]] = {}
        self._holders: dict[int, int] = {}
        self._ready = True

    def _template(self, code: int, failed: bool) -> bytes:
        """The record of a step's kind (`Histories.rows`) with `%` holes for the rest."""
        act = self.plan.histories.act(code)
        if failed:
            act = failed_creation(act)
        record_id, task_id, user, created, info, *amounts = _HOLES
        fields = record_fields(self.plan, act, record_id, task_id, user, created, info, amounts)
        text = orjson.dumps(fields).replace(b"%", b"%%")
        for hole, form in zip(_HOLE_BYTES, _FORMATS, strict=True):
            text = text.replace(hole, form)
        return text

    def records(self, start: int, stop: int) -> list[bytes]:
        """`orjson.dumps(make_record(plan, p))` for p in [start, stop)."""
        plan = self.plan
        pinned = len(plan.pinned)
        out = [orjson.dumps(plan.pinned[p]) for p in range(start, min(stop, pinned))]
        first = max(start, pinned)
        if first >= stop:
            return out
        if not self._ready:
            self._prepare()
        if not self._exact:
            out.extend(orjson.dumps(record) for record in make_records(plan, first, stop))
            return out
        out.extend(self._generated(first - pinned, stop - pinned))
        return out

    def _generated(self, start: int, stop: int) -> list[bytes]:
        """The generated records [start, stop) (positions after the pinned ones).

        One loop, with everything it reads in locals: it is the cost of a fresh page.
        """
        plan = self.plan
        layout = plan.layout
        histories = plan.histories
        pinned = len(plan.pinned)
        draws = mixed_run(plan.seed, start + pinned + DRAW_OFFSET, stop - start)
        templates = self._templates
        times = self._times
        quarter = times.quarter
        # Records come in time order: most share the quarter hour of the one before.
        last_q, found = -1, None
        zone = plan.zone
        instance_keys, attribute_keys = self._instance_keys, self._attribute_keys
        id_base = plan.id_base + pinned + 1
        task_id_base = plan.task_id_base + 1
        start_epoch, gap = plan.start_epoch, plan.gap_seconds
        task_starts = layout.task_starts
        per_period = task_starts[-1]
        # By task: (its steps' codes, scale, failed, key); by (key ^ since): its holder's draw.
        acts, kinds = histories.acts, histories.kinds
        crews = self._crew
        tasks, holders = self._tasks, self._holders
        if len(tasks) > _TASKS_KEPT:
            tasks.clear()
        if len(holders) > _TASKS_KEPT:
            holders.clear()
        out: list[bytes] = []
        append = out.append
        position = start
        while position < stop:
            round_number, first, size = layout.round_at(position)
            stride, shift = layout.order(round_number, size)
            members = layout.members(round_number)
            end = min(stop, first + size)
            for offset in range(position - first, end - first):
                ago, index, length = members[(offset * stride + shift) % size]
                cohort = round_number - ago
                task = (cohort // PERIOD) * per_period + task_starts[cohort % PERIOD] + index
                traits = tasks.get(task)
                if traits is None:
                    key = task_key(plan, task)
                    traits = tasks[task] = (
                        histories.codes(key % SHAPES),
                        task_scale(key),
                        creation_failed(key, length),
                        key,
                    )
                codes, scale, failed, key = traits
                code = codes[ago]
                _, _, _, role, since, instances, attributes, instance_sum, attribute_sum = acts[
                    code
                ]
                slot = kinds[code] * 2 + failed
                template = templates.get(slot)
                if template is None:
                    template = templates[slot] = self._template(code, failed)
                crew = crews[role]
                if role < LABELER:
                    user = crew[0]
                else:
                    held = holders.get(key ^ since)
                    if held is None:
                        held = holders[key ^ since] = mix(key ^ since)
                    user = crew[held % len(crew)]
                at = first + offset
                drawn = draws[at - start]
                created = start_epoch + int((at + (drawn >> 11) / 9007199254740992.0) * gap)
                q = created // QUARTER
                if q != last_q:
                    last_q, found = q, quarter(q)
                if found is None:
                    day_hour, minute_second = format_time(created, zone).encode(), b""
                else:
                    day_hour = found[0]
                    minute_second = MINUTES_SECONDS[found[1] + created - q * QUARTER]
                instances *= scale
                attributes *= scale
                if instances or attributes:
                    items: list[bytes] = []
                    if instances:
                        bits = drawn * INSTANCE_SPREAD & _MASK
                        _spread(bits, instances, instance_keys, items)
                    if attributes:
                        bits = (drawn * ATTRIBUTE_SPREAD >> 5) & _MASK
                        _spread(bits, attributes, attribute_keys, items)
                    info = b"{" + b",".join(items) + b"}"
                else:
                    info = _EMPTY
                append(
                    template
                    % (
                        id_base + at,
                        task_id_base + task,
                        user,
                        day_hour,
                        minute_second,
                        info,
                        instances,
                        attributes,
                        instance_sum * scale,
                        attribute_sum * scale,
                    )
                )
            position = end
        return out
