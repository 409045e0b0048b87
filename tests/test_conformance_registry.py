"""The check registry: names, descriptions and preconditions, on checks registered here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from conformance import registry
from conformance.registry import NotRun, Outcome


@dataclass
class Context:
    known_ids: tuple[str, ...] = ()
    unknown_ids: tuple[str, ...] = ()
    largest: tuple[str, int] | None = None

    def largest_request(self) -> tuple[str, int] | None:
        return self.largest


@pytest.fixture
def scratch() -> Iterator[None]:
    """Checks registered by a test are removed after it."""
    before = dict(registry.REGISTRY)
    yield
    registry.REGISTRY.clear()
    registry.REGISTRY.update(before)


def test_a_check_is_registered_under_its_name_with_its_first_docstring_paragraph(
    scratch: None,
) -> None:
    @registry.register(registry.SEMANTIC)
    @registry.needs_known_ids(2)
    @registry.needs_unknown_id
    def scratch_check(phase: object, outcome: Outcome) -> None:
        """The first line,
        and its end (issue 28: `--list-checks` cut a description mid-sentence, C48).

        Not this one.
        """

    entry = registry.REGISTRY["scratch_check"]
    assert (entry.name, entry.kind, entry.description) == (
        "scratch_check",
        "semantic",
        "The first line, and its end (issue 28: `--list-checks` cut a description "
        "mid-sentence, C48).",
    )
    assert entry.function is scratch_check
    # Preconditions are asked in the order written: the first unmet one is the reason.
    assert str(entry.unmet(Context())).startswith("needs 2 known IDs, 0 given")
    assert "--unknown-id" in str(entry.unmet(Context(known_ids=("a", "b"))))
    assert entry.unmet(Context(known_ids=("a", "b"), unknown_ids=("x",))) is None
    assert "scratch_check" in registry.of_kind(registry.SEMANTIC)
    assert entry.description in [description for *_, description in registry.describe()]


def test_a_name_is_registered_once_and_a_check_needs_a_docstring(scratch: None) -> None:
    registry.declare_builtin("scratch_builtin", "a built-in")
    assert registry.REGISTRY["scratch_builtin"].function is None
    assert registry.REGISTRY["scratch_builtin"].kind == "schemathesis"
    assert registry.REGISTRY["scratch_builtin"].description == "a built-in"
    with pytest.raises(ValueError, match="'scratch_builtin' is registered twice"):
        registry.declare_builtin("scratch_builtin", "again")

    def undocumented(phase: object, outcome: Outcome) -> None:
        pass

    with pytest.raises(ValueError, match="undocumented has no docstring"):
        registry.register(registry.SEMANTIC)(undocumented)


@pytest.mark.parametrize(
    ("number", "known", "reason"),
    [
        (1, (), "needs a known annotation request ID, 0 given"),
        (2, ("a",), "needs 2 known IDs, 1 given"),
        (2, ("a", "b"), None),
        (1, ("a",), None),
    ],
)
def test_needs_known_ids(number: int, known: tuple[str, ...], reason: str | None) -> None:
    def check(phase: object, outcome: Outcome) -> None:
        """A check."""

    registry.needs_known_ids(number)(check)
    entry = registry.Check("c", registry.SEMANTIC, "d", check, tuple(registry._NEEDS.pop(check)))
    found = entry.unmet(Context(known_ids=known))
    if reason is None:
        assert found is None
    else:
        assert found is not None and found.reason == reason
        assert found.enable == f"pass {number} --known-id, or KNOWN_IDS=a,b to make conformance"


@pytest.mark.parametrize(
    ("largest", "reason"),
    [
        (None, "no known request has more than 1000 records: no known ID answered a count"),
        (
            ("medium", 45),
            "no known request has more than 1000 records: the largest count seen is 45 ('medium')",
        ),
        (
            ("edge", 1000),
            "no known request has more than 1000 records: the largest count seen is 1000 ('edge')",
        ),
        (("big", 1001), None),
    ],
)
def test_needs_request_over_names_the_largest_count(
    largest: tuple[str, int] | None, reason: str | None
) -> None:
    def check(phase: object, outcome: Outcome) -> None:
        """A check."""

    registry.needs_request_over(1000)(check)
    (precondition,) = registry._NEEDS.pop(check)
    found = precondition(Context(largest=largest))
    if reason is None:
        assert found is None
    else:
        assert found == NotRun(reason, "pass a --known-id with more than 1000 records")


def test_not_run_says_what_would_enable_it() -> None:
    assert str(NotRun("why", "how")) == "why (how)"
    assert str(NotRun("why")) == "why"
    outcome = Outcome()
    outcome.saw()
    outcome.saw(3)
    assert outcome.judged == 4 and outcome.failures == [] and outcome.not_run is None


def test_needs_unknown_id_says_how_to_give_one() -> None:
    # The option and the variable named here are what a user types to enable the check.
    assert str(registry._unknown_id(Context())) == (
        "no unknown annotation request ID given (pass --unknown-id with an ID the server "
        "does not know, or UNKNOWN_IDS=x)"
    )
    assert registry._unknown_id(Context(unknown_ids=("x",))) is None
