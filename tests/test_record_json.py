"""Records written straight to JSON are `orjson.dumps(make_record(...))`, byte for byte."""

from __future__ import annotations

import gc
import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import record_json
from mockserver.enums import Status
from mockserver.generator import (
    DRAW_OFFSET,
    PinnedRequest,
    Plan,
    Vocabulary,
    created_epoch,
    make_plan,
    make_record,
    task_key,
)
from mockserver.record_json import COMPILED, RecordWriter, writer_loop
from mockserver.rng import mix, mixed_run
from mockserver.shapes import SHAPES
from mockserver.timefmt import QuarterTimes, format_time
from mockserver.workflow import Taxonomy
from mockserver.zones import zone
from tests.support.required import missing

VOCABULARY = Vocabulary.from_faker(1)
# UTC; whole-hour DST; +05:30 and +05:45; a 30-minute DST shift; and, before 1901, the local
# mean times of the zone files (offsets in seconds), which no quarter hour can take.
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe"]


def serialised(plan: Plan, start: int, stop: int) -> list[bytes]:
    return [orjson.dumps(make_record(plan, position)) for position in range(start, stop)]


# Every test of the writer runs with both loops: Python's, the reference, and the compiled one
# (mockserver/_recordloop.c, D81), each held to the generator's records.
LOOPS = ["python", "compiled"]


def loop_of(name: str) -> ModuleType | None:
    if name == "python":
        return None
    if COMPILED is None:
        missing(f"the compiled record loop is not built: {record_json.loop_status()}")
    return COMPILED


@given(
    seed=st.integers(0, 2**32),
    ar=st.text(min_size=1, max_size=30),
    count=st.integers(1, 4_000_000),
    start=st.integers(0, 4_000_000),
    length=st.integers(1, 300),
    zone_name=st.sampled_from(ZONES),
)
@settings(max_examples=15, deadline=None)
@pytest.mark.parametrize("loop", LOOPS)
def test_a_run_of_records_is_the_generator_s_serialised(
    loop: str, seed: int, ar: str, count: int, start: int, length: int, zone_name: str
) -> None:
    plan = make_plan(seed, VOCABULARY, ar, PinnedRequest(count=count), zone(zone_name))
    start %= count
    stop = min(count, start + length)
    assert RecordWriter(plan, loop_of(loop)).records(start, stop) == serialised(plan, start, stop)


@pytest.mark.parametrize("loop", LOOPS)
def test_runs_asked_one_after_the_other_are_the_same_records(loop: str) -> None:
    # The writer keeps tasks and holders between runs: what it kept must not change a record.
    plan = make_plan(1, VOCABULARY, "large-annotation-request", PinnedRequest(count=4_000_000))
    writer = RecordWriter(plan, loop_of(loop))
    for start in (1_000_000, 1_000_032, 1_000_064, 5, 1_000_096, 3_999_990):
        assert writer.records(start, start + 32) == serialised(plan, start, start + 32)


@pytest.mark.parametrize("loop", LOOPS)
def test_every_kind_of_step_and_failed_creations_are_written_alike(loop: str) -> None:
    # Enough records for every shape, scale and failed creation of a workflow to turn up.
    plan = make_plan(3, VOCABULARY, "many-kinds", PinnedRequest(count=4_000_000))
    writer = RecordWriter(plan, loop_of(loop))
    records = writer.records(0, 4000)
    assert records == serialised(plan, 0, 4000)
    statuses = {orjson.loads(record)["status"] for record in records}
    assert 6 in statuses  # CREATION_FAILED


@pytest.mark.parametrize("loop", LOOPS)
def test_pinned_records_and_odd_characters_of_a_pinned_campaign_are_escaped_alike(
    loop: str,
) -> None:
    # A pinned record names the campaign, its folder and the pools' code: `%`, quotes,
    # backslashes and non-ASCII there must come out as orjson writes them, and `%` must not be
    # taken for a placeholder of the template.
    plan = make_plan(1, VOCABULARY, "pin-source", PinnedRequest(count=3))
    pinned = [make_record(plan, position) for position in range(3)]
    pinned[-1] = {
        **pinned[-1],
        "poolName": 'CO 50%d "é\\-Annotation Pool',
        "campaignId": "100%s\u2028",
        "folderId": 7,
    }
    plan = make_plan(1, VOCABULARY, "pinned", PinnedRequest(count=400, records=tuple(pinned)))
    writer = RecordWriter(plan, loop_of(loop))
    records = writer.records(0, 400)
    assert records == serialised(plan, 0, 400)
    assert orjson.loads(records[3])["campaignId"] == "100%s\u2028"
    assert records[1:3] == [orjson.dumps(record) for record in pinned[1:]]
    # Asked again once the writer is prepared: the pinned records are still the pinned ones.
    assert writer.records(1, 20) == records[1:20]


@pytest.mark.parametrize("loop", LOOPS)
def test_a_taxonomy_whose_kinds_of_key_meet_is_still_written_right(loop: str) -> None:
    # The generator adds the amounts of a key found in both spreads; the writer then makes
    # each record (never the case for a drawn taxonomy, whose kinds of key differ).
    plan = make_plan(1, VOCABULARY, "shared-keys", PinnedRequest(count=5000))
    keys = ("box2d-[00001]", "select-[00002]")
    plan = replace(plan, taxonomy=Taxonomy(keys, keys))
    assert RecordWriter(plan, loop_of(loop)).records(0, 2000) == serialised(plan, 0, 2000)


@pytest.mark.parametrize("zone_name", [*ZONES, "Europe/London", "Asia/Shanghai"])
def test_quarter_times_are_format_time(zone_name: str) -> None:
    place = zone(zone_name)
    times = QuarterTimes(place)
    # Around the DST changes of 2024 (both ways for the northern zones, Lord Howe's 30-minute
    # one in April), the local mean time of 1890 and the far future, every few seconds.
    starts = [
        datetime(2024, 3, 10, 5, tzinfo=UTC),
        datetime(2024, 11, 3, 4, tzinfo=UTC),
        datetime(2024, 4, 6, 14, tzinfo=UTC),
        datetime(1890, 1, 1, tzinfo=UTC),
        datetime(2100, 1, 1, tzinfo=UTC),
    ]
    instants = [
        instant
        for start in starts
        for instant in range(int(start.timestamp()), int(start.timestamp()) + 4 * 3600, 29)
    ]
    assert [times.text(t) for t in instants] == [format_time(t, place).encode() for t in instants]


def test_quarter_times_refuse_a_quarter_that_is_not_one_in_local_time() -> None:
    # Kolkata's offset was +05:53:28 in 1890: its quarters are not local quarter hours.
    kolkata = QuarterTimes(zone("Asia/Kolkata"))
    assert kolkata.quarter(int(datetime(1890, 1, 1, tzinfo=UTC).timestamp()) // 900) is None
    assert kolkata.quarter(int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) // 900) is not None


@given(seed=st.integers(0, 2**64 - 1), start=st.integers(0, 2**64 + 10), count=st.integers(0, 70))
@settings(max_examples=30, deadline=None)
def test_a_mixed_run_is_mix_of_mix_value_by_value(seed: int, start: int, count: int) -> None:
    assert list(mixed_run(seed, start, count)) == [
        mix(seed ^ mix(start + index)) for index in range(count)
    ]


def test_codes_name_the_steps_of_the_shapes() -> None:
    histories = make_plan(1, VOCABULARY, "codes", PinnedRequest(count=10)).histories
    for index in range(0, SHAPES, 17):
        codes = histories.codes(index)
        assert tuple(histories.act(code) for code in codes) == histories[index]
    # Steps of one kind agree on all but their amounts and `since`; steps of two kinds differ.
    kinds: dict[int, set[tuple[int, int, int, int]]] = {}
    for code, act in enumerate(histories.acts):
        kinds.setdefault(histories.kinds[code], set()).add(
            (act.action, act.pool, act.status, act.role)
        )
    assert all(len(found) == 1 for found in kinds.values())
    assert len({next(iter(found)) for found in kinds.values()}) == len(kinds)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_record_on_the_hour_after_one_in_the_last_quarter_is_written_with_its_own_hour(
    loop: str,
) -> None:
    # Records of a run share the date and hour of their quarter hour; the first record of the
    # next hour, one second past the last quarter's end, starts a quarter of its own.
    plan = make_plan(1, VOCABULARY, "on-the-hour", PinnedRequest(count=4_000_000))
    draws = mixed_run(plan.seed, DRAW_OFFSET, 20_000)
    times = [created_epoch(plan, position, draw) for position, draw in enumerate(draws)]
    on_the_hour = [
        position
        for position in range(1, len(times))
        if times[position] % 3600 == 0 and times[position - 1] < times[position]
    ]
    assert on_the_hour, "no record on the hour: look further"
    for position in on_the_hour[:3]:
        start = position - 3
        assert RecordWriter(plan, loop_of(loop)).records(start, position + 3) == serialised(
            plan, start, position + 3
        )


@pytest.mark.parametrize("loop", LOOPS)
def test_keys_with_a_percent_sign_are_written_as_they_are(loop: str) -> None:
    # The writer turns a taxonomy's keys into formats: a `%` in one must stay a `%`.
    plan = make_plan(1, VOCABULARY, "percent-keys", PinnedRequest(count=5000))
    taxonomy = Taxonomy(("box2d-[50%d]", "mask-[%%]"), ("select-[100%s]", "text-[%]"))
    plan = replace(plan, taxonomy=taxonomy)
    records = RecordWriter(plan, loop_of(loop)).records(0, 2000)
    assert records == serialised(plan, 0, 2000)
    assert any(b'"box2d-[50%d]":' in record for record in records)


@pytest.mark.parametrize("zone_name", ["Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("loop", LOOPS)
def test_a_time_that_is_no_local_quarter_hour_is_written_whole(loop: str, zone_name: str) -> None:
    # Kolkata in 1890 (+05:53:28): no quarter hour is one in local time, so every record's
    # time is formatted whole (`QuarterTimes.text`), the compiled loop's other path. UTC in
    # 1890: before the years the compiled loop writes itself, so by quarter hours.
    plan = make_plan(1, VOCABULARY, "old-times", PinnedRequest(count=5000), zone(zone_name))
    plan = replace(plan, start_epoch=int(datetime(1890, 1, 1, tzinfo=UTC).timestamp()))
    assert RecordWriter(plan, loop_of(loop)).records(0, 300) == serialised(plan, 0, 300)


def test_a_run_the_compiled_loop_declines_is_written_by_python() -> None:
    # The compiled loop answers None for a run it cannot write exactly: the writer then
    # writes it with the Python loop, the same records.
    declined: list[tuple[int, int]] = []

    def generated(_writer: object, _context: object, start: int, stop: int) -> None:
        declined.append((start, stop))

    plan = make_plan(1, VOCABULARY, "declined", PinnedRequest(count=5000))
    fake = ModuleType("fake_loop")
    fake.generated = generated  # type: ignore[attr-defined]
    writer = RecordWriter(plan, fake)
    assert writer.records(10, 60) == serialised(plan, 10, 60)
    # The second run takes the prepared writer's short way: declined there too, once.
    assert writer.records(70, 75) == serialised(plan, 70, 75)
    assert declined == [(10, 60), (70, 75)]


def test_the_compiled_loop_declines_positions_beyond_its_integers() -> None:
    loop = loop_of("compiled")
    writer = RecordWriter(make_plan(1, VOCABULARY, "far", PinnedRequest(count=5000)), loop)
    writer.records(0, 1)
    context = writer._context
    assert loop is not None and context is not None
    assert loop.generated(writer, context, 2**62, 2**62 + 1) is None
    assert loop.generated(writer, context, 2**64, 2**64 + 1) is None
    assert loop.generated(writer, context, 5, 7) == serialised(writer.plan, 5, 7)


def test_a_writer_with_the_compiled_loop_leaves_no_cycle_behind() -> None:
    # The loop's context holds no reference to its writer: a plan evicted from the store is
    # freed at once, not at the next full collection (the memory target of issue 27).
    writer = RecordWriter(
        make_plan(1, VOCABULARY, "freed", PinnedRequest(count=5000)), loop_of("compiled")
    )
    writer.records(0, 200)
    gc.collect()
    del writer
    assert gc.collect() == 0


def test_a_build_older_than_its_source_is_not_used() -> None:
    # Builds stood in for by their compiled-in digest: no compiler needed to test the rule.
    source = Path(record_json.__file__).with_name("_recordloop.c").read_bytes()
    current = SimpleNamespace(SOURCE_SHA256=hashlib.sha256(source).hexdigest())
    assert record_json._built_from_source(current)  # type: ignore[arg-type]
    stale = SimpleNamespace(SOURCE_SHA256="0" * 64)
    assert not record_json._built_from_source(stale)  # type: ignore[arg-type]


def test_the_writer_choices() -> None:
    assert writer_loop("python") is None
    assert writer_loop("auto") is COMPILED
    with pytest.raises(ValueError, match="'fast' is not one of auto, python, compiled"):
        writer_loop("fast")
    if COMPILED is None:
        with pytest.raises(ValueError, match="compiled, but Python only"):
            writer_loop("compiled")
    else:
        assert writer_loop("compiled") is COMPILED


@pytest.mark.parametrize("loop", LOOPS)
def test_one_step_tasks_on_either_side_of_the_failure_bound_are_written_alike(loop: str) -> None:
    # A one-step task's creation fails when (key >> 20) % 1000 is below 100: the records of a
    # task at 99 (failed) and at 100 (not), found by searching this plan's log.
    plan = make_plan(1, VOCABULARY, "fails-at-the-bound", PinnedRequest(count=4_000_000))
    bound = {99: 101_205, 100: 8_488}
    for residue, position in bound.items():
        task, _, length = plan.locate(position)
        assert length == 1 and (task_key(plan, task) >> 20) % 1000 == residue
        record = RecordWriter(plan, loop_of(loop)).records(position, position + 1)
        assert record == serialised(plan, position, position + 1)
        failed = orjson.loads(record[0])["status"] == Status.CREATION_FAILED
        assert failed == (residue == 99)


def test_the_compiled_loop_writes_utc_times_as_format_time_does() -> None:
    # In UTC the compiled loop writes times itself (civil dates from days): every leap rule,
    # the epoch's edges and the range's ends, and a stride of instants across the four centuries.
    loop = loop_of("compiled")
    assert loop is not None
    edges = [
        datetime(1900, 1, 1, tzinfo=UTC),
        datetime(1900, 2, 28, 23, 59, 59, tzinfo=UTC),
        datetime(1900, 3, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2000, 2, 29, 12, 30, 1, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2100, 2, 28, 23, 59, 59, tzinfo=UTC),
        datetime(2100, 3, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]
    low, high = int(edges[0].timestamp()), int(edges[-1].timestamp())
    instants = [int(edge.timestamp()) for edge in edges]
    instants += range(low, high, 7_777_777)
    assert [loop.utc_time(t) for t in instants] == [format_time(t).encode() for t in instants]
    with pytest.raises(ValueError, match="1900 to 9999"):
        loop.utc_time(low - 1)
    with pytest.raises(ValueError, match="1900 to 9999"):
        loop.utc_time(high + 1)
