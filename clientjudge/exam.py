"""The exam: a client run once per lesson, each in a fresh session of a mock, then graded (D72).

`Examiner` talks to a running mock's admin API over an `httpx.Client` (a real one for
`stardust-exam` and the pytest plugin, an in-process one in tests): it sets a lesson's
scenarios in a session of its own, runs the client with the session's base URL, reads the
session's journal and grades it (`lessons.grade`). A run is a callable that takes the base
URL and returns the client's exit status; an exception it raises counts as the client
reporting failure, as a non-zero exit does. A watched run (`stardust-exam`'s) is also given
`doomed`, to ask while the client runs whether the lesson has already failed for certain, and
stops the client when it has (C79).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from clientjudge.lessons import (
    MAX_ATTEMPTS,
    SLOW_MS,
    Doom,
    Lesson,
    LessonResult,
    all_lessons,
    grade,
)

# A run of the client: the base URL in, the exit status out (None: it was stopped).
Run = Callable[[str], "int | None"]
# Asked while the client runs: why its lesson has failed for certain so far, or "" (C79).
Doomed = Callable[[], str]


@dataclass(frozen=True)
class Outcome:
    """How a watched run ended: the exit status (None: stopped), why it was stopped early
    when the lesson's failure was certain ("" when it was not), and the client's last lines
    of output (none when the run does not capture them)."""

    exit_code: int | None
    stopped: str = ""
    output: tuple[str, ...] = ()


# A run that can be stopped early: the base URL, the lesson's name (which labels the client's
# output) and the question to ask while it runs.
WatchedRun = Callable[[str, str, Doomed], Outcome]


class ExamError(RuntimeError):
    """The exam could not run (no mock, a mock without the admin API); exit 2."""


@dataclass(frozen=True)
class Report:
    results: tuple[LessonResult, ...]

    @property
    def passed(self) -> int:
        return sum(result.passed for result in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    def to_json(self) -> dict[str, Any]:
        return {
            "lessons": [result.to_json() for result in self.results],
            "passed": self.passed,
            "failed": self.failed,
        }


def choose(names: Sequence[str] | None, slow_ms: int = SLOW_MS) -> list[Lesson]:
    """The lessons named (all, in order, when None); an unknown name is a ValueError."""
    every = all_lessons(slow_ms)
    if names is None:
        return list(every.values())
    unknown = [name for name in names if name not in every]
    if unknown or not names:
        raise ValueError(f"{', '.join(unknown) or 'none'}: choose from {', '.join(every)}")
    return [every[name] for name in names]


class Examiner:
    """Runs lessons against the mock that `http` reaches (its base URL is the mock's)."""

    def __init__(
        self, http: httpx.Client, public_url: str, max_attempts: int = MAX_ATTEMPTS
    ) -> None:
        self._http = http
        # The mock's URL as the client under test reaches it.
        self._public_url = public_url.rstrip("/")
        self._max_attempts = max_attempts
        self._token = secrets.token_hex(3)

    def _admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        try:
            answer = self._http.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise ExamError(f"the mock does not answer at {self._public_url}: {error}") from None
        if answer.status_code >= 400:
            raise ExamError(
                f"the mock refused {method} {path} ({answer.status_code}): {answer.text[:300]}; "
                "the exam needs its admin API (the journal on, --workers 1)"
            )
        return answer

    def lesson(self, lesson: Lesson, run: Run) -> LessonResult:
        return self.watched_lesson(lesson, lambda url, _lesson, _doomed: Outcome(run(url)))

    def _doomed(self, session: str, lesson: Lesson) -> Doomed:
        """The question a watched run asks: the session's new journal entries, read since the
        last time it asked, fed to the lesson's `Doom`."""
        doom = Doom(lesson, self._max_attempts)
        seen = 0

        def doomed() -> str:
            nonlocal seen
            new = self._admin("GET", f"{session}/__mock/requests?since={seen}").json()
            if new["requests"]:
                seen = new["requests"][-1]["seq"]
            return doom.add(new["requests"])

        return doomed

    def watched_lesson(self, lesson: Lesson, run: WatchedRun) -> LessonResult:
        session = f"/__session/exam-{self._token}-{lesson.name}"
        for scenario in lesson.scenarios:
            self._admin("POST", f"{session}/__mock/scenarios", dict(scenario))
        note = ""
        try:
            outcome = run(self._public_url + session, lesson.name, self._doomed(session, lesson))
        except ExamError:
            raise
        except Exception as error:
            # An exception is the client reporting failure, as a non-zero exit is.
            outcome, note = Outcome(1), f"raised {type(error).__name__}: {error}"[:300]
        journal = self._admin("GET", f"{session}/__mock/requests").json()
        self._admin("DELETE", f"{session}/__mock/scenarios")
        entries = journal["requests"]
        result = grade(
            lesson, entries, outcome.exit_code, self._max_attempts, note, outcome.stopped
        )
        result = replace(result, output=outcome.output)
        if journal["dropped"]:
            # The grades say what they judged: a client that hammered the mock sent more than
            # its journal keeps, and the lesson's count is all it sent.
            kept = (
                f"the mock's journal kept the newest {len(entries)} of the lesson's "
                f"{journal['total']} requests (--journal-size); the findings judge those"
            )
            result = replace(
                result,
                requests=journal["total"],
                note=f"{result.note}; {kept}" if result.note else kept,
            )
        return result

    def check_mock(self) -> None:
        """Before any client runs: the mock's admin API answers at its root URL."""
        try:
            answer = self._http.get("/__mock/openapi.json")
        except httpx.HTTPError as error:
            raise ExamError(f"the mock does not answer at {self._public_url}: {error}") from None
        if answer.status_code != 200:
            raise ExamError(
                f"no mock's admin API at {self._public_url}/__mock/ ({answer.status_code}): "
                "give the mock's root URL (without /rosetta-open or another path), of a mock "
                "with its journal on"
            )

    def exam(self, lessons: Sequence[Lesson], run: Run) -> Report:
        self.check_mock()
        return Report(tuple(self.lesson(lesson, run) for lesson in lessons))

    def watched_exam(self, lessons: Sequence[Lesson], run: WatchedRun) -> Report:
        """The exam with runs that stop a client whose lesson has failed for certain (C79)."""
        self.check_mock()
        return Report(tuple(self.watched_lesson(lesson, run) for lesson in lessons))
