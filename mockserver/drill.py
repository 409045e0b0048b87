"""The client drill (`--drill`): out-of-contract values and fields, on purpose (decision D33).

The documentation has grown `actionType` before (1, 2 and 3 came later) and may grow any enum
or add fields. A client team points its client at a mock started with `--drill` to prove
that a value it does not know, or a field it does not expect, does not fail a whole page. The
drilled records are chosen by a hash of the seed and the record's `id`, so the same records are
drilled on every run and whatever the paging. Only success pages are drilled; a conforming
server never does this, and the conformance suite fails a server that does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import orjson

DRILLS = ("unknown-enums", "extra-fields")
# Values outside the enums, each a gap a later revision could fill: TaskActionEnum skips 4,
# the Status enum skips 7, PoolTypeEnum ends at 5.
UNKNOWN_VALUES = (("actionType", 4), ("status", 7), ("poolType", 6))
# Fields the contract does not name, of the kinds a revision adds: a counter and an object.
EXTRA_RECORD_FIELDS = {"modifyRelationsNum": 0, "reviewInfo": {"reviewer": None, "round": 1}}
EXTRA_ENVELOPE_FIELD = b',"traceId":"drill"'
# One record in this many is drilled (on average).
EVERY = 8


class DrillError(ValueError):
    """A drill name the mock does not know."""


def parse_drills(text: str) -> tuple[str, ...]:
    """`unknown-enums,extra-fields` to its names; an unknown name is a DrillError."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in DRILLS]
    if unknown or not names:
        raise DrillError(f"{text!r}: choose from {', '.join(DRILLS)}, separated by commas")
    return names


class Drill:
    """Rewrites a success page's records and envelope as the chosen drills say."""

    def __init__(self, seed: int, drills: Sequence[str]) -> None:
        self._seed = seed
        self.unknown_enums = "unknown-enums" in drills
        self.extra_fields = "extra-fields" in drills

    def _draw(self, kind: str, record_id: int) -> int:
        digest = hashlib.blake2b(f"{self._seed}:{kind}:{record_id}".encode(), digest_size=4)
        return int.from_bytes(digest.digest(), "big")

    def record(self, record: bytes) -> bytes:
        """One serialised record, drilled or as it was."""
        value = orjson.loads(record)
        changed = False
        if self.unknown_enums:
            draw = self._draw("unknown-enums", value["id"])
            if draw % EVERY == 0:
                field, unknown = UNKNOWN_VALUES[draw // EVERY % len(UNKNOWN_VALUES)]
                value[field] = unknown
                changed = True
        if self.extra_fields and self._draw("extra-fields", value["id"]) % EVERY == 0:
            value.update(EXTRA_RECORD_FIELDS)
            changed = True
        return orjson.dumps(value) if changed else record

    def records(self, records: Sequence[bytes]) -> list[bytes]:
        return [self.record(record) for record in records]

    def envelope(self, body: bytes) -> bytes:
        """A success envelope, with a field the contract does not name when asked."""
        if not self.extra_fields:
            return body
        return body[:-1] + EXTRA_ENVELOPE_FIELD + b"}"
