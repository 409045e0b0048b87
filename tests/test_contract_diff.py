"""`python -m contract diff`: each class of change is found and classified for clients (D32)."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract import SPEC_PATH, load_spec
from contract import __main__ as command
from contract.diff import Change, compare_schemas, diff, flatten

Spec = dict[str, Any]


def _schemas(spec: Spec) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def _parameters(spec: Spec) -> dict[str, Any]:
    parameters: dict[str, Any] = spec["components"]["parameters"]
    return parameters


def _get(spec: Spec) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"]["/statistics/record"]["get"]
    return operation


def remove_record_field(spec: Spec) -> None:
    del _schemas(spec)["Record"]["properties"]["aliceName"]
    _schemas(spec)["Record"]["required"].remove("aliceName")


def retype_record_field(spec: Spec) -> None:
    _schemas(spec)["Record"]["properties"]["taskId"] = {"type": "string"}


def add_response_enum_value(spec: Spec) -> None:
    _schemas(spec)["TaskAction"]["enum"].append(4)


def make_field_optional(spec: Spec) -> None:
    _schemas(spec)["Record"]["required"].remove("poolName")


def make_field_nullable(spec: Spec) -> None:
    _schemas(spec)["Record"]["properties"]["poolName"]["nullable"] = True


def widen_response_range(spec: Spec) -> None:
    _schemas(spec)["Record"]["properties"]["id"]["minimum"] = 0


def lower_limit_maximum(spec: Spec) -> None:
    _parameters(spec)["Limit"]["schema"]["maximum"] = 1000


def raise_offset_minimum(spec: Spec) -> None:
    _parameters(spec)["Offset"]["schema"]["minimum"] = 2


def narrow_request_enum(spec: Spec) -> None:
    _parameters(spec)["Limit"]["schema"]["enum"] = [10, 100]


def add_required_parameter(spec: Spec) -> None:
    _get(spec)["parameters"].append(
        {"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"}}
    )


def make_parameter_required(spec: Spec) -> None:
    _parameters(spec)["Offset"]["required"] = True


def change_serialisation(spec: Spec) -> None:
    _parameters(spec)["AnnotationRequestId"]["explode"] = True


def change_style(spec: Spec) -> None:
    _parameters(spec)["AnnotationRequestId"]["style"] = "pipeDelimited"


def add_status(spec: Spec) -> None:
    _get(spec)["responses"]["429"] = copy.deepcopy(_get(spec)["responses"]["500"])


def change_status(spec: Spec) -> None:
    _get(spec)["responses"]["422"] = _get(spec)["responses"].pop("400")


def remove_operation(spec: Spec) -> None:
    spec["paths"]["/statistics/record-v2"] = spec["paths"].pop("/statistics/record")


def require_signatures(spec: Spec) -> None:
    spec["security"] = [spec["security"][0]]


def replace_response_media_type(spec: Spec) -> None:
    content = _get(spec)["responses"]["200"]["content"]
    content["application/vnd.stardust+json"] = content.pop("application/json")


def change_id_pattern(spec: Spec) -> None:
    _parameters(spec)["AnnotationRequestId"]["schema"]["items"]["pattern"] = "^[0-9a-f-]+$"


def change_response_format(spec: Spec) -> None:
    _schemas(spec)["Record"]["properties"]["taskId"]["format"] = "int32"


def raise_id_min_length(spec: Spec) -> None:
    _parameters(spec)["AnnotationRequestId"]["schema"]["items"]["minLength"] = 2


def retype_instance_info_values(spec: Spec) -> None:
    _schemas(spec)["InstanceInfo"]["additionalProperties"]["type"] = "number"


BREAKING: list[Callable[[Spec], None]] = [
    remove_record_field,
    retype_record_field,
    add_response_enum_value,
    make_field_optional,
    make_field_nullable,
    widen_response_range,
    lower_limit_maximum,
    raise_offset_minimum,
    narrow_request_enum,
    add_required_parameter,
    make_parameter_required,
    change_serialisation,
    change_style,
    add_status,
    change_status,
    remove_operation,
    require_signatures,
    replace_response_media_type,
    change_id_pattern,
    change_response_format,
    raise_id_min_length,
    retype_instance_info_values,
]


def remove_parameter(spec: Spec) -> None:
    _get(spec)["parameters"] = [
        parameter
        for parameter in _get(spec)["parameters"]
        if parameter != {"$ref": "#/components/parameters/Offset"}
    ]


def add_record_field(spec: Spec) -> None:
    _schemas(spec)["Record"]["properties"]["reviewerName"] = {"type": "string"}


def remove_response_enum_value(spec: Spec) -> None:
    _schemas(spec)["Status"]["enum"].remove(17)


def narrow_response_range(spec: Spec) -> None:
    _schemas(spec)["Record"]["properties"]["id"]["maximum"] = 2**40


def raise_limit_maximum(spec: Spec) -> None:
    _parameters(spec)["Limit"]["schema"]["maximum"] = 2**40


def add_optional_parameter(spec: Spec) -> None:
    _get(spec)["parameters"].append({"name": "sort", "in": "query", "schema": {"type": "string"}})


def make_parameter_optional(spec: Spec) -> None:
    _parameters(spec)["AnnotationRequestId"]["required"] = False


def remove_status(spec: Spec) -> None:
    del _get(spec)["responses"]["500"]


def add_operation(spec: Spec) -> None:
    spec["paths"]["/statistics/other"] = copy.deepcopy(spec["paths"]["/statistics/record"])


def remove_limit_maximum(spec: Spec) -> None:
    del _parameters(spec)["Limit"]["schema"]["maximum"]


def bound_a_response_field(spec: Spec) -> None:
    _schemas(spec)["Record"]["properties"]["poolName"]["maxLength"] = 64


NON_BREAKING: list[Callable[[Spec], None]] = [
    remove_limit_maximum,
    bound_a_response_field,
    add_record_field,
    remove_response_enum_value,
    narrow_response_range,
    raise_limit_maximum,
    add_optional_parameter,
    make_parameter_optional,
    remove_status,
    add_operation,
    remove_parameter,
]


# What each change reads as, line for line: where, what, and the verdict (BREAKING or ok).
EXACT: dict[str, list[str]] = {
    "remove_limit_maximum": [
        "ok        GET /statistics/record parameter query limit: maximum 2147483647 -> None",
    ],
    "bound_a_response_field": [
        "ok        GET /statistics/record response 200 body.data.data[].poolName: maxLength None -> 64",
    ],
    "remove_record_field": [
        "BREAKING  GET /statistics/record response 200 body.data.data[].aliceName: property removed",
    ],
    "retype_record_field": [
        "BREAKING  GET /statistics/record response 200 body.data.data[].taskId: type integer -> string",
    ],
    "add_response_enum_value": [
        "BREAKING  GET /statistics/record response 200 body.data.data[].actionType: enum value 4 added (clients with closed enums fail, D30)",
    ],
    "make_field_optional": [
        "BREAKING  GET /statistics/record response 200 body.data.data[].poolName: became optional",
    ],
    "make_field_nullable": [
        "BREAKING  GET /statistics/record response 200 body.data.data[].poolName: became nullable",
    ],
    "widen_response_range": [
        "BREAKING  GET /statistics/record response 200 body.data.data[].id: minimum 1 -> 0",
    ],
    "lower_limit_maximum": [
        "BREAKING  GET /statistics/record parameter query limit: maximum 2147483647 -> 1000",
    ],
    "raise_offset_minimum": [
        "BREAKING  GET /statistics/record parameter query offset: minimum 1 -> 2",
    ],
    "narrow_request_enum": [
        "BREAKING  GET /statistics/record parameter query limit: enum added",
    ],
    "add_required_parameter": [
        "BREAKING  GET /statistics/record parameter query tenant: required parameter added",
    ],
    "make_parameter_required": [
        "BREAKING  GET /statistics/record parameter query offset: became required",
    ],
    "change_serialisation": [
        "BREAKING  GET /statistics/record parameter query annotationRequestId: explode False -> True",
    ],
    "change_style": [
        "BREAKING  GET /statistics/record parameter query annotationRequestId: style form -> pipeDelimited",
    ],
    "remove_parameter": [
        "ok        GET /statistics/record parameter query offset: removed",
    ],
    "add_status": [
        "BREAKING  GET /statistics/record response 429: added (clients do not expect it)",
    ],
    "change_status": [
        "ok        GET /statistics/record response 400: removed (no longer sent)",
        "BREAKING  GET /statistics/record response 422: added (clients do not expect it)",
    ],
    "remove_operation": [
        "BREAKING  GET /statistics/record: operation removed",
        "ok        GET /statistics/record-v2: operation added",
    ],
    "require_signatures": [
        "BREAKING  GET /statistics/record: security requirements changed",
    ],
    "replace_response_media_type": [
        "BREAKING  GET /statistics/record response 200 application/json: media type removed",
        "ok        GET /statistics/record response 200 application/vnd.stardust+json: media type added",
    ],
    "change_id_pattern": [
        "BREAKING  GET /statistics/record parameter query annotationRequestId[]: pattern '^[^,\\\\x00-\\\\x1f\\\\x7f]+$' -> '^[0-9a-f-]+$' (review it)",
    ],
    "change_response_format": [
        "BREAKING  GET /statistics/record response 200 body.data.data[].taskId: format int64 -> int32",
    ],
    "raise_id_min_length": [
        "BREAKING  GET /statistics/record parameter query annotationRequestId[]: minLength 1 -> 2",
    ],
    "retype_instance_info_values": [
        "BREAKING  GET /statistics/record response 200 body.data.data[].instanceInfo{*}: type integer -> number",
    ],
    "add_record_field": [
        "ok        GET /statistics/record response 200 body.data.data[].reviewerName: property added",
    ],
    "remove_response_enum_value": [
        "ok        GET /statistics/record response 200 body.data.data[].status: enum value 17 removed",
    ],
    "narrow_response_range": [
        "ok        GET /statistics/record response 200 body.data.data[].id: maximum 9007199254740991 -> 1099511627776",
    ],
    "raise_limit_maximum": [
        "ok        GET /statistics/record parameter query limit: maximum 2147483647 -> 1099511627776",
    ],
    "add_optional_parameter": [
        "ok        GET /statistics/record parameter query sort: optional parameter added",
    ],
    "make_parameter_optional": [
        "ok        GET /statistics/record parameter query annotationRequestId: became optional",
    ],
    "remove_status": [
        "ok        GET /statistics/record response 500: removed (no longer sent)",
    ],
    "add_operation": [
        "ok        GET /statistics/other: operation added",
    ],
}


def _changed(mutate: Callable[[Spec], None]) -> Spec:
    spec = copy.deepcopy(dict(load_spec()))
    mutate(spec)
    return spec


@pytest.mark.parametrize("mutate", BREAKING, ids=lambda m: m.__name__)
def test_a_breaking_change_is_found_and_called_breaking(mutate: Callable[[Spec], None]) -> None:
    changes = diff(load_spec(), _changed(mutate))
    assert changes, "the change went unnoticed"
    assert any(change.breaking for change in changes), [str(c) for c in changes]


@pytest.mark.parametrize("mutate", NON_BREAKING, ids=lambda m: m.__name__)
def test_a_compatible_change_is_found_and_not_called_breaking(
    mutate: Callable[[Spec], None],
) -> None:
    changes = diff(load_spec(), _changed(mutate))
    assert changes, "the change went unnoticed"
    assert not any(change.breaking for change in changes), [str(c) for c in changes]


@pytest.mark.parametrize("mutate", BREAKING + NON_BREAKING, ids=lambda m: m.__name__)
def test_each_change_is_reported_where_it_is_and_as_what(mutate: Callable[[Spec], None]) -> None:
    # The whole line: a change reported at the wrong place, under the wrong words or with the
    # wrong verdict misleads the maintainer who reads it (issue 22: a removed media type, a
    # changed pattern and a changed format were each called compatible by one-line slips).
    assert [str(change) for change in diff(load_spec(), _changed(mutate))] == EXACT[mutate.__name__]


def require_signatures_on_the_operation(spec: Spec) -> None:
    # The operation's own requirement, where the document-wide one still allows no signature.
    _get(spec)["security"] = [spec["security"][0]]


def test_security_is_read_on_the_operation_before_the_document() -> None:
    assert [str(c) for c in diff(load_spec(), _changed(require_signatures_on_the_operation))] == [
        "BREAKING  GET /statistics/record: security requirements changed"
    ]
    # An operation's own requirement, unchanged, whatever the document's: no change.
    own = _changed(require_signatures_on_the_operation)
    assert diff(own, copy.deepcopy(own)) == []
    # The same requirement written on the operation instead of the document: no change.
    old, new = _changed(lambda spec: None), _changed(lambda spec: None)
    _get(new)["security"] = new.pop("security")
    assert diff(old, new) == []


@pytest.mark.parametrize("mutate", BREAKING + NON_BREAKING, ids=lambda m: m.__name__)
def test_the_verdict_of_each_change_is_a_boolean_the_command_adds_up(
    mutate: Callable[[Spec], None],
) -> None:
    # `python -m contract diff` sums the verdicts for its last line: None would stop it.
    assert all(type(change.breaking) is bool for change in diff(load_spec(), _changed(mutate)))


def test_the_command_lists_breaking_changes_first_and_counts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(dict(load_spec())), "utf-8")
    new.write_text(yaml.safe_dump(_changed(change_status)), "utf-8")
    assert command.main(["diff", str(old), str(new)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "BREAKING  GET /statistics/record response 422: added (clients do not expect it)",
        "ok        GET /statistics/record response 400: removed (no longer sent)",
        "2 change(s), 1 breaking",
    ]
    new.write_text(yaml.safe_dump(_changed(remove_status)), "utf-8")
    assert command.main(["diff", str(old), str(new)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 change(s), 0 breaking"


def _compared(old: dict[str, Any], new: dict[str, Any], direction: Any) -> list[str]:
    return [str(change) for change in compare_schemas(old, new, "x", direction)]


def test_properties_in_a_request_schema_hurt_when_they_become_required() -> None:
    # An object sent by the client (a deepObject parameter, a body): read the other way round.
    old = {"type": "object", "properties": {"a": {"type": "string"}}, "required": []}
    added = {**old, "properties": {**old["properties"], "b": {}, "c": {}}, "required": ["b"]}
    assert sorted(_compared(old, added, "request")) == [
        "BREAKING  x.b: required property added",
        "ok        x.c: property added",
    ]
    assert sorted(_compared(old, added, "response")) == [
        "ok        x.b: required property added",
        "ok        x.c: property added",
    ]
    required = {**old, "required": ["a"]}
    assert _compared(old, required, "request") == ["BREAKING  x.a: became required"]
    assert _compared(required, old, "request") == ["ok        x.a: became optional"]
    assert _compared(old, {**old, "properties": {}}, "request") == [
        "ok        x.a: property removed"
    ]
    # Nested: a property's own schema is read in the same direction.
    enum = {"type": "object", "properties": {"a": {"type": "integer", "enum": [1, 2]}}}
    fewer = {"type": "object", "properties": {"a": {"type": "integer", "enum": [1]}}}
    assert _compared(enum, fewer, "request") == ["BREAKING  x.a: enum value 2 removed"]
    extra = {"type": "object", "additionalProperties": enum["properties"]["a"]}
    assert _compared(
        extra, {**extra, "additionalProperties": fewer["properties"]["a"]}, "request"
    ) == ["BREAKING  x{*}: enum value 2 removed"]


def test_enum_and_nullable_changes_read_in_each_direction() -> None:
    plain = {"type": "integer"}
    closed = {"type": "integer", "enum": [1, 2]}
    # No enum is the widest set: removing one widens, adding one narrows.
    assert _compared(closed, plain, "response") == ["BREAKING  x: enum removed"]
    assert _compared(closed, plain, "request") == ["ok        x: enum removed"]
    assert _compared(plain, closed, "response") == ["ok        x: enum added"]
    assert _compared(plain, closed, "request") == ["BREAKING  x: enum added"]
    assert _compared(closed, {**closed, "enum": [1, 2, 3]}, "request") == [
        "ok        x: enum value 3 added"
    ]
    assert list(compare_schemas(closed, {**closed, "enum": [1]}, "x", "response")) == [
        Change("x", "enum value 2 removed", False)
    ]
    nullable = {**plain, "nullable": True}
    assert _compared(nullable, plain, "response") == ["ok        x: became not nullable"]
    assert _compared(nullable, plain, "request") == ["BREAKING  x: became not nullable"]


def test_alternatives_of_one_of_and_any_of_are_compared_in_order() -> None:
    for keyword in ("oneOf", "anyOf"):
        two = {keyword: [{"type": "integer"}, {"type": "string"}]}
        one = {keyword: [{"type": "integer"}]}
        assert list(compare_schemas(one, two, "x", "response")) == [
            Change("x", f"{keyword}: alternative added", True)
        ]
        assert list(compare_schemas(one, two, "x", "request")) == [
            Change("x", f"{keyword}: alternative added", False)
        ]
        assert list(compare_schemas(two, one, "x", "response")) == [
            Change("x", f"{keyword}: alternative removed", False)
        ]
        assert list(compare_schemas(two, one, "x", "request")) == [
            Change("x", f"{keyword}: alternative removed", True)
        ]
        narrowed = {keyword: [{"type": "integer", "maximum": 5}, {"type": "string"}]}
        assert list(compare_schemas(two, narrowed, "x", "request")) == [
            Change(f"x/{keyword}/0", "maximum None -> 5", True)
        ]


def test_parts_a_contract_may_leave_out_are_compared_without_error() -> None:
    # An operation without parameters or responses, a response without content (a 204), a
    # media type or a parameter without a schema, an array without items, a map without
    # a schema for its values: each compared as empty, and the change beside it still found.
    def bare(spec: Spec) -> None:
        get = _get(spec)
        del get["parameters"]
        get["responses"]["204"] = {"description": "nothing"}
        get["responses"]["200"]["content"]["text/csv"] = {}
        get["parameters"] = [{"name": "q", "in": "query", "content": {"text/plain": {}}}]

    old = _changed(bare)
    new = _changed(bare)
    _get(new)["parameters"].append({"name": "sort", "in": "query", "schema": {"type": "string"}})
    assert [str(c) for c in diff(old, new)] == [
        "ok        GET /statistics/record parameter query sort: optional parameter added"
    ]
    no_parameters = _changed(lambda spec: _get(spec).pop("parameters"))
    assert diff(no_parameters, no_parameters) == []
    assert [str(c) for c in diff(no_parameters, load_spec())][:1] == [
        "BREAKING  GET /statistics/record parameter query annotationRequestId: "
        "required parameter added"
    ]
    no_responses = _changed(lambda spec: _get(spec).pop("responses"))
    assert [str(c) for c in diff(no_responses, no_responses)] == []
    assert "response 200: added" in " ".join(str(c) for c in diff(no_responses, load_spec()))
    assert [str(c) for c in diff({"paths": {}}, {})] == []
    assert [str(c) for c in diff({}, {"paths": {"/a": {"get": {}}}})] == [
        "ok        GET /a: operation added"
    ]


def test_items_or_other_properties_added_or_removed_are_changes_read_as_bounds() -> None:
    # D73: no `items` (any item) and no `additionalProperties` (any property) are the widest;
    # a schema for them narrows, `false` narrows more. Before D73 these went unreported.
    array, typed = {"type": "array"}, {"type": "array", "items": {"type": "string"}}
    assert _compared(array, typed, "request") == ["BREAKING  x[]: items added"]
    assert _compared(array, typed, "response") == ["ok        x[]: items added"]
    assert _compared(typed, array, "request") == ["ok        x[]: items removed"]
    assert _compared(typed, array, "response") == ["BREAKING  x[]: items removed"]
    free, closed = {"type": "object"}, {"type": "object", "additionalProperties": False}
    mapped = {"type": "object", "additionalProperties": {"type": "string"}}
    assert _compared(free, mapped, "response") == [
        "ok        x{*}: additionalProperties any -> a schema"
    ]
    assert _compared(mapped, free, "response") == [
        "BREAKING  x{*}: additionalProperties a schema -> any"
    ]
    assert _compared(mapped, closed, "request") == [
        "BREAKING  x{*}: additionalProperties a schema -> none"
    ]
    assert _compared(closed, {**free, "additionalProperties": True}, "request") == [
        "ok        x{*}: additionalProperties none -> any"
    ]
    assert _compared(closed, mapped, "response") == [
        "BREAKING  x{*}: additionalProperties none -> a schema"
    ]
    # Absent, true and {} all allow any property: no change between them.
    for same in (True, {}):
        assert _compared(free, {**free, "additionalProperties": same}, "response") == []


def test_flatten_merges_all_of_later_parts_refining_earlier_ones() -> None:
    schema = {
        "description": "an envelope",
        "allOf": [
            {"type": "object", "properties": {"code": {"type": "integer"}}, "required": ["code"]},
            {"properties": {"code": {"enum": [2000]}, "data": {}}, "required": ["data"]},
        ],
    }
    assert flatten(schema) == {
        "type": "object",
        "properties": {"code": {"type": "integer", "enum": [2000]}, "data": {}},
        "required": ["code", "data"],
        "description": "an envelope",
    }


def test_the_contract_against_itself_has_no_change() -> None:
    assert diff(load_spec(), load_spec()) == []


def test_a_change_names_where_it_is() -> None:
    [change] = diff(load_spec(), _changed(add_response_enum_value))
    assert change.where.endswith("response 200 body.data.data[].actionType")
    assert "4" in change.what and "D30" in change.what


def _run(old: Path, new: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contract", "diff", str(old), str(new)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_the_command_exits_1_on_a_breaking_change_and_0_otherwise(tmp_path: Path) -> None:
    breaking, compatible = tmp_path / "breaking.yaml", tmp_path / "compatible.yaml"
    breaking.write_text(yaml.safe_dump(_changed(remove_record_field)), encoding="utf-8")
    compatible.write_text(yaml.safe_dump(_changed(add_record_field)), encoding="utf-8")
    failed = _run(SPEC_PATH, breaking)
    assert failed.returncode == 1
    assert "BREAKING" in failed.stdout and "aliceName" in failed.stdout
    passed = _run(SPEC_PATH, compatible)
    assert passed.returncode == 0, passed.stdout
    assert "reviewerName" in passed.stdout and "0 breaking" in passed.stdout


@pytest.mark.slow
def test_the_command_names_a_file_it_cannot_read(tmp_path: Path) -> None:
    result = _run(SPEC_PATH, tmp_path / "missing.yaml")
    assert result.returncode != 0
    assert "missing.yaml" in result.stderr
