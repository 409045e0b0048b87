"""Time zones from the pinned `tzdata` package, never from the machine's own database.

`date` and `createdTime` are written in one configured zone (decision D15). zoneinfo would
prefer the system's database, whose version differs between machines and changes the local
time of the same instant; the data must not, so zones are read from `tzdata` only.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from importlib import resources
from zoneinfo import ZoneInfo


class UnknownZone(ValueError):
    pass


def zone(name: str) -> tzinfo:
    """The zone of an IANA name such as `Asia/Shanghai`; `UTC` is UTC."""
    if name == "UTC":
        return UTC
    parts = name.split("/")
    if not name or any(part in {"", ".", ".."} for part in parts):
        raise UnknownZone(f"{name!r} is not an IANA time zone name")
    resource = resources.files("tzdata.zoneinfo").joinpath(*parts)
    if not resource.is_file():
        raise UnknownZone(f"{name!r} is not an IANA time zone name (e.g. Asia/Shanghai)")
    with resource.open("rb") as data:
        try:
            return ZoneInfo.from_file(data, key=name)
        except ValueError as error:
            raise UnknownZone(f"{name!r} is not a time zone file: {error}") from None
