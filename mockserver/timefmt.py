"""The documentation's one timestamp format, `YYYY-MM-DD HH:mm:ss`, in a zone.

`date` (handlers), `createdTime` (generator) and fixture files (fixtures) all read or write it;
it lives apart from the generator so that neither the web layer nor the fixture loader has to
import the data model for a string format.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

FORMAT = "%Y-%m-%d %H:%M:%S"


def format_time(epoch_seconds: int, zone: tzinfo = UTC) -> str:
    """`YYYY-MM-DD HH:mm:ss` in a zone, the documentation's format."""
    return datetime.fromtimestamp(epoch_seconds, zone).strftime(FORMAT)


def parse_time(text: str, zone: tzinfo = UTC) -> int:
    """The inverse of `format_time`."""
    return int(datetime.strptime(text, FORMAT).replace(tzinfo=zone).timestamp())


# `MM:SS` of each second of an hour, as bytes: a time within a quarter hour is its quarter's
# date and hour, formatted once, followed by one of these.
MINUTES_SECONDS = tuple(
    f"{minute:02d}:{second:02d}".encode() for minute in range(60) for second in range(60)
)
QUARTER = 900
# Quarters kept per zone before the cache starts over (some 150 bytes each): a page's records
# are in time order, so a small cache is hit almost always, and a miss costs a few microseconds.
_QUARTERS_KEPT = 4096


class QuarterTimes:
    """`format_time` as bytes for many instants of one zone, each quarter hour's date and hour
    formatted once.

    `quarter(q)` is (`YYYY-MM-DD HH:` of quarter `q`, the index in MINUTES_SECONDS of its first
    second), so the time of instant t is that text followed by
    `MINUTES_SECONDS[index + t - q * QUARTER]` with q = t // QUARTER. A quarter is only taken
    that way when it is one in local time too (it starts on a local quarter hour) and the zone's
    offset is the same at both its ends; else `quarter` is None, and the caller formats the
    instant with `format_time`.
    """

    __slots__ = ("_quarters", "_zone")

    def __init__(self, zone: tzinfo) -> None:
        self._zone = zone
        self._quarters: dict[int, tuple[bytes, int] | None] = {}

    def quarter(self, q: int) -> tuple[bytes, int] | None:
        quarters = self._quarters
        try:
            return quarters[q]
        except KeyError:
            pass
        if len(quarters) >= _QUARTERS_KEPT:
            quarters.clear()
        begin = datetime.fromtimestamp(q * QUARTER, self._zone)
        end = datetime.fromtimestamp(q * QUARTER + QUARTER - 1, self._zone)
        found: tuple[bytes, int] | None = None
        if begin.utcoffset() == end.utcoffset() and begin.second == 0 and begin.minute % 15 == 0:
            found = (begin.strftime("%Y-%m-%d %H:").encode(), begin.minute * 60)
        quarters[q] = found
        return found

    def text(self, epoch_seconds: int) -> bytes:
        """`format_time(epoch_seconds, zone)`, encoded."""
        q = epoch_seconds // QUARTER
        found = self.quarter(q)
        if found is None:
            return format_time(epoch_seconds, self._zone).encode()
        prefix, first = found
        return prefix + MINUTES_SECONDS[first + epoch_seconds - q * QUARTER]
