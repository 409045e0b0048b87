"""Records written straight to JSON are `orjson.dumps(make_record(...))`, byte for byte."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.generator import (
    DRAW_OFFSET,
    PinnedRequest,
    Plan,
    Vocabulary,
    created_epoch,
    make_plan,
    make_record,
)
from mockserver.record_json import RecordWriter
from mockserver.rng import mix, mixed_run
from mockserver.shapes import SHAPES
from mockserver.timefmt import QuarterTimes, format_time
from mockserver.workflow import Taxonomy
from mockserver.zones import zone

VOCABULARY = Vocabulary.from_faker(1)
# UTC; whole-hour DST; +05:30 and +05:45; a 30-minute DST shift; and, before 1901, the local
# mean times of the zone files (offsets in seconds), which no quarter hour can take.
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe"]


def serialised(plan: Plan, start: int, stop: int) -> list[bytes]:
    return [orjson.dumps(make_record(plan, position)) for position in range(start, stop)]


@given(
    seed=st.integers(0, 2**32),
    ar=st.text(min_size=1, max_size=30),
    count=st.integers(1, 4_000_000),
    start=st.integers(0, 4_000_000),
    length=st.integers(1, 300),
    zone_name=st.sampled_from(ZONES),
)
@settings(max_examples=15, deadline=None)
def test_a_run_of_records_is_the_generator_s_serialised(
    seed: int, ar: str, count: int, start: int, length: int, zone_name: str
) -> None:
    plan = make_plan(seed, VOCABULARY, ar, PinnedRequest(count=count), zone(zone_name))
    start %= count
    stop = min(count, start + length)
    assert RecordWriter(plan).records(start, stop) == serialised(plan, start, stop)


def test_runs_asked_one_after_the_other_are_the_same_records() -> None:
    # The writer keeps tasks and holders between runs: what it kept must not change a record.
    plan = make_plan(1, VOCABULARY, "large-annotation-request", PinnedRequest(count=4_000_000))
    writer = RecordWriter(plan)
    for start in (1_000_000, 1_000_032, 1_000_064, 5, 1_000_096, 3_999_990):
        assert writer.records(start, start + 32) == serialised(plan, start, start + 32)


def test_every_kind_of_step_and_failed_creations_are_written_alike() -> None:
    # Enough records for every shape, scale and failed creation of a workflow to turn up.
    plan = make_plan(3, VOCABULARY, "many-kinds", PinnedRequest(count=4_000_000))
    writer = RecordWriter(plan)
    records = writer.records(0, 4000)
    assert records == serialised(plan, 0, 4000)
    statuses = {orjson.loads(record)["status"] for record in records}
    assert 6 in statuses  # CREATION_FAILED


def test_pinned_records_and_odd_characters_of_a_pinned_campaign_are_escaped_alike() -> None:
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
    records = RecordWriter(plan).records(0, 400)
    assert records == serialised(plan, 0, 400)
    assert orjson.loads(records[3])["campaignId"] == "100%s\u2028"
    assert records[1:3] == [orjson.dumps(record) for record in pinned[1:]]


def test_a_taxonomy_whose_kinds_of_key_meet_is_still_written_right() -> None:
    # The generator adds the amounts of a key found in both spreads; the writer then makes
    # each record (never the case for a drawn taxonomy, whose kinds of key differ).
    plan = make_plan(1, VOCABULARY, "shared-keys", PinnedRequest(count=5000))
    keys = ("box2d-[00001]", "select-[00002]")
    plan = replace(plan, taxonomy=Taxonomy(keys, keys))
    assert RecordWriter(plan).records(0, 2000) == serialised(plan, 0, 2000)


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


def test_a_record_on_the_hour_after_one_in_the_last_quarter_is_written_with_its_own_hour() -> None:
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
        assert RecordWriter(plan).records(start, position + 3) == serialised(
            plan, start, position + 3
        )


def test_keys_with_a_percent_sign_are_written_as_they_are() -> None:
    # The writer turns a taxonomy's keys into formats: a `%` in one must stay a `%`.
    plan = make_plan(1, VOCABULARY, "percent-keys", PinnedRequest(count=5000))
    taxonomy = Taxonomy(("box2d-[50%d]", "mask-[%%]"), ("select-[100%s]", "text-[%]"))
    plan = replace(plan, taxonomy=taxonomy)
    records = RecordWriter(plan).records(0, 2000)
    assert records == serialised(plan, 0, 2000)
    assert any(b'"box2d-[50%d]":' in record for record in records)
