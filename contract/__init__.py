"""The contract: where `openapi.yaml` lives and how to read it.

Both the mock server and the conformance suite start from this file; nothing else in the
project restates what it says.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
OPERATION_PATH = "/statistics/record"
PRODUCTION_PREFIX = "/rosetta-open"


@cache
def load_spec(path: Path = SPEC_PATH) -> Mapping[str, Any]:
    """The contract as parsed YAML; cached because it never changes while a process runs."""
    with path.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


def resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """`node` with every local `$ref` replaced by what it points at (the contract has no cycles)."""
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target: Any = spec
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            return resolve(spec, target)
        return {key: resolve(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(spec, item) for item in node]
    return node


def schema(name: str, spec: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The named component schema, fully resolved."""
    spec = spec if spec is not None else load_spec()
    resolved: dict[str, Any] = resolve(spec, spec["components"]["schemas"][name])
    return resolved


def operation(spec: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The one operation of the contract, fully resolved."""
    spec = spec if spec is not None else load_spec()
    resolved: dict[str, Any] = resolve(spec, spec["paths"][OPERATION_PATH]["get"])
    return resolved
