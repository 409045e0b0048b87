"""The changes between two versions of the contract, each classified for clients (D32).

No maintained pure-Python library compares OpenAPI 3.0 documents this way (oasdiff, the
field's tool, is Go), and the contract is small: this compares resolved operations,
parameters and response schemas, and knows which way each kind of change hurts. A request
schema hurts clients when it narrows (a value they send is refused); a response schema hurts
them when it widens (a value they read was not promised), including a new enum value: a
generated client with closed enums fails on it (D30).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from contract import resolve

Direction = Literal["request", "response"]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keywords that bound a value from below / above.
LOWER_BOUNDS = ("minimum", "minLength", "minItems")
UPPER_BOUNDS = ("maximum", "maxLength", "maxItems")


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: where it is, what it is, and whether it can break a client."""

    where: str
    what: str
    breaking: bool

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'ok      '}  {self.where}: {self.what}"


def flatten(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A resolved schema with its `allOf` merged: properties joined, required united.

    A later part refines an earlier one (the contract's envelopes narrow `code` that way), so
    its keywords win where both speak.
    """
    parts = [flatten(part) for part in schema.get("allOf", [])]
    merged: dict[str, Any] = {}
    for part in [*parts, {k: v for k, v in schema.items() if k != "allOf"}]:
        for key, value in part.items():
            if key == "properties":
                properties = dict(merged.get("properties", {}))
                for name, sub in value.items():
                    properties[name] = {**properties.get(name, {}), **sub}
                merged["properties"] = properties
            elif key == "required":
                merged["required"] = sorted({*merged.get("required", []), *value})
            else:
                merged[key] = value
    return merged


def _narrows(old: Any, new: Any, lower: bool) -> bool:
    """Whether a bound went from `old` to a tighter `new` (None: no bound)."""
    if new is None:
        return False
    if old is None:
        return True
    return bool(new > old) if lower else bool(new < old)


def _openness(extra: Any) -> int:
    """How many other properties `additionalProperties` allows: 2 any, 1 some, 0 none."""
    if extra is None or extra is True or extra == {}:
        return 2
    return 1 if isinstance(extra, Mapping) else 0


def _extra_text(extra: Any) -> str:
    return ("none", "a schema", "any")[_openness(extra)]


def compare_schemas(
    old: Mapping[str, Any], new: Mapping[str, Any], where: str, direction: Direction
) -> Iterator[Change]:
    """The changes between two resolved schemas, read in `direction`."""
    old, new = flatten(old), flatten(new)
    request = direction == "request"
    if old.get("type") != new.get("type"):
        yield Change(where, f"type {old.get('type')} -> {new.get('type')}", True)
        return
    if old.get("format") != new.get("format"):
        yield Change(where, f"format {old.get('format')} -> {new.get('format')}", True)
    if bool(old.get("nullable")) != bool(new.get("nullable")):
        became = "nullable" if new.get("nullable") else "not nullable"
        yield Change(where, f"became {became}", request != bool(new.get("nullable")))
    if "enum" in old or "enum" in new:
        before, after = old.get("enum"), new.get("enum")
        if before is None or after is None:
            what = "enum removed" if after is None else "enum added"
            # No enum is the widest set: removing it widens, adding it narrows.
            yield Change(where, what, (after is None) != request)
        else:
            for value in (v for v in after if v not in before):
                why = "" if request else " (clients with closed enums fail, D30)"
                yield Change(where, f"enum value {value!r} added{why}", not request)
            for value in (v for v in before if v not in after):
                yield Change(where, f"enum value {value!r} removed", request)
    for keywords, lower in ((LOWER_BOUNDS, True), (UPPER_BOUNDS, False)):
        for keyword in keywords:
            before, after = old.get(keyword), new.get(keyword)
            if before == after:
                continue
            narrowed = _narrows(before, after, lower)
            yield Change(where, f"{keyword} {before} -> {after}", narrowed == request)
    if old.get("pattern") != new.get("pattern"):
        # Whether one regular expression accepts more than another is undecidable in general.
        yield Change(
            where, f"pattern {old.get('pattern')!r} -> {new.get('pattern')!r} (review it)", True
        )
    yield from _compare_objects(old, new, where, direction)
    if "items" in old and "items" in new:
        yield from compare_schemas(old["items"], new["items"], f"{where}[]", direction)
    elif "items" in old or "items" in new:
        # No `items` allows any item, the widest: adding one narrows, removing one widens (D73).
        added = "items" in new
        yield Change(f"{where}[]", "items added" if added else "items removed", added == request)
    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
        yield from compare_schemas(old_extra, new_extra, f"{where}{{*}}", direction)
    elif _openness(old_extra) != _openness(new_extra):
        # Any other property allowed (absent, true, {}), some (a schema), none (false) (D73).
        narrowed = _openness(new_extra) < _openness(old_extra)
        what = f"additionalProperties {_extra_text(old_extra)} -> {_extra_text(new_extra)}"
        yield Change(f"{where}{{*}}", what, narrowed == request)
    for keyword in ("oneOf", "anyOf"):
        before, after = old.get(keyword, []), new.get(keyword, [])
        for index in range(min(len(before), len(after))):
            yield from compare_schemas(
                before[index], after[index], f"{where}/{keyword}/{index}", direction
            )
        if len(after) > len(before):
            yield Change(where, f"{keyword}: alternative added", not request)
        elif len(after) < len(before):
            yield Change(where, f"{keyword}: alternative removed", request)


def _compare_objects(
    old: Mapping[str, Any], new: Mapping[str, Any], where: str, direction: Direction
) -> Iterator[Change]:
    request = direction == "request"
    before, after = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name in before.keys() - after.keys():
        # A response field removed is gone for readers; a request field removed is ignored.
        yield Change(f"{where}.{name}", "property removed", not request)
    for name in after.keys() - before.keys():
        required = name in new_required
        yield Change(
            f"{where}.{name}",
            "required property added" if required else "property added",
            request and required,
        )
    for name in sorted(before.keys() & after.keys()):
        was, now = name in old_required, name in new_required
        if was != now:
            yield Change(
                f"{where}.{name}",
                "became required" if now else "became optional",
                now == request,
            )
        yield from compare_schemas(before[name], after[name], f"{where}.{name}", direction)


def _operations(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": resolve(spec, item[method])
        for path, item in spec.get("paths", {}).items()
        for method in METHODS
        if method in item
    }


def _compare_parameters(
    old: Mapping[str, Any], new: Mapping[str, Any], where: str
) -> Iterator[Change]:
    def table(operation: Mapping[str, Any]) -> dict[str, Any]:
        return {f"{p['in']} {p['name']}": p for p in operation.get("parameters", [])}

    before, after = table(old), table(new)
    for key in sorted(before.keys() - after.keys()):
        # Servers ignore parameters they do not know (D23): a client still sending it is fine.
        yield Change(f"{where} parameter {key}", "removed", False)
    for key in sorted(after.keys() - before.keys()):
        required = bool(after[key].get("required"))
        yield Change(
            f"{where} parameter {key}",
            "required parameter added" if required else "optional parameter added",
            required,
        )
    for key in sorted(before.keys() & after.keys()):
        was, now = before[key], after[key]
        here = f"{where} parameter {key}"
        required = bool(now.get("required"))
        if bool(was.get("required")) != required:
            yield Change(here, "became required" if required else "became optional", required)
        for keyword in ("style", "explode"):
            if was.get(keyword) != now.get(keyword):
                yield Change(here, f"{keyword} {was.get(keyword)} -> {now.get(keyword)}", True)
        yield from compare_schemas(was.get("schema", {}), now.get("schema", {}), here, "request")


def _compare_responses(
    old: Mapping[str, Any], new: Mapping[str, Any], where: str
) -> Iterator[Change]:
    before, after = old.get("responses", {}), new.get("responses", {})
    for status in sorted(before.keys() - after.keys()):
        yield Change(f"{where} response {status}", "removed (no longer sent)", False)
    for status in sorted(after.keys() - before.keys()):
        yield Change(f"{where} response {status}", "added (clients do not expect it)", True)
    for status in sorted(before.keys() & after.keys()):
        old_content = before[status].get("content", {})
        new_content = after[status].get("content", {})
        for media in sorted(old_content.keys() - new_content.keys()):
            yield Change(f"{where} response {status} {media}", "media type removed", True)
        for media in sorted(new_content.keys() - old_content.keys()):
            yield Change(f"{where} response {status} {media}", "media type added", False)
        for media in sorted(old_content.keys() & new_content.keys()):
            yield from compare_schemas(
                old_content[media].get("schema", {}),
                new_content[media].get("schema", {}),
                f"{where} response {status} body",
                "response",
            )


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from contract `old` to contract `new` that a client could notice."""
    changes: list[Change] = []
    before, after = _operations(old), _operations(new)
    for key in sorted(before.keys() - after.keys()):
        changes.append(Change(key, "operation removed", True))
    for key in sorted(after.keys() - before.keys()):
        changes.append(Change(key, "operation added", False))
    for key in sorted(before.keys() & after.keys()):
        changes.extend(_compare_parameters(before[key], after[key], key))
        changes.extend(_compare_responses(before[key], after[key], key))
        if before[key].get("security", old.get("security")) != after[key].get(
            "security", new.get("security")
        ):
            changes.append(Change(key, "security requirements changed", True))
    return changes
