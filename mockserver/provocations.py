"""Scenarios the test sets, not the client: provocations matched per request (D67).

A scenario matches requests (by annotation request ID, `offset`, `limit`, or any request) and
answers them with a documented outcome (5000, 53003, 4005, 401/402/403), a delay, or a drill,
in a count form (the first K matching, or from the N-th on) or a seeded rate form. They come
from `--scenario FILE` (validated at start-up as fixtures are) or the admin API's
`/__mock/scenarios`; nothing applies unless someone sets one, so the conformance suite's
traffic is never provoked by accident. Every journal entry names the scenario that shaped its
answer, so a verdict tells a provoked 5000 from a real one.

Each scenario counts its own matching requests, whether or not another scenario fired on the
same request; of those that fire, the one set first shapes the answer.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from mockserver.drill import DRILLS
from mockserver.errors import (
    AuthenticationFailed,
    BusinessError,
    InvalidParameter,
    ServiceHiccup,
    SignatureExpired,
    UnknownAnnotationRequest,
    WrongSignature,
)
from mockserver.scenarios import MAX_DELAY_MS

# The documented outcomes a scenario may answer, by business code (4005 has its own message).
OUTCOMES: dict[int, type[BusinessError]] = {
    5000: ServiceHiccup,
    53003: UnknownAnnotationRequest,
    401: WrongSignature,
    402: AuthenticationFailed,
    403: SignatureExpired,
}
INVALID = 4005
ANSWERS = (*OUTCOMES, INVALID)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_KEYS = {"name", "match", "answer", "delay_ms", "drill", "grow", "first", "from", "rate", "seed"}
_GROW_KEYS = {"records", "step", "every_s", "every_requests"}
_MATCH_KEYS = {"annotationRequestId", "offset", "limit"}
# A scenario file's top level.
_FILE_KEYS = {"scenarios"}


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names where (file and field, or field)."""


@dataclass(frozen=True)
class Match:
    """Which requests a scenario looks at; a field left out matches anything."""

    request_id: str | None = None
    offset: int | None = None
    limit: int | None = None

    def matches(self, ids: Sequence[str], offset: int, limit: int) -> bool:
        return (
            (self.request_id is None or self.request_id in ids)
            and (self.offset is None or self.offset == offset)
            and (self.limit is None or self.limit == limit)
        )

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.request_id is not None:
            found["annotationRequestId"] = self.request_id
        if self.offset is not None:
            found["offset"] = self.offset
        if self.limit is not None:
            found["limit"] = self.limit
        return found


@dataclass(frozen=True)
class Growth:
    """Records appended to the matching requests' data as the clock or the requests go (D71).

    The request is served as a prefix of its full order: `records` fewer at first, then `step`
    more every `every_s` seconds of the mock's clock (or every `every_requests` matching
    requests), until all are there. Appended records come last (ids ascending), a record
    never changes once served, and every page is a slice of the one order.
    """

    records: int
    step: int
    every_s: float | None = None
    every_requests: int | None = None

    def visible(self, full: int, nth: int, elapsed: float) -> int:
        """How many of `full` records exist at the `nth` matching request, `elapsed` seconds
        of the mock's clock after the first."""
        held_back = min(self.records, full)
        if self.every_requests is not None:
            steps = (nth - 1) // self.every_requests
        else:
            steps = int(max(0.0, elapsed) // (self.every_s or 1.0))
        return full - held_back + min(held_back, steps * self.step)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"records": self.records, "step": self.step}
        if self.every_requests is not None:
            found["every_requests"] = self.every_requests
        else:
            found["every_s"] = self.every_s
        return found


@dataclass(frozen=True)
class Scenario:
    """One provocation: what it matches, what it answers, and when it fires."""

    name: str
    match: Match = Match()
    answer: int | None = None
    delay_ms: int = 0
    drill: tuple[str, ...] = ()
    grow: Growth | None = None
    first: int | None = None
    start: int | None = None
    rate: float | None = None
    seed: int = 0

    def error(self) -> BusinessError | None:
        """The outcome to answer, as the exception the error handler turns into its envelope."""
        if self.answer is None:
            return None
        if self.answer == INVALID:
            return InvalidParameter("(scenario)", f"{self.name} answers 4005")
        return OUTCOMES[self.answer]()

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"name": self.name, "match": self.match.to_json()}
        if self.answer is not None:
            found["answer"] = self.answer
        if self.delay_ms:
            found["delay_ms"] = self.delay_ms
        if self.drill:
            found["drill"] = list(self.drill)
        if self.grow is not None:
            found["grow"] = self.grow.to_json()
        if self.first is not None:
            found["first"] = self.first
        if self.start is not None:
            found["from"] = self.start
        if self.rate is not None:
            found["rate"], found["seed"] = self.rate, self.seed
        return found


Where = Callable[..., str]


def _whole(value: Any, where: str, lowest: int, highest: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < lowest:
        raise ScenarioError(f"{where}: must be a whole number of at least {lowest}, got {value!r}")
    if highest is not None and value > highest:
        raise ScenarioError(f"{where}: must be at most {highest}, got {value!r}")
    return value


def _only_known(raw: dict[Any, Any], known: Collection[str], where: Where, *at: str) -> None:
    """Refuse the first key of `raw` (a mapping at `at`) that is not among `known`."""
    for key in raw:
        if key not in known:
            raise ScenarioError(
                f"{where(*at, str(key))}: unknown key; known: {', '.join(sorted(known))}"
            )


def parse_scenario(raw: Any, where: Where) -> Scenario:
    """One scenario from its YAML/JSON form; `where(*fields)` names a place for the message."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where()}: must be a mapping with a name and an answer")
    _only_known(raw, _KEYS, where)
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ScenarioError(
            f"{where('name')}: must be 1-64 letters, digits, '.', '_' or '-', got {name!r}"
        )
    match = _parse_match(raw.get("match", {}), where)
    answer = raw.get("answer")
    if answer is not None and (isinstance(answer, bool) or answer not in ANSWERS):
        accepted = ", ".join(str(code) for code in ANSWERS)
        raise ScenarioError(f"{where('answer')}: must be one of {accepted}, got {answer!r}")
    delay_ms = _whole(raw.get("delay_ms", 0), where("delay_ms"), 0, MAX_DELAY_MS)
    drill = raw.get("drill", [])
    if drill is True:
        drill = list(DRILLS)
    if not isinstance(drill, list) or any(name not in DRILLS for name in drill):
        raise ScenarioError(
            f"{where('drill')}: must be true or a list of {', '.join(DRILLS)}, got {drill!r}"
        )
    grow = _parse_grow(raw["grow"], where) if "grow" in raw else None
    if answer is None and not delay_ms and not drill and grow is None:
        raise ScenarioError(f"{where()}: says neither an answer, a delay_ms, a drill nor grow")
    forms = [key for key in ("first", "from", "rate") if key in raw]
    if len(forms) > 1:
        raise ScenarioError(f"{where(forms[1])}: give one of first, from and rate, not several")
    first = _whole(raw["first"], where("first"), 1) if "first" in raw else None
    start = _whole(raw["from"], where("from"), 1) if "from" in raw else None
    rate: float | None = None
    if "rate" in raw:
        value = raw["rate"]
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
            raise ScenarioError(f"{where('rate')}: must be a number from 0 to 1, got {value!r}")
        rate = float(value)
    if "seed" in raw and rate is None:
        raise ScenarioError(f"{where('seed')}: only the rate form takes a seed")
    seed = _whole(raw.get("seed", 0), where("seed"), 0)
    return Scenario(name, match, answer, delay_ms, tuple(drill), grow, first, start, rate, seed)


def _parse_grow(raw: Any, where: Where) -> Growth:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where('grow')}: must be a mapping of {sorted(_GROW_KEYS)}")
    _only_known(raw, _GROW_KEYS, where, "grow")
    records = _whole(raw.get("records"), where("grow", "records"), 1, 1_000_000)
    step = _whole(raw.get("step", 1), where("grow", "step"), 1)
    if ("every_s" in raw) == ("every_requests" in raw):
        raise ScenarioError(f"{where('grow')}: give one of every_s and every_requests")
    if "every_requests" in raw:
        every = _whole(raw["every_requests"], where("grow", "every_requests"), 1)
        return Growth(records, step, every_requests=every)
    seconds = raw["every_s"]
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ScenarioError(
            f"{where('grow', 'every_s')}: must be a number of seconds above 0, got {seconds!r}"
        )
    return Growth(records, step, every_s=float(seconds))


def _parse_match(raw: Any, where: Where) -> Match:
    if raw in (None, "any"):
        return Match()
    if not isinstance(raw, dict):
        raise ScenarioError(
            f"{where('match')}: must be 'any' or a mapping of {sorted(_MATCH_KEYS)}"
        )
    _only_known(raw, _MATCH_KEYS, where, "match")
    request_id = raw.get("annotationRequestId")
    if request_id is not None and (not isinstance(request_id, str) or not request_id):
        raise ScenarioError(
            f"{where('match', 'annotationRequestId')}: must be a non-empty string, "
            f"got {request_id!r}"
        )
    offset = raw.get("offset")
    limit = raw.get("limit")
    return Match(
        request_id,
        None if offset is None else _whole(offset, where("match", "offset"), 1),
        None if limit is None else _whole(limit, where("match", "limit"), 1),
    )


def places(prefix: str, *base: str | int) -> Where:
    """A `where` function: `prefix: scenarios[2].match.offset` (the admin API: no prefix)."""

    def where(*fields: str | int) -> str:
        parts = (*base, *fields)
        location = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
        location = location.lstrip(".")
        if not prefix:
            return location or "body"
        return f"{prefix}: {location or 'top level'}"

    return where


def parse_many(document: Any, prefix: str) -> list[Scenario]:
    """`{"scenarios": [...]}` or one scenario's mapping; names must be unique."""
    if isinstance(document, dict) and set(document) <= _FILE_KEYS and document:
        items = document["scenarios"]
        if not isinstance(items, list):
            raise ScenarioError(f"{places(prefix)('scenarios')}: must be a list")
        found = [
            parse_scenario(item, places(prefix, "scenarios", i)) for i, item in enumerate(items)
        ]
    else:
        found = [parse_scenario(document, places(prefix))]
    seen: set[str] = set()
    for index, scenario in enumerate(found):
        if scenario.name in seen:
            raise ScenarioError(
                f"{places(prefix, 'scenarios', index)('name')}: {scenario.name!r} twice"
            )
        seen.add(scenario.name)
    return found


def load_file(path: Path) -> list[Scenario]:
    """A `--scenario` file (YAML or JSON), validated; a mistake names the file and field."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ScenarioError(f"{path}: cannot be read: {error}") from error
    if not isinstance(document, dict) or set(document) != _FILE_KEYS:
        raise ScenarioError(f"{path}: top level: must be a mapping with one key, 'scenarios'")
    return parse_many(document, str(path))


def load_files(paths: Sequence[Path]) -> list[Scenario]:
    """Every `--scenario` file, in order; a name set in two files is a mistake."""
    found: list[Scenario] = []
    origin: dict[str, Path] = {}
    for path in paths:
        for scenario in load_file(path):
            if scenario.name in origin:
                raise ScenarioError(
                    f"{path}: {scenario.name!r} is also set in {origin[scenario.name]}"
                )
            origin[scenario.name] = path
            found.append(scenario)
    return found


class Fired(NamedTuple):
    """The scenario that shapes a request's answer, the request's place among its matches, and
    the mock's seconds since the scenario's first match (for growth)."""

    scenario: Scenario
    nth: int
    elapsed: float


@dataclass
class _Live:
    """A scenario set, with its own count of matching requests and its seeded stream."""

    scenario: Scenario
    matched: int = 0
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random)
    # The mock's time at the first matching request.
    started: float | None = None

    def consider(self, ids: Sequence[str], offset: int, limit: int, now: float) -> bool:
        scenario = self.scenario
        if not scenario.match.matches(ids, offset, limit):
            return False
        self.matched += 1
        if self.started is None:
            self.started = now
        if scenario.first is not None:
            fires = self.matched <= scenario.first
        elif scenario.start is not None:
            fires = self.matched >= scenario.start
        elif scenario.rate is not None:
            fires = self.rng.random() < scenario.rate
        else:
            fires = True
        self.fired += fires
        return fires


class ScenarioBook:
    """The scenarios set, in the order they were set; one per session (or for the mock)."""

    def __init__(self, scenarios: Sequence[Scenario] = ()) -> None:
        self._live: dict[str, _Live] = {}
        # The same dict, read by the handler on every request: empty is falsy in one C call.
        self.live: dict[str, Any] = self._live
        for scenario in scenarios:
            self.add(scenario)

    def __bool__(self) -> bool:
        return bool(self._live)

    def add(self, scenario: Scenario) -> None:
        """Set a scenario; setting one of the same name replaces it and starts its count again."""
        self._live.pop(scenario.name, None)
        self._live[scenario.name] = _Live(scenario, rng=random.Random(scenario.seed))

    def delete(self, name: str) -> bool:
        return self._live.pop(name, None) is not None

    def clear(self) -> None:
        self._live.clear()

    def listing(self) -> list[dict[str, Any]]:
        return [
            {**live.scenario.to_json(), "matched": live.matched, "fired": live.fired}
            for live in self._live.values()
        ]

    def choose(self, ids: Sequence[str], offset: int, limit: int, now: float = 0.0) -> Fired | None:
        """The scenario that shapes this request's answer, if any; every match is counted.

        `now` is the mock's clock (the session's), which growth reads.
        """
        chosen: Fired | None = None
        for live in self._live.values():
            if live.consider(ids, offset, limit, now) and chosen is None:
                chosen = Fired(live.scenario, live.matched, now - (live.started or now))
        return chosen
