"""The configured time zone: `date` and `createdTime` in it, the same instants, tzdata only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mockserver import zones
from mockserver.config import DEFAULT_FIXTURES
from mockserver.fixtures import load_folder
from mockserver.generator import Vocabulary, make_plan, make_record
from mockserver.handlers import DateStamp
from mockserver.timefmt import format_time, parse_time
from mockserver.zones import UnknownZone, zone

VOCABULARY = Vocabulary.from_faker(1)
DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
SHANGHAI = zone("Asia/Shanghai")


def shifted(text: str, hours: int) -> str:
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S") + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def test_utc_is_utc_and_a_zone_has_its_offset() -> None:
    assert zone("UTC") is UTC
    summer = datetime(2025, 7, 1, 12, tzinfo=UTC)
    assert summer.astimezone(SHANGHAI).utcoffset() == timedelta(hours=8)
    assert summer.astimezone(zone("America/New_York")).utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../../etc/passwd", "Asia/", "asia/shanghai"])
def test_a_name_that_is_not_a_zone_is_refused(name: str) -> None:
    with pytest.raises(UnknownZone):
        zone(name)


def test_the_zone_comes_from_the_pinned_tzdata_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # With the package's data out of sight the zone is unknown, even where the machine has a
    # database of its own (this one has /usr/share/zoneinfo): the machine's is never read.
    monkeypatch.setattr(zones.resources, "files", lambda _package: tmp_path)
    with pytest.raises(UnknownZone):
        zone("Asia/Shanghai")


def test_format_and_parse_are_inverse_in_a_zone() -> None:
    assert format_time(0, SHANGHAI) == "1970-01-01 08:00:00"
    assert parse_time("1970-01-01 08:00:00", SHANGHAI) == 0
    assert parse_time(format_time(1_767_323_045, SHANGHAI), SHANGHAI) == 1_767_323_045


def test_generated_records_are_the_same_instants_written_in_the_zone() -> None:
    in_utc = make_plan(1, VOCABULARY, "zoned")
    in_shanghai = make_plan(1, VOCABULARY, "zoned", zone=SHANGHAI)
    for position in range(0, min(in_utc.count, 300), 7):
        utc_record = make_record(in_utc, position)
        local_record = make_record(in_shanghai, position)
        assert local_record["createdTime"] == shifted(utc_record["createdTime"], 8)
        assert {**local_record, "createdTime": ""} == {**utc_record, "createdTime": ""}


def test_pinned_times_are_read_in_the_zone_they_are_written_in() -> None:
    pinned = load_folder(DEFAULT_FIXTURES).pinned[DOC_ID]
    last_pinned = pinned.records[-1]["createdTime"]
    for time_zone in (UTC, SHANGHAI):
        plan = make_plan(1, VOCABULARY, DOC_ID, pinned, zone=time_zone)
        first_generated = make_record(plan, len(pinned.records))["createdTime"]
        # Generated records follow the pinned ones in the same zone's clock.
        assert last_pinned < first_generated <= shifted(last_pinned, 1)


def test_the_envelope_date_is_in_the_zone() -> None:
    assert DateStamp(lambda: 1_767_323_045.5, SHANGHAI)() == "2026-01-02 11:04:05"
    assert DateStamp(lambda: 1_767_323_045.5)() == "2026-01-02 03:04:05"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "'' is not an IANA time zone name"),
        ("Etc/../UTC", "'Etc/../UTC' is not an IANA time zone name"),
        ("../zoneinfo/UTC", "'../zoneinfo/UTC' is not an IANA time zone name"),
        ("./UTC", "'./UTC' is not an IANA time zone name"),
        ("Asia//Shanghai", "'Asia//Shanghai' is not an IANA time zone name"),
        ("Mars/Olympus", "'Mars/Olympus' is not an IANA time zone name (e.g. Asia/Shanghai)"),
        ("Asia", "'Asia' is not an IANA time zone name (e.g. Asia/Shanghai)"),
    ],
)
def test_a_refused_zone_name_says_why(name: str, message: str) -> None:
    # Dots and empty parts never reach the file system: `Etc/../UTC` names a real file of the
    # package, but not by an IANA name.
    with pytest.raises(UnknownZone) as raised:
        zone(name)
    assert str(raised.value) == message


def test_a_file_of_the_package_that_is_not_a_zone_is_refused_naming_it() -> None:
    with pytest.raises(UnknownZone, match=r"^'tzdata.zi' is not a time zone file: "):
        zone("tzdata.zi")


def test_a_zone_keeps_its_iana_name() -> None:
    assert str(zone("Asia/Shanghai")) == "Asia/Shanghai"
    assert str(zone("America/Argentina/Buenos_Aires")) == "America/Argentina/Buenos_Aires"
