"""What a run exercised of the contract's promises: outcomes, parameter forms, enum values.

A verdict says which checks passed; it does not say what the server was put to. This module
reads the recorded exchanges of a run (both phases, or a proxy session's traffic) and names,
for each promise of `openapi.yaml`, whether some exchange exercised it: every documented
outcome, the value classes of each parameter, every enum value of a record. A promise the run
could not reach with what it was given (no known ID, no keys) is "not applicable", with the
reason, and left out of the best figure the run allowed (C57, after Microcks's conformance
index next to its score). Pure: exchanges in, a JSON-ready dict out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.exchange import DEFAULT_LIMIT, ID_PARAMETER, LIMIT_CAP, Exchange
from contract import schema

COVERED = "covered"
NOT_COVERED = "not covered"
NOT_APPLICABLE = "not applicable"
HTTP_LAYER = "HTTP 4xx"
OTHER = "other"
INT32_MAX = 2_147_483_647
MAX_IDS = 100
MAX_ID_BYTES = 255
# Records walked are listed for at most this many IDs (a proxy may see thousands).
MAX_IDS_LISTED = 50
_FORBIDDEN = re.compile(r"[,\x00-\x1f\x7f]")
_NEGATIVE = re.compile(r"-[0-9]+")


@dataclass(frozen=True)
class Scope:
    """What the run was given, which decides what it could reach.

    `observed` is a proxy session: it chose no request, so nothing is out of its reach by
    configuration; a promise its traffic missed is simply not covered.
    """

    known_ids: tuple[str, ...] = ()
    unknown_ids: tuple[str, ...] = ()
    signing: bool = False
    observed: bool = False


@dataclass(frozen=True)
class Row:
    count: int
    remark: str
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"count": self.count, "remark": self.remark}
        if self.reason:
            found["reason"] = self.reason
        return found


def _row(count: int, missing: str | None, not_applicable: str | None = None) -> Row:
    """Covered when seen; else not applicable (with why) when the run could not reach it."""
    if count:
        return Row(count, COVERED)
    if not_applicable:
        return Row(0, NOT_APPLICABLE, not_applicable)
    return Row(0, NOT_COVERED, missing or "no request exercised it")


# Outcomes.

DOCUMENTED = (2000, 4005, 53003, 5000, 401, 402, 403)


def outcome_of(exchange: Exchange) -> str:
    """The row an exchange falls in: its business code, the HTTP layer's 4xx, or other."""
    if exchange.code in DOCUMENTED:
        return str(exchange.code)
    if 400 <= exchange.status < 500:
        return HTTP_LAYER
    return OTHER


def _outcome_rows(exchanges: Sequence[Exchange], scope: Scope) -> dict[str, dict[str, Any]]:
    statuses: dict[str, Counter[int]] = {}
    for exchange in exchanges:
        statuses.setdefault(outcome_of(exchange), Counter())[exchange.status] += 1
    no_keys = "signing not configured (--access-key/--secret-key): the run sent no signature"
    if scope.observed:
        signed = None
    elif scope.signing:
        signed = None
        no_keys = "the suite signs every request correctly; no check sends a bad signature"
    else:
        signed = no_keys
    reach: dict[str, tuple[str | None, str | None]] = {
        "2000": ("no request answered a page", None if scope.known_ids or scope.observed
                 else "no known ID given (--known-id): only a known ID answers 2000"),
        "4005": ("no invalid request was sent", None),
        "53003": ("no request named an ID the server does not know", None),
        "5000": ("the server never failed", None if scope.observed else
                 "a failure of the server's own: no request can provoke it"),
        "401": (no_keys, signed),
        "402": (no_keys, signed),
        "403": (no_keys, signed),
        HTTP_LAYER: ("no request broke the HTTP layer's rules (method, encoding, size)", None),
    }  # fmt: skip
    rows: dict[str, dict[str, Any]] = {}
    for key, (missing, not_applicable) in reach.items():
        seen = statuses.get(key, Counter())
        row = _row(sum(seen.values()), missing, not_applicable).as_json()
        rows[key] = {"http_status": sorted(seen), **row}
    other = statuses.get(OTHER)
    if other:
        # Answers no documented outcome names: failures elsewhere, listed so nothing hides.
        rows[OTHER] = {"http_status": sorted(other), "count": sum(other.values()),
                       "remark": "not in the contract"}  # fmt: skip
    return rows


# Parameters: each value a class, or several (page 1 of a one-page request is the last too).

OFFSET_CLASSES = ("absent (default 1)", "first page", "middle page", "last page",
                  "past the end", "0", "negative", "not an integer", "empty",
                  "over int32", "repeated")  # fmt: skip
LIMIT_CLASSES = ("absent (default 10)", "1", "10 (the default, sent)", "2 to 999",
                 "1000", "over 1000", "0", "negative", "not an integer", "empty",
                 "over int32", "repeated")  # fmt: skip
ID_CLASSES = ("one", "several", "comma form", "repeated parameter", "unknown",
              "known with unknown", "duplicates", "longest (255 bytes)", "most (100 IDs)",
              "non-ASCII", "missing", "empty value", "empty item", "over 255 bytes",
              "over 100 IDs", "comma or control character")  # fmt: skip
# Classes only a page answers (a known ID's 2000), and those that need both kinds of ID.
NEEDS_PAGE = {"first page", "middle page", "last page", "past the end"}


def _integer_class(values: list[str], default: str) -> str | None:
    """The class of an integer parameter's values that does not depend on the answer."""
    if not values:
        return default
    if len(values) > 1:
        return "repeated"
    value = values[0]
    if value == "":
        return "empty"
    if _NEGATIVE.fullmatch(value):
        return "negative"
    if not (value.isascii() and value.isdigit()):
        return "not an integer"
    if int(value) == 0:
        return "0"
    if int(value) > INT32_MAX:
        return "over int32"
    return None


def offset_classes(exchange: Exchange) -> list[str]:
    found = _integer_class(exchange.values("offset"), OFFSET_CLASSES[0])
    classes = [found] if found else []
    if exchange.is_page and exchange.offset is not None and exchange.served_limit:
        count = exchange.count or 0
        last = max(1, -(-count // exchange.served_limit))
        offset = exchange.offset
        if offset == 1:
            classes.append("first page")
        if 1 < offset < last:
            classes.append("middle page")
        if offset == last:
            classes.append("last page")
        if offset > last:
            classes.append("past the end")
    return classes


def limit_classes(exchange: Exchange) -> list[str]:
    found = _integer_class(exchange.values("limit"), LIMIT_CLASSES[0])
    if found:
        return [found]
    value = int(exchange.values("limit")[0])
    if value == 1:
        return ["1"]
    if value == DEFAULT_LIMIT:
        return ["10 (the default, sent)"]
    if value < LIMIT_CAP:
        return ["2 to 999"]
    return ["1000"] if value == LIMIT_CAP else ["over 1000"]


def id_classes(exchange: Exchange, known: set[str], unknown: set[str]) -> list[str]:
    values = exchange.values(ID_PARAMETER)
    if not values:
        return ["missing"]
    items = [part for value in values for part in value.split(",")]
    distinct = set(items)
    classes = []
    if len(distinct) == 1:
        classes.append("one")
    if len(distinct) > 1:
        classes.append("several")
    if any("," in value for value in values):
        classes.append("comma form")
    if len(values) > 1:
        classes.append("repeated parameter")
    if exchange.code == 53003 or distinct & unknown:
        classes.append("unknown")
    if distinct & known and distinct & unknown:
        classes.append("known with unknown")
    if len(distinct) < len(items):
        classes.append("duplicates")
    sizes = [len(item.encode()) for item in items]
    if MAX_ID_BYTES in sizes:
        classes.append("longest (255 bytes)")
    if len(items) == MAX_IDS:
        classes.append("most (100 IDs)")
    if not all(item.isascii() for item in items):
        classes.append("non-ASCII")
    if "" in values:
        classes.append("empty value")
    elif "" in items:
        classes.append("empty item")
    if max(sizes) > MAX_ID_BYTES:
        classes.append("over 255 bytes")
    if len(items) > MAX_IDS:
        classes.append("over 100 IDs")
    if any(_FORBIDDEN.search(item) for item in items):
        classes.append("comma or control character")
    return classes


def _known_and_unknown(exchanges: Sequence[Exchange], scope: Scope) -> tuple[set[str], set[str]]:
    """The IDs given, and those a lone request of them showed known (2000) or unknown (53003)."""
    known, unknown = set(scope.known_ids), set(scope.unknown_ids)
    for exchange in exchanges:
        if len(exchange.ids) == 1:
            if exchange.code == 2000:
                known.add(exchange.ids[0])
            elif exchange.code == 53003:
                unknown.add(exchange.ids[0])
    return known, unknown - known


def _parameter_rows(gets: Sequence[Exchange], scope: Scope) -> dict[str, dict[str, Any]]:
    known, unknown = _known_and_unknown(gets, scope)
    names = ("offset", "limit", ID_PARAMETER)
    counts: dict[str, Counter[str]] = {name: Counter() for name in names}
    for exchange in gets:
        counts["offset"].update(offset_classes(exchange))
        counts["limit"].update(limit_classes(exchange))
        counts[ID_PARAMETER].update(id_classes(exchange, known, unknown))
    no_page = None
    if not (scope.known_ids or scope.observed):
        no_page = "no known ID given (--known-id): only a page has a first, middle or last page"
    no_pair = None
    if not scope.observed and not (scope.known_ids and scope.unknown_ids):
        no_pair = "needs a known and an unknown ID (--known-id, --unknown-id)"
    rows: dict[str, dict[str, Any]] = {}
    for name, classes in (("offset", OFFSET_CLASSES), ("limit", LIMIT_CLASSES),
                          (ID_PARAMETER, ID_CLASSES)):  # fmt: skip
        rows[name] = {}
        for value_class in classes:
            not_applicable = no_page if value_class in NEEDS_PAGE else None
            if value_class == "known with unknown":
                not_applicable = no_pair
            rows[name][value_class] = _row(
                counts[name][value_class], None, not_applicable
            ).as_json()
    return rows


# Enums: every value the contract lists for a record's field, against those seen.


def contract_enums() -> dict[str, list[Any]]:
    """Each field of a record whose schema is an enum, with its values in the contract's order."""
    properties = schema("Record")["properties"]
    return {name: list(spec["enum"]) for name, spec in properties.items() if "enum" in spec}


def _records(exchanges: Iterable[Exchange]) -> Iterable[Mapping[str, Any]]:
    for exchange in exchanges:
        yield from exchange.records or ()


def _enum_rows(exchanges: Sequence[Exchange], scope: Scope) -> dict[str, dict[str, Any]]:
    enums = contract_enums()
    seen: dict[str, Counter[Any]] = {name: Counter() for name in enums}
    for record in _records(exchanges):
        for name, counter in seen.items():
            if name in record:
                counter[record[name]] += 1
    no_page = None
    if not (scope.known_ids or scope.observed):
        no_page = "no known ID given (--known-id): no record to read"
    rows: dict[str, dict[str, Any]] = {}
    for name, values in enums.items():
        observed = seen[name]
        rows[name] = {
            "contract": values,
            "observed": {str(value): observed[value] for value in values if observed[value]},
            "outside_contract": sorted(str(v) for v in observed if v not in values),
            "values": {
                str(value): _row(
                    observed[value], "no record carried it in the data the run read", no_page
                ).as_json()
                for value in values
            },
        }
    return rows


def records_walked(exchanges: Sequence[Exchange], scope: Scope) -> dict[str, dict[str, int]]:
    """For each ID asked alone: its count, and how many distinct records of it the run read."""
    wanted = set(scope.known_ids)
    walked: dict[str, tuple[int, set[Any]]] = {}
    for exchange in exchanges:
        if len(exchange.ids) != 1 or not exchange.is_page:
            continue
        item = exchange.ids[0]
        if wanted and item not in wanted:
            continue
        count, ids = walked.setdefault(item, (0, set()))
        ids.update(exchange.record_ids)
        walked[item] = (max(count, exchange.count or 0), ids)
    ordered = sorted(walked.items(), key=lambda entry: -len(entry[1][1]))[:MAX_IDS_LISTED]
    return {item: {"count": count, "records": len(ids)} for item, (count, ids) in ordered}


def _promises(rows: dict[str, Any]) -> Iterable[str]:
    """Every remark of a promise: the outcomes, each parameter class, each enum value."""
    for key, row in rows["outcomes"].items():
        if key != OTHER:
            yield row["remark"]
    for classes in rows["parameters"].values():
        for row in classes.values():
            yield row["remark"]
    for field in rows["enums"].values():
        for row in field["values"].values():
            yield row["remark"]


def figure(rows: dict[str, Any]) -> dict[str, Any]:
    """The share of promises exercised: the best the run's inputs allowed, and what it reached.

    In the spirit of Microcks's conformance index (the best the examples given allow) next to
    its score (what the run reached): a run without a known ID cannot reach any page, so its
    best is lower; a server that answers everything right still scores below its best when
    the run never sent some forms.
    """
    remarks = list(_promises(rows))
    reachable = sum(1 for remark in remarks if remark != NOT_APPLICABLE)
    covered = sum(1 for remark in remarks if remark == COVERED)
    total = len(remarks)
    return {
        "promises": total,
        "reachable": reachable,
        "covered": covered,
        "best_percent": round(100 * reachable / total, 1) if total else 0.0,
        "achieved_percent": round(100 * covered / total, 1) if total else 0.0,
    }


def coverage(phases: Mapping[str, Sequence[Exchange]], scope: Scope) -> dict[str, Any]:
    """The whole coverage of a run whose exchanges are `phases` (phase name to exchanges)."""
    exchanges = [exchange for found in phases.values() for exchange in found]
    gets = [exchange for exchange in exchanges if exchange.method == "GET"]
    rows: dict[str, Any] = {
        "outcomes": _outcome_rows(exchanges, scope),
        "parameters": _parameter_rows(gets, scope),
        "enums": _enum_rows(gets, scope),
    }
    by_phase = {name: len(found) for name, found in phases.items()}
    rows["requests"] = {"total": len(exchanges), **by_phase}
    rows["records_walked"] = records_walked(gets, scope)
    rows["figure"] = figure(rows)
    return rows


def summary_lines(rows: Mapping[str, Any]) -> list[str]:
    """A few lines for the terminal: the figure, the requests, the outcomes never seen."""
    number = rows["figure"]
    requests = rows["requests"]
    phases = ", ".join(f"{name} {n}" for name, n in requests.items() if name != "total")
    missed = [key for key, row in rows["outcomes"].items() if row["remark"] == NOT_COVERED]
    skipped = [key for key, row in rows["outcomes"].items() if row["remark"] == NOT_APPLICABLE]
    lines = [
        f"Coverage: {number['covered']} of {number['promises']} promises exercised "
        f"({number['achieved_percent']}%; the best this run's IDs and keys allowed: "
        f"{number['best_percent']}%)",
        f"  requests: {requests['total']}" + (f" ({phases})" if phases else ""),
    ]
    if missed:
        lines.append(f"  outcomes not covered: {', '.join(missed)}")
    if skipped:
        lines.append(f"  outcomes not applicable: {', '.join(skipped)}")
    return lines
