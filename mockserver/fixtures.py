"""Fixture files: annotation requests pinned by the user, validated against the contract.

A fixture file (YAML or JSON) holds `annotationRequests` (each with an `id`, a `count` and
optionally its first `records`) and `unknownAnnotationRequests` (IDs that answer 53003). Any
mistake stops start-up with a message naming the file and the place in it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator

from contract import schema
from mockserver.generator import MAX_RECORDS, PinnedRequest, Record
from mockserver.timefmt import parse_time

MAX_ID_BYTES = 255
_TOP_LEVEL_KEYS = {"annotationRequests", "unknownAnnotationRequests"}
_REQUEST_KEYS = {"id", "count", "records"}


_FORMAT = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML"}


class FixtureError(ValueError):
    """A fixture file that cannot be used; the message names the file and the place."""


@dataclass(frozen=True)
class FixtureSet:
    """Every fixture file of a folder, merged."""

    pinned: Mapping[str, PinnedRequest]
    unknown: frozenset[str]

    @classmethod
    def empty(cls) -> FixtureSet:
        return cls(pinned={}, unknown=frozenset())


def _where(path: Path, *place: str | int) -> str:
    location = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in place)
    return f"{path}: {location.lstrip('.') or 'top level'}"


def _check_id(path: Path, value: Any, *place: str | int) -> str:
    if not isinstance(value, str) or not value:
        raise FixtureError(f"{_where(path, *place)}: must be a non-empty string, got {value!r}")
    if len(value.encode("utf-8")) > MAX_ID_BYTES:
        raise FixtureError(f"{_where(path, *place)}: longer than {MAX_ID_BYTES} bytes")
    if "," in value:
        raise FixtureError(f"{_where(path, *place)}: an ID cannot contain a comma")
    return value


def _syntax(path: Path, error: json.JSONDecodeError | yaml.YAMLError) -> str:
    """One line, `FILE:LINE:COLUMN: not valid YAML: what is wrong` (1-based, as editors jump
    to it; C49). PyYAML's own text names `"<unicode string>"` and spans five lines."""
    kind = f"not valid {_FORMAT[path.suffix]}"
    if isinstance(error, json.JSONDecodeError):
        return f"{path}:{error.lineno}:{error.colno}: {kind}: {error.msg}"
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}: {kind}: {error.problem}"
        context = error.context_mark
        if error.context and context is not None:
            where += f" ({error.context} at line {context.line + 1}, column {context.column + 1})"
        return where
    return f"{path}: {kind}: {' '.join(str(error).split())}"


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FixtureError(f"{path}: cannot be read: {error}") from error
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise FixtureError(_syntax(path, error)) from error


def _pinned_records(path: Path, index: int, raw: Any, count: int) -> tuple[Record, ...]:
    place: tuple[str | int, ...] = ("annotationRequests", index, "records")
    if not isinstance(raw, list):
        raise FixtureError(f"{_where(path, *place)}: must be a list of records")
    if len(raw) > count:
        raise FixtureError(f"{_where(path, *place)}: {len(raw)} records but count is {count}")
    validator = OAS30Validator(schema("Record"))
    previous = 0
    for position, record in enumerate(raw):
        for error in validator.iter_errors(record):
            inner = [*place, position, *error.absolute_path]
            raise FixtureError(f"{_where(path, *inner)}: {error.message}")
        if record["id"] <= previous:
            raise FixtureError(
                f"{_where(path, *place, position, 'id')}: ids must be strictly ascending"
            )
        previous = record["id"]
        try:
            # The pattern admits 2025-02-30; the generated records start after this time.
            parse_time(record["createdTime"])
        except ValueError:
            where = _where(path, *place, position, "createdTime")
            raise FixtureError(f"{where}: {record['createdTime']!r} is not a real date") from None
    return tuple(raw)


def load_file(path: Path) -> FixtureSet:
    """One fixture file, validated."""
    document = _read(path)
    if not isinstance(document, dict):
        raise FixtureError(f"{path}: top level must be a mapping with {sorted(_TOP_LEVEL_KEYS)}")
    for key in document:
        if key not in _TOP_LEVEL_KEYS:
            raise FixtureError(f"{_where(path, str(key))}: unknown key")
    requests = document.get("annotationRequests") or []
    unknown_raw = document.get("unknownAnnotationRequests") or []
    if not isinstance(requests, list):
        raise FixtureError(f"{_where(path, 'annotationRequests')}: must be a list")
    if not isinstance(unknown_raw, list):
        raise FixtureError(f"{_where(path, 'unknownAnnotationRequests')}: must be a list")
    pinned: dict[str, PinnedRequest] = {}
    for index, entry in enumerate(requests):
        if not isinstance(entry, dict):
            raise FixtureError(f"{_where(path, 'annotationRequests', index)}: must be a mapping")
        for key in entry:
            if key not in _REQUEST_KEYS:
                raise FixtureError(
                    f"{_where(path, 'annotationRequests', index, str(key))}: unknown key"
                )
        request_id = _check_id(path, entry.get("id"), "annotationRequests", index, "id")
        count = entry.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_RECORDS:
            raise FixtureError(
                f"{_where(path, 'annotationRequests', index, 'count')}: "
                f"must be an integer from 0 to {MAX_RECORDS}, got {count!r}"
            )
        records = _pinned_records(path, index, entry.get("records", []), count)
        if request_id in pinned:
            raise FixtureError(
                f"{_where(path, 'annotationRequests', index, 'id')}: {request_id!r} twice"
            )
        pinned[request_id] = PinnedRequest(count=count, records=records)
    unknown = frozenset(
        _check_id(path, value, "unknownAnnotationRequests", index)
        for index, value in enumerate(unknown_raw)
    )
    return FixtureSet(pinned=pinned, unknown=unknown)


def fixture_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise FixtureError(f"{folder}: fixture folder does not exist")
    return sorted(path for path in folder.iterdir() if path.suffix in {".yaml", ".yml", ".json"})


def merge(sets: Iterable[tuple[Path, FixtureSet]]) -> FixtureSet:
    """Fixture files merged; an ID pinned twice, or pinned and unknown, is a mistake."""
    pinned: dict[str, PinnedRequest] = {}
    origin: dict[str, Path] = {}
    unknown: set[str] = set()
    for path, fixture in sets:
        for request_id, request in fixture.pinned.items():
            if request_id in origin:
                raise FixtureError(f"{path}: {request_id!r} is also pinned in {origin[request_id]}")
            pinned[request_id], origin[request_id] = request, path
        unknown |= fixture.unknown
    clash = sorted(unknown & pinned.keys())
    if clash:
        raise FixtureError(f"{origin[clash[0]]}: {clash[0]!r} is pinned and listed as unknown")
    return FixtureSet(pinned=pinned, unknown=frozenset(unknown))


def load_folder(folder: Path) -> FixtureSet:
    """Every fixture file of a folder, validated and merged."""
    return merge((path, load_file(path)) for path in fixture_files(folder))
