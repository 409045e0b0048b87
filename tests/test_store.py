"""Pages: one stable order sliced without overlap, and caches that change nothing."""

from __future__ import annotations

import json
from types import ModuleType

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.errors import UnknownAnnotationRequest
from mockserver.fixtures import FixtureSet
from mockserver.generator import PinnedRequest, Vocabulary, make_record
from mockserver.record_json import RecordWriter
from mockserver.store import RecordStore

VOCABULARY = Vocabulary.from_faker(1)
FIXTURES = FixtureSet(
    pinned={
        "small": PinnedRequest(count=37),
        "medium": PinnedRequest(count=1234),
        "none": PinnedRequest(count=0),
    },
    unknown=frozenset({"missing"}),
)


def store(fixtures_only: bool = False) -> RecordStore:
    return RecordStore(1, VOCABULARY, FIXTURES, fixtures_only)


def ids(records: list[bytes]) -> list[int]:
    return [json.loads(record)["id"] for record in records]


@given(
    limit=st.integers(1, 300),
    requests=st.sets(st.sampled_from(["small", "medium", "none", "other"]), min_size=1),
)
@settings(max_examples=25, deadline=None)
def test_pages_never_overlap_and_add_up_to_count(limit: int, requests: set[str]) -> None:
    records = store()
    first = records.page(sorted(requests), 1, limit)
    seen: list[int] = []
    offset = 1
    while True:
        page = records.page(sorted(requests), offset, limit)
        assert page.count == first.count, "count is the same on every page"
        if not page.records:
            break
        assert len(page.records) <= limit
        seen.extend(ids(page.records))
        offset += 1
    assert len(seen) == first.count
    assert seen == sorted(set(seen)), "ids ascending and unique across pages and requests"


def test_the_order_of_requests_in_the_query_does_not_matter() -> None:
    records = store()
    assert records.page(["small", "medium"], 2, 50) == records.page(["medium", "small"], 2, 50)


def test_limit_above_1000_is_capped() -> None:
    page = store().page(["medium"], 1, 5000)
    assert len(page.records) == 1000
    assert store().page(["medium"], 2, 5000).records == store().page(["medium"], 2, 1000).records


def test_several_requests_count_the_sum_of_theirs() -> None:
    # Pinned counts 37 and 1234 and a generated one: neither the largest nor any one of them
    # equals the sum, and an empty request adds nothing.
    records = store()
    generated = records.page(["other"], 1, 1).count
    assert generated not in {0, 37, 1234}
    together = records.page(["small", "medium", "other", "none"], 1, 10)
    assert together.count == 37 + 1234 + generated


def test_a_page_past_the_last_is_empty_with_the_true_count() -> None:
    page = store().page(["small"], 10**6, 10)
    assert page.records == [] and page.count == 37


def test_unknown_request_answers_53003_even_among_known_ones() -> None:
    with pytest.raises(UnknownAnnotationRequest):
        store().page(["small", "missing"], 1, 10)


def test_an_unknown_request_alone_answers_53003() -> None:
    # One ID is the usual query, which the store reads without the loop over several.
    with pytest.raises(UnknownAnnotationRequest):
        store().page(["missing"], 1, 10)
    with pytest.raises(UnknownAnnotationRequest):
        store().count_and_records(("missing",), 1, 10)


def test_fixtures_only_mode_knows_only_fixture_ids() -> None:
    with pytest.raises(UnknownAnnotationRequest):
        store(fixtures_only=True).page(["other"], 1, 10)
    assert store(fixtures_only=True).page(["small"], 1, 10).count == 37


def test_cached_pages_are_byte_identical_to_fresh_ones() -> None:
    warm = store()
    for offset in (1, 2, 3, 2, 1):
        warm.page(["medium", "other"], offset, 100)
    for offset in (1, 3, 7):
        assert warm.page(["medium", "other"], offset, 100) == store().page(
            ["medium", "other"], offset, 100
        )


def test_the_plan_cache_stays_bounded() -> None:
    records = RecordStore(1, VOCABULARY, FIXTURES, plan_cache_size=8)
    for index in range(50):
        records.page([f"bounded-{index}"], 1, 10)
    assert records.cached_plans() == 8


@pytest.mark.parametrize(
    ("offset", "limit"),
    [(1, 10), (4, 10), (1, 1000), (2, 7), (3, 31)],
    ids=["first", "fourth", "a-thousand", "second-of-seven", "third-of-31"],
)
def test_page_records_are_the_generator_records_serialised(offset: int, limit: int) -> None:
    records = store()
    plan = records.plan("medium")
    page = records.page(["medium"], offset, limit)
    start = (offset - 1) * limit
    positions = range(start, min(start + limit, plan.count))
    assert page.records == [orjson.dumps(make_record(plan, p)) for p in positions]


def test_a_page_writes_its_own_records_and_no_others(monkeypatch: pytest.MonkeyPatch) -> None:
    # D79: a fresh page costs its records, not a chunk's worth around them.
    written: list[tuple[str, int, int]] = []
    write = RecordWriter.records

    def recorded(writer: RecordWriter, start: int, stop: int) -> list[bytes]:
        written.append((writer.plan.annotation_request_id, start, stop))
        return write(writer, start, stop)

    monkeypatch.setattr(RecordWriter, "records", recorded)
    records = store()
    records.page(["medium"], 4, 10)
    records.page(["small", "medium"], 2, 30)
    assert written == [("medium", 30, 40), ("small", 30, 37), ("medium", 0, 23)]


def test_the_store_writes_with_the_loop_it_was_given() -> None:
    # D81: the app passes the loop of `Settings.record_writer` down; a store must hand it to
    # every writer it makes (a fake loop that declines every run sees each page's run).
    runs: list[tuple[int, int]] = []

    def generated(_writer: object, _context: object, start: int, stop: int) -> None:
        runs.append((start, stop))

    fake = ModuleType("fake_loop")
    fake.generated = generated  # type: ignore[attr-defined]
    records = RecordStore(1, VOCABULARY, FixtureSet.empty(), loop=fake)
    page = records.page(["some-request"], 2, 10)
    assert runs and runs[-1][1] - runs[-1][0] == len(page.records)
    plan = records.plan("some-request")
    assert page.records == [orjson.dumps(make_record(plan, p)) for p in range(10, 20)]
