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

_PACKAGE = Path(__file__).resolve().parent
# Where a built package carries its copies of the checkout's files (setup.py writes them into
# the wheel only; decision D40).
PACKAGED_DATA = _PACKAGE / "data"
# The checkout this module sits in, if it does: the root holds the project's own files.
CHECKOUT = _PACKAGE.parent


def in_checkout() -> bool:
    """Whether this module runs from the project's checkout (editable install, or no install)."""
    return (CHECKOUT / "openapi.yaml").is_file() and (CHECKOUT / "pyproject.toml").is_file()


def data_path(name: str) -> Path:
    """A project file: the checkout's own if there is a checkout, else the packaged copy.

    The root `openapi.yaml` stays the single source of truth: in a checkout it is read
    directly, and a built package carries a byte-for-byte copy of it.
    """
    return CHECKOUT / name if in_checkout() else PACKAGED_DATA / name


SPEC_PATH = data_path("openapi.yaml")
# The fixtures the mock loads unless told otherwise (fixtures/README.md).
DEFAULT_FIXTURES = data_path("fixtures")
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
