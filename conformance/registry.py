"""One registry of checks, keyed by the check function's own name.

A check is declared once, where it is written: `@check` registers it under `func.__name__`,
its docstring's first paragraph is what `--list-checks` prints, and decorators below `@check`
declare what it needs to run (`@needs_known_ids(2)`, `@needs_unknown_id`,
`@needs_request_over(1000)`). The runner asks each precondition, never a check's name.

Schemathesis's own checks have no function here; they are declared with `declare_builtin`,
under the name Schemathesis gives them, so that `--list-checks`, `--exclude-check`, the reports
and the test proving every check against a fault all read the same table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from conformance.failures import Failure

SCHEMATHESIS = "schemathesis"
ENVELOPE = "envelope"
SEMANTIC = "semantic"
KINDS = (SCHEMATHESIS, ENVELOPE, SEMANTIC)
F = TypeVar("F", bound=Callable[..., Any])


class Context(Protocol):
    """What a precondition may look at: the run's IDs and what the probes found."""

    @property
    def known_ids(self) -> tuple[str, ...]: ...

    @property
    def unknown_ids(self) -> tuple[str, ...]: ...

    def largest_request(self) -> tuple[str, int] | None:
        """The known ID with the most records and its count; None if none answered a count."""
        ...


@dataclass(frozen=True)
class NotRun:
    """Why a check did not run, and what would let it run."""

    reason: str
    enable: str = ""

    def __str__(self) -> str:
        return f"{self.reason} ({self.enable})" if self.enable else self.reason


Precondition = Callable[[Context], NotRun | None]


@dataclass
class Outcome:
    """What one check found: its failures and how many responses it could judge."""

    failures: list[Failure] = field(default_factory=list)
    judged: int = 0
    not_run: NotRun | None = None

    def saw(self, exchanges: int = 1) -> None:
        self.judged += exchanges


@dataclass(frozen=True)
class Check:
    name: str
    kind: str
    description: str
    function: Callable[..., Any] | None = None
    needs: tuple[Precondition, ...] = ()

    def unmet(self, context: Context) -> NotRun | None:
        """The first precondition `context` does not meet, or None."""
        for precondition in self.needs:
            found = precondition(context)
            if found is not None:
                return found
        return None


REGISTRY: dict[str, Check] = {}
_NEEDS: dict[Callable[..., Any], list[Precondition]] = {}


def first_paragraph(doc: str | None) -> str:
    """A docstring's first paragraph on one line: a description never cut mid-sentence."""
    paragraph = (doc or "").strip().split("\n\n")[0]
    return " ".join(paragraph.split())


def _description(function: Callable[..., Any]) -> str:
    description = first_paragraph(function.__doc__)
    if not description:
        raise ValueError(f"check {function.__name__} has no docstring to describe it")
    return description


def _add(entry: Check) -> None:
    if entry.name in REGISTRY:
        raise ValueError(f"check {entry.name!r} is registered twice")
    REGISTRY[entry.name] = entry


def register(kind: str) -> Callable[[F], F]:
    """Register a check of `kind` under its function's name; returns the function unchanged."""

    def decorate(function: F) -> F:
        needs = tuple(_NEEDS.pop(function, []))
        _add(Check(function.__name__, kind, _description(function), function, needs))
        return function

    return decorate


def declare_builtin(name: str, description: str) -> None:
    """A Schemathesis check, run by Schemathesis: listed, excludable, reported."""
    _add(Check(name, SCHEMATHESIS, description))


def _needs(precondition: Precondition) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        # Decorators apply bottom-up: keep the written order.
        _NEEDS.setdefault(function, []).insert(0, precondition)
        return function

    return decorate


def needs_known_ids(number: int) -> Callable[[F], F]:
    """The check needs `number` known annotation request IDs."""

    def precondition(context: Context) -> NotRun | None:
        have = len(context.known_ids)
        if have >= number:
            return None
        ids = "a known annotation request ID" if number == 1 else f"{number} known IDs"
        return NotRun(
            f"needs {ids}, {have} given",
            f"pass {number} --known-id, or KNOWN_IDS=a,b to make conformance",
        )

    return _needs(precondition)


def _unknown_id(context: Context) -> NotRun | None:
    if context.unknown_ids:
        return None
    return NotRun(
        "no unknown annotation request ID given",
        "pass --unknown-id with an ID the server does not know, or UNKNOWN_IDS=x",
    )


needs_unknown_id = _needs(_unknown_id)


def needs_request_over(records: int) -> Callable[[F], F]:
    """The check needs a known request with more than `records` records."""

    def precondition(context: Context) -> NotRun | None:
        largest = context.largest_request()
        if largest is not None and largest[1] > records:
            return None
        seen = (
            f"the largest count seen is {largest[1]} ({largest[0]!r})"
            if largest
            else "no known ID answered a count"
        )
        return NotRun(
            f"no known request has more than {records} records: {seen}",
            f"pass a --known-id with more than {records} records",
        )

    return _needs(precondition)


def of_kind(kind: str) -> tuple[str, ...]:
    return tuple(name for name, entry in REGISTRY.items() if entry.kind == kind)


def describe() -> Iterator[tuple[str, str, str]]:
    """(name, kind, description) of every check, for `--list-checks`."""
    for entry in REGISTRY.values():
        yield entry.name, entry.kind, entry.description
