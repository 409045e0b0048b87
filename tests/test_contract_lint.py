"""What Spectral's and Redocly's example rules check, without Node: CI catches a regression.

Both linters refuse a `nullable` without a `type` (OpenAPI 3.0.3 gives it no meaning), and
then cannot check a single example. Each example and default is validated here against the
schema it sits in, wherever it sits: a schema, a property, a parameter, a media type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from contract import load_spec, resolve


def _nodes(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping of the (unresolved) contract, with its JSON pointer."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, f"{where}/{index}")


_SCHEMA_KEYS = {"type", "allOf", "oneOf", "anyOf", "enum", "$ref"}


def _cases() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, value) for every example and default of the contract."""
    spec = load_spec()
    for where, node in _nodes(spec):
        # An example's value is data, not a schema; a server variable's default has no schema.
        if "/examples/" in where or where.startswith("#/components/examples"):
            continue
        if "/variables/" in where:
            continue
        if "in" in node and "schema" in node:  # a parameter
            if "example" in node:
                yield f"{where} parameter example", resolve(spec, node["schema"]), node["example"]
        elif "schema" in node:  # a media type
            schema = resolve(spec, node["schema"])
            for name, example in resolve(spec, node.get("examples", {})).items():
                yield f"{where} examples/{name}", schema, example["value"]
            if "example" in node:
                yield f"{where} example", schema, node["example"]
        elif _SCHEMA_KEYS & node.keys():
            for keyword in ("example", "default"):
                if keyword in node:
                    yield f"{where} {keyword}", resolve(spec, node), node[keyword]


CASES = list(_cases())


def test_the_walk_finds_the_examples_and_defaults_the_contract_has() -> None:
    wheres = " ".join(where for where, _, _ in CASES)
    # Seven response examples, the parameter example, both paging defaults, a property example.
    assert wheres.count("examples/") == 7
    assert "AnnotationRequestId parameter example" in wheres
    assert wheres.count("default") >= 2
    assert "campaignId example" in wheres


@pytest.mark.parametrize(("where", "schema", "value"), CASES, ids=[where for where, _, _ in CASES])
def test_every_example_and_default_validates_against_its_schema(
    where: str, schema: dict[str, Any], value: Any
) -> None:
    schema = {key: item for key, item in schema.items() if key not in {"example", "default"}}
    errors = [error.message for error in OAS30Validator(schema).iter_errors(value)]
    assert errors == [], where


def test_every_nullable_has_a_type() -> None:
    untyped = [
        where for where, node in _nodes(load_spec()) if "nullable" in node and "type" not in node
    ]
    assert untyped == []


def test_the_nullable_check_catches_the_mistake_linters_refuse() -> None:
    broken = {"components": {"schemas": {"E": {"properties": {"data": {"nullable": True}}}}}}
    assert [where for where, node in _nodes(broken) if "nullable" in node and "type" not in node]
