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
