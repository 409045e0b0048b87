"""Generated records written straight to JSON bytes: what `orjson.dumps(make_record(...))` gives,
without making the record.

A record is mostly what its step and its plan fix: its status, pool, action and amounts, its
campaign and folder. For each (step, scale) a plan meets, `RecordWriter` serialises that part
once, as a template (`generator.record_fields` with placeholders, through orjson, so that the
keys, their order and every escape are the generator's own); a record is then one `%` of the
template with its own id, task id, holder, time and `instanceInfo`. The records' draws are
computed for a whole run at once (`rng.mixed_run`), and so are the run's rounds' shuffles and
new tasks' keys; a round's members once per round residue, a task's key and id once, and each
quarter hour's date once (`timefmt.QuarterTimes`). tests/test_record_json.py holds it to
`orjson.dumps(make_record(...))`, byte for byte.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Sequence
from datetime import UTC, tzinfo
from functools import cache
from math import gcd
from pathlib import Path
from types import ModuleType

import orjson

from mockserver.config import WRITER_CHOICES
from mockserver.generator import (
    ATTRIBUTE_SPREAD,
    DRAW_OFFSET,
    INSTANCE_SPREAD,
    Plan,
    creation_failed,
    make_records,
    record_fields,
    task_scale,
)
from mockserver.layout import PERIOD
from mockserver.rng import mix, mixed_run
from mockserver.shapes import LABELER, SHAPES, failed_creation
from mockserver.timefmt import MINUTES_SECONDS, QUARTER, QuarterTimes, format_time

_MASK = (1 << 64) - 1
_EMPTY = b"{}"
# Tasks (and holders) a writer keeps between runs: twice the tasks of a 1000-record page.
_TASKS_KEPT = 256
# Task keys are drawn for this many tasks in a row at once, and kept up to _KEYS_KEPT.
_KEY_BLOCK = 16
_KEYS_KEPT = 512
# `generator.created_epoch` divides a draw's 53 bits by 2**53: a product by 2**-53 is the same
# float, exactly (a power of two), and cheaper.
_UNIT = 2.0**-53
# Runs of up to this many records draw their rounds' shuffles one by one.
_SHORT_RUN = 32
# Placeholders: raw fragments orjson copies as they are. A NUL byte never appears raw in
# orjson's output (it escapes it), so they cannot be confused with serialised text.
_HOLE_BYTES = tuple(b"\0%d\0" % index for index in range(9))
_HOLES = tuple(orjson.Fragment(hole) for hole in _HOLE_BYTES)
# What each placeholder becomes: id, taskId, aliceName, createdTime (its date and hour, then its
# minutes and seconds), instanceInfo, then the four amounts.
_FORMATS = (b"%d", b"%b", b"%b", b'"%b%b"', b"%b", b"%d", b"%d", b"%d", b"%d")


def _compiled_loop() -> ModuleType | None:
    """`mockserver/_recordloop.c` built (setup.py), if it was built from the source beside it.

    A build older than its source (the C file changed, the package not rebuilt) would write
    what the older source wrote: it is not used, and `loop_status` says so.
    """
    try:
        from mockserver import _recordloop  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _recordloop if _built_from_source(_recordloop) else None


def _built_from_source(module: ModuleType) -> bool:
    source = Path(__file__).with_name("_recordloop.c")
    if not source.exists():
        # An installed wheel: built from the source it shipped with.
        return True
    return bool(hashlib.sha256(source.read_bytes()).hexdigest() == module.SOURCE_SHA256)


COMPILED = _compiled_loop()


def loop_status() -> str:
    """Whether the compiled loop is there, and if not why: for `make bench` and the docs."""
    if COMPILED is not None:
        return "compiled (mockserver/_recordloop.c)"
    try:
        from mockserver import _recordloop  # type: ignore[attr-defined]  # noqa: F401
    except ImportError:
        return "Python only: mockserver/_recordloop.c was not built (no C compiler at install?)"
    return "Python only: the compiled loop is older than mockserver/_recordloop.c (make install)"


def writer_loop(choice: str) -> ModuleType | None:
    """The loop of a `Settings.record_writer` choice (`config.WRITER_CHOICES`); ValueError if
    impossible."""
    if choice not in WRITER_CHOICES:
        raise ValueError(f"{choice!r} is not one of {', '.join(WRITER_CHOICES)}")
    if choice == "python":
        return None
    if choice == "compiled" and COMPILED is None:
        raise ValueError(f"compiled, but {loop_status()}")
    return COMPILED


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


# The low bits of a draw that choose among n keys.
_LOW_BITS = tuple((1 << size) - 1 for size in range(6))


def _spread(bits: int, total: int, keys: Sequence[bytes], into: list[bytes]) -> None:
    """`generator._split`, written as `"key":amount` items: `keys` are the keys serialised,
    each followed by `:%d` (see `RecordWriter._prepare`)."""
    size = len(keys)
    chosen = _CHOSEN[size][bits & _LOW_BITS[size]]
    if len(chosen) == 2:
        cut = (bits >> 16) % (total + 1)
        first, second = chosen
        if cut:
            into.append(keys[first] % cut)
        if total > cut:
            into.append(keys[second] % (total - cut))
        return
    if len(chosen) < 2:
        into.append((keys[chosen[0]] if chosen else keys[(bits >> 8) % size]) % total)
        return
    bits >>= 16
    cuts = sorted([(bits >> (12 * index)) % (total + 1) for index in range(len(chosen) - 1)])
    cuts.append(total)
    low = 0
    for index, high in zip(chosen, cuts, strict=True):
        if high > low:
            into.append(keys[index] % (high - low))
            low = high


class RecordWriter:
    """The serialised records of one plan (see the module's docstring)."""

    __slots__ = (
        "_attribute_keys",
        "_context",
        "_crew",
        "_exact",
        "_holders",
        "_instance_keys",
        "_keys",
        "_loop",
        "_pieces_by_slot",
        "_pinned",
        "_ready",
        "_rounds",
        "_tasks",
        "_templates",
        "_times",
        "plan",
    )

    def __init__(self, plan: Plan, loop: ModuleType | None = COMPILED) -> None:
        """`loop`: the compiled loop (`mockserver/_recordloop.c`), or None for Python's."""
        self.plan = plan
        self._loop = loop
        # What the records are written from is prepared on the first of them: of the 4096
        # plans a store keeps, most never write one (the first IDs of a query fill its page).
        self._ready = False
        # Set by `_prepare` when the compiled loop writes this plan's records.
        self._context: tuple[object, ...] | None = None
        self._pinned = len(plan.pinned)

    def _prepare(self) -> None:
        plan = self.plan
        taxonomy = plan.taxonomy
        # `"key":%d`, a key's item as a format (a `%` in a key escaped).
        self._instance_keys = tuple(
            orjson.dumps(key).replace(b"%", b"%%") + b":%d" for key in taxonomy.instance_keys
        )
        self._attribute_keys = tuple(
            orjson.dumps(key).replace(b"%", b"%%") + b":%d" for key in taxonomy.attribute_keys
        )
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
        # By task: (its steps' codes, scale, failed, key, id written); by (key ^ since): its
        # holder's draw. Kept from one run to the next, since a client paging on meets the same
        # tasks again (a task lasts a few rounds); bounded, since a writer lives as long as its
        # plan.
        self._tasks: dict[int, tuple[tuple[int, ...], int, int, int, bytes]] = {}
        self._holders: dict[int, int] = {}
        self._keys: dict[int, int] = {}
        # By round residue (`_round`): at most the ramp's rounds and a period's.
        self._rounds: dict[int, tuple[tuple[int, int, int], ...]] = {}
        self._pieces_by_slot: dict[int, tuple[bytes, ...]] = {}
        self._context = self._loop_context() if self._loop is not None and self._exact else None
        self._ready = True

    def _loop_context(self) -> tuple[object, ...]:
        """What the compiled loop reads, in the order of `_recordloop.c`'s enum. It holds no
        reference to the writer (no cycle: an evicted plan is freed at once)."""
        plan = self.plan
        layout = plan.layout
        pinned = len(plan.pinned)

        def raw(keys: Sequence[str]) -> tuple[bytes, ...]:
            return tuple(orjson.dumps(key) + b":" for key in keys)

        return (
            plan.seed,
            pinned + DRAW_OFFSET,
            plan.id_base + pinned + 1,
            plan.start_epoch,
            float(plan.gap_seconds),
            array("q", layout.round_starts).tobytes(),
            layout.ramp,
            layout.task_starts[-1],
            layout.key,
            plan.task_id_base + 1,
            self._rounds,
            plan.histories,
            plan.histories.code_table,
            plan.histories.acts,
            plan.histories.kinds,
            self._pieces_by_slot,
            self._crew,
            raw(plan.taxonomy.instance_keys),
            raw(plan.taxonomy.attribute_keys),
            self._times,
            # UTC, the default zone: the loop writes times itself (else by quarter hours).
            plan.zone is UTC,
        )

    def _pieces(self, code: int, failed: bool) -> tuple[bytes, ...]:
        """The record of a step's kind, serialised, cut at its nine holes: the compiled loop's
        template (it writes the per-record values between the pieces)."""
        act = self.plan.histories.act(code)
        if failed:
            act = failed_creation(act)
        record_id, task_id, user, created, info, *amounts = _HOLES
        fields = record_fields(self.plan, act, record_id, task_id, user, created, info, amounts)
        rest = orjson.dumps(fields)
        pieces = []
        for hole in _HOLE_BYTES:
            piece, found, rest = rest.partition(hole)
            if not found:
                raise ValueError(f"a template without its hole {hole!r}, or out of order")
            pieces.append(piece)
        pieces.append(rest)
        return tuple(pieces)

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
        pinned = self._pinned
        if self._context is not None and start >= pinned:
            # The usual fresh page: no pinned record, the writer prepared.
            return self._written(start - pinned, stop - pinned)
        plan = self.plan
        out = [orjson.dumps(plan.pinned[p]) for p in range(start, min(stop, pinned))]
        first = max(start, pinned)
        if first >= stop:
            return out
        if not self._ready:
            self._prepare()
        if not self._exact:
            out.extend(orjson.dumps(record) for record in make_records(plan, first, stop))
            return out
        out.extend(self._written(first - pinned, stop - pinned))
        return out

    def _written(self, start: int, stop: int) -> list[bytes]:
        """The generated records [start, stop): by the compiled loop if it writes this plan's,
        else (or for a run it declines: an amount below zero, a number beyond 64 bits, never
        met in drawn data) by the Python loop."""
        if self._context is not None:
            assert self._loop is not None
            written: list[bytes] | None = self._loop.generated(self, self._context, start, stop)
            if written is not None:
                return written
        return self._generated(start, stop)

    def _round(self, round_number: int, name: int) -> tuple[tuple[int, int, int], ...]:
        """A round's members as (step, task less the round's whole periods' tasks, 1 if the
        task has a single step), for a round whose number less its whole periods is `name`."""
        layout = self.plan.layout
        task_starts, per_period = layout.task_starts, layout.task_starts[-1]
        found = []
        for ago, index, length in layout.members(round_number):
            cohort = name - ago
            task = (cohort // PERIOD) * per_period + task_starts[cohort % PERIOD] + index
            found.append((ago, task, int(length == 1)))
        return tuple(found)

    def _task(self, task: int, single: int) -> tuple[tuple[int, ...], int, int, int, bytes]:
        """A task's steps' codes, scale, failed creation, key and id."""
        plan = self.plan
        keys = self._keys
        key = keys.get(task)
        if key is None:
            # `generator.task_key` is mix(seed ^ mix(task + 1)): `mixed_run` gives it for this
            # task and the next ones at once, which a page meets in turn.
            if len(keys) > _KEYS_KEPT:
                keys.clear()
            block = mixed_run(plan.seed, task + 1, _KEY_BLOCK)
            keys.update(zip(range(task, task + _KEY_BLOCK), block, strict=True))
            key = block[0]
        return (
            plan.histories.codes(key % SHAPES),
            task_scale(key),
            int(creation_failed(key, 2 - single)),
            key,
            # Written once per task rather than once per record.
            b"%d" % (plan.task_id_base + task + 1),
        )

    def _generated(self, start: int, stop: int) -> list[bytes]:
        """The generated records [start, stop) (positions after the pinned ones).

        One loop, with everything it reads in locals: it is the cost of a fresh page. What a
        record shares with others is looked up, not computed: its round's members (by round
        residue), its task (by task), its holder (by task and Accept), its quarter hour's date
        and hour (the last one); the draws of a run's records, rounds and new tasks are each
        computed at once (`rng.mixed_run`).
        """
        plan = self.plan
        layout = plan.layout
        histories = plan.histories
        pinned = len(plan.pinned)
        draws = mixed_run(plan.seed, start + pinned + DRAW_OFFSET, stop - start)
        templates = self._templates
        quarter = self._times.quarter
        clock = MINUTES_SECONDS
        zone = plan.zone
        instance_keys, attribute_keys = self._instance_keys, self._attribute_keys
        id_base = plan.id_base + pinned + 1
        start_epoch, gap = plan.start_epoch, plan.gap_seconds
        ramp, per_period = layout.ramp, layout.task_starts[-1]
        acts, kinds = histories.acts, histories.kinds
        crews = self._crew
        tasks, holders, rounds = self._tasks, self._holders, self._rounds
        if len(tasks) > _TASKS_KEPT:
            tasks.clear()
        if len(holders) > _TASKS_KEPT:
            holders.clear()
        # The rounds' shuffles, as `Layout.order` draws them (mix(key ^ mix(round))): at once
        # for the run, but for a short run (a round or two), where two `mix` calls a round cost
        # less. tests/test_record_json.py holds the records to the generator's.
        layout_key = layout.key
        first_round = layout.round_at(start)[0]
        spreads: Sequence[int] = ()
        if stop - start > _SHORT_RUN:
            last_round = layout.round_at(stop - 1)[0]
            spreads = mixed_run(layout_key, first_round, last_round - first_round + 1)
        # The current quarter hour [low, high): its date and hour, and where its seconds start
        # in `clock`; records come in time order, so most share the one before's.
        low = high = offset = 0
        day_hour = b""
        out: list[bytes] = []
        append = out.append
        position = start
        while position < stop:
            round_number, first, size = layout.round_at(position)
            spread = (
                spreads[round_number - first_round]
                if spreads
                else mix(layout_key ^ mix(round_number))
            )
            stride = 1 + (spread >> 32) % size
            while gcd(stride, size) != 1:
                stride += 1
            # Position `at` is member (at * stride + shift) % size of its round.
            shift = spread % size - first * stride
            if round_number < ramp:
                name, base = round_number, 0
            else:
                periods, within = divmod(round_number - ramp, PERIOD)
                name, base = ramp + within, periods * per_period
            members = rounds.get(name)
            if members is None:
                members = rounds[name] = self._round(round_number, name)
            end = min(stop, first + size)
            for at, drawn in zip(
                range(position, end), draws[position - start : end - start], strict=True
            ):
                ago, task, single = members[(at * stride + shift) % size]
                task += base
                traits = tasks.get(task)
                if traits is None:
                    traits = tasks[task] = self._task(task, single)
                codes, scale, failed, key, task_id = traits
                code = codes[ago]
                _, _, _, role, since, instances, attributes, instance_sum, attribute_sum = acts[
                    code
                ]
                slot = kinds[code] * 2 + failed
                template = templates.get(slot)
                if template is None:
                    template = templates[slot] = self._template(code, bool(failed))
                crew = crews[role]
                if role < LABELER:
                    user = crew[0]
                else:
                    held = holders.get(key ^ since)
                    if held is None:
                        held = holders[key ^ since] = mix(key ^ since)
                    user = crew[held % len(crew)]
                created = start_epoch + int((at + (drawn >> 11) * _UNIT) * gap)
                if low <= created < high:
                    minute_second = clock[created - offset]
                else:
                    q = created // QUARTER
                    found = quarter(q)
                    if found is None:
                        # Not a quarter hour in local time: this record's time, written whole.
                        day_hour, minute_second = format_time(created, zone).encode(), b""
                        low = high = 0
                    else:
                        low = q * QUARTER
                        high = low + QUARTER
                        day_hour, offset = found[0], low - found[1]
                        minute_second = clock[created - offset]
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
                    info = b"{%b}" % b",".join(items)
                else:
                    info = _EMPTY
                append(
                    template
                    % (
                        id_base + at,
                        task_id,
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
