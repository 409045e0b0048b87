"""The contract (`openapi.yaml`) against the facts of the documentation.

The facts are written out here, independently of the YAML, so that any drift of the contract
from the documentation (as settled in docs/decisions.md) fails a test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import IntEnum
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from contract import SPEC_PATH, load_spec, operation, resolve, schema
from mockserver.enums import PoolType, Status, TaskAction

# Field table of "Get Statistics Record"; "number" is an integer per decision D4.
RECORD_FIELDS = {
    "id": "integer",
    "status": "integer",
    "campaignId": "string",
    "taskId": "integer",
    "poolName": "string",
    "poolType": "integer",
    "folderId": "integer",
    "aliceName": "string",
    "createdTime": "string",
    "actionType": "integer",
    "instanceInfo": "object",
    "modifyInstanceNum": "integer",
    "modifyAttributesNum": "integer",
    "instanceSum": "integer",
    "attributesSum": "integer",
}
STATUS_VALUES = {0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 16, 17}
POOL_TYPE_VALUES = {0, 1, 2, 3, 4, 5}
# Seed revision plus the later one's Pause (1), Release (2), Resume (3).
TASK_ACTION_VALUES = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 13, 14, 17}
ENVELOPE_FIELDS = {"code", "message", "data", "date", "requestId", "success"}
# Business code -> HTTP status, per CONTRACT-NOTES.
OUTCOMES = {2000: "200", 4005: "400", 401: "401", 402: "401", 403: "401", 53003: "404", 5000: "500"}
MESSAGES = {
    2000: "Success",
    5000: "Service hiccuped, please try again later.",
    53003: "Annotation request has not exists.",
}


def test_contract_is_a_valid_openapi_document() -> None:
    spec_dict, base_uri = read_from_filename(str(SPEC_PATH))
    validate(spec_dict, base_uri=base_uri)
    assert spec_dict["openapi"] == "3.0.3"


def test_operation_is_get_statistics_record() -> None:
    assert set(load_spec()["paths"]) == {"/statistics/record"}
    assert set(load_spec()["paths"]["/statistics/record"]) == {"get"}


def test_servers_include_production_prefix_and_local_mock() -> None:
    urls = [server["url"] for server in load_spec()["servers"]]
    assert any(url.endswith("/rosetta-open") for url in urls)
    assert any(url.startswith("http://127.0.0.1") for url in urls)


def _parameters() -> dict[str, dict[str, Any]]:
    return {param["name"]: param for param in operation()["parameters"]}


def test_annotation_request_id_is_a_required_array_of_short_strings() -> None:
    param = _parameters()["annotationRequestId"]
    assert param["in"] == "query"
    assert param["required"] is True
    assert param["schema"]["type"] == "array"
    assert param["schema"]["minItems"] == 1
    # The documentation's comma form is the contract's serialisation (D7).
    assert param["style"] == "form" and param["explode"] is False
    items = param["schema"]["items"]
    assert (items["type"], items["minLength"], items["maxLength"]) == ("string", 1, 255)
    assert re.fullmatch(items["pattern"], "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b")
    for bad in ("a,b", "a\x00b", "a\nb", "a\x7fb"):
        assert not re.search(items["pattern"], bad), bad
    assert "255 bytes" in param["description"]


@pytest.mark.parametrize(("name", "default"), [("offset", 1), ("limit", 10)])
def test_paging_parameters_are_optional_integers_from_one(name: str, default: int) -> None:
    param = _parameters()[name]
    assert param["in"] == "query"
    assert param.get("required", False) is False
    assert param["schema"]["type"] == "integer"
    assert param["schema"]["minimum"] == 1
    assert param["schema"]["default"] == default


def test_limit_cap_is_described_not_enforced() -> None:
    limit = _parameters()["limit"]
    assert limit["schema"]["maximum"] > 1000, "a limit above 1000 is capped, not rejected"
    assert "1000" in limit["description"]


def test_record_has_the_fifteen_documented_fields_all_required() -> None:
    record = schema("Record")
    assert set(record["properties"]) == set(RECORD_FIELDS)
    assert set(record["required"]) == set(RECORD_FIELDS)
    for field, expected in RECORD_FIELDS.items():
        assert record["properties"][field]["type"] == expected, field


@pytest.mark.parametrize(
    ("name", "values"),
    [("Status", STATUS_VALUES), ("PoolType", POOL_TYPE_VALUES), ("TaskAction", TASK_ACTION_VALUES)],
)
def test_enums_hold_exactly_the_documented_values(name: str, values: set[int]) -> None:
    enum = schema(name)
    assert set(enum["enum"]) == values
    for value in values:
        assert f"{value} " in enum["description"], f"{name} {value} is not described"


@pytest.mark.parametrize("enum_class", [Status, PoolType, TaskAction])
def test_enum_members_are_named_as_the_mock_names_them(enum_class: type[IntEnum]) -> None:
    enum = schema(enum_class.__name__)
    names = dict(zip(enum["enum"], enum["x-enum-varnames"], strict=True))
    assert names == {member.value: member.name for member in enum_class}
    assert len(enum["x-enum-descriptions"]) == len(enum["enum"])
    assert "D30" in enum["description"], "the policy for values added later is stated"


def test_instance_info_values_are_non_negative_integers() -> None:
    info = schema("InstanceInfo")
    assert info["type"] == "object"
    assert info["additionalProperties"] == {"type": "integer", "minimum": 0}


def test_envelope_fields_are_all_required() -> None:
    assert set(schema("Envelope")["required"]) == ENVELOPE_FIELDS


@pytest.mark.parametrize(("code", "status"), sorted(OUTCOMES.items()))
def test_every_outcome_has_a_response_with_schema_and_example(code: int, status: str) -> None:
    response = operation()["responses"][status]
    media = response["content"]["application/json"]
    assert "schema" in media
    examples = {
        example["value"]["code"]: example["value"] for example in media["examples"].values()
    }
    assert code in examples, f"no example of {code} under HTTP {status}"
    assert examples[code]["success"] is (code == 2000)
    if code in MESSAGES:
        assert examples[code]["message"] == MESSAGES[code]


def test_success_and_error_envelopes_are_distinct() -> None:
    success = _validator(schema("SuccessEnvelope"))
    error = _validator(schema("ErrorEnvelope"))
    ok = operation()["responses"]["200"]["content"]["application/json"]["examples"]["2000"]["value"]
    failed = dict(ok, code=5000, success=False, data=None)
    assert success.is_valid(ok) and not error.is_valid(ok)
    assert error.is_valid(failed) and not success.is_valid(failed)
    assert not error.is_valid(dict(failed, data={"count": 0, "data": []}))
    assert not success.is_valid(dict(ok, success=False))


def test_signature_headers_are_a_security_scheme() -> None:
    schemes = load_spec()["components"]["securitySchemes"]
    headers = {scheme["name"] for scheme in schemes.values() if scheme["in"] == "header"}
    assert headers == {"X-STARDUST-KEY", "X-TS", "X-SIGN"}


def _validator(schema_: dict[str, Any]) -> OAS30Validator:
    return OAS30Validator(schema_)


def _examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Every example in the contract, with the schema it illustrates."""
    spec = load_spec()
    for status, response in spec["paths"]["/statistics/record"]["get"]["responses"].items():
        media = resolve(spec, response)["content"]["application/json"]
        for name, example in media["examples"].items():
            yield f"response {status} {name}", media["schema"], example["value"]
    for param in operation()["parameters"]:
        if "example" in param:
            yield f"parameter {param['name']}", param["schema"], param["example"]
    for name in spec["components"]["schemas"]:
        resolved = schema(name)
        if "example" in resolved:
            yield f"schema {name}", resolved, resolved["example"]


@pytest.mark.parametrize(
    ("where", "schema_", "value"), list(_examples()), ids=lambda x: x if isinstance(x, str) else ""
)
def test_every_example_validates_against_its_schema(
    where: str, schema_: dict[str, Any], value: Any
) -> None:
    errors = [error.message for error in _validator(schema_).iter_errors(value)]
    assert errors == [], where
