"""What a client's request asks for, read with the contract's own parameter rules.

The rules are the mock's (`contract/parameters.py`, compiled from `openapi.yaml`): one reading
of the contract's parameters for the server the project ships and for the proxy's verdict on a
client's request, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from contract import operation
from contract.parameters import (
    ParameterError,
    ParameterRule,
    compile_rules,
    parse_query,
    split_query,
)

ID_PARAMETER = "annotationRequestId"


@cache
def _rules() -> tuple[ParameterRule, ...]:
    return compile_rules(operation()["parameters"])


@dataclass(frozen=True)
class Request:
    """A request to the operation: its IDs (each once, in order), offset and limit, or why the
    contract refuses it."""

    problem: ParameterError | None
    ids: tuple[str, ...] = ()
    offset: int = 1
    limit: int = 10
    # How the IDs were written (decision D7 makes all forms one request): "repeated",
    # "comma-separated" or "with duplicates".
    form: str = "repeated"

    @property
    def id_set(self) -> tuple[str, ...]:
        """The key of what the request names, whatever its form or order."""
        return tuple(sorted(self.ids))


def read_request(query: bytes) -> Request:
    try:
        parsed = parse_query(_rules(), query)
    except ParameterError as problem:
        return Request(problem)
    raw = split_query(query).get(ID_PARAMETER, [])
    items = [item for value in raw for item in value.split(",")]
    form = "repeated"
    if len(items) != len(set(items)):
        form = "with duplicates"
    elif any("," in value for value in raw):
        form = "comma-separated"
    return Request(None, tuple(parsed[ID_PARAMETER]), parsed["offset"], parsed["limit"], form)
