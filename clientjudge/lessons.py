"""The exam's lessons and how one is graded, as pure functions over journal entries (D72).

A lesson is what the mock does to one run of the client (the scenarios set in a session of its
own); grading reads that session's journal entries and the client's exit status. The lesson
names are an interface: `walk`, `hiccup`, `outage`, `unknown-id`, `slow`, `growing`,
`new-values`. `exam.py` runs them; this module never touches the network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from clientjudge.exchanges import from_entry
from clientjudge.findings import ERROR, WARNING
from clientjudge.verdict import judge

SUCCESS = 2000
MAX_PAGE = 1000
DEFAULT_LIMIT = 10
# How many requests a client may send for one page while it cannot be had (outage,
# unknown-id) before it counts as hammering (D72; `--max-attempts`).
MAX_ATTEMPTS = 6
# The requests quoted per finding in the grades (the JSON and the page; D76).
QUOTED = 10
# The `slow` lesson's delay: one page takes this long (`--slow-ms` for tests).
SLOW_MS = 3000


@dataclass(frozen=True)
class Lesson:
    """What the mock does to one run of the client, and whether the run can succeed."""

    name: str
    teaches: str
    scenarios: tuple[Mapping[str, Any], ...]
    # False: nothing the client does can get the data (outage, unknown-id); it must give up
    # within a bounded number of attempts, with growing gaps, and report failure.
    can_succeed: bool = True


def all_lessons(slow_ms: int = SLOW_MS) -> dict[str, Lesson]:
    """Every lesson by name, in the order the exam runs them."""
    found = [
        Lesson("walk", "nothing provoked: read the data", ()),
        Lesson(
            "hiccup",
            "a page answers 5000 twice, then recovers",
            ({"name": "hiccup", "answer": 5000, "first": 2},),
        ),
        Lesson(
            "outage",
            "every request answers 5000",
            ({"name": "outage", "answer": 5000},),
            can_succeed=False,
        ),
        Lesson(
            "unknown-id",
            "53003 for the IDs asked",
            ({"name": "unknown-id", "answer": 53003},),
            can_succeed=False,
        ),
        Lesson(
            "slow",
            f"one page takes {slow_ms / 1000:g} s",
            ({"name": "slow", "delay_ms": slow_ms, "first": 1},),
        ),
        Lesson(
            "growing",
            "records are appended between pages, a few at a time, 30 in all",
            ({"name": "growing", "grow": {"records": 30, "step": 4, "every_requests": 1}},),
        ),
        Lesson(
            "new-values",
            "unknown enum values and extra fields (the drill)",
            ({"name": "new-values", "drill": True},),
        ),
    ]
    return {lesson.name: lesson for lesson in found}


LESSON_NAMES = tuple(all_lessons())


@dataclass(frozen=True)
class LessonResult:
    """One lesson graded: passed or not, the exit status, the findings with their fixes."""

    name: str
    passed: bool
    exit_code: int | None
    findings: tuple[Mapping[str, Any], ...]
    requests: int
    note: str = ""
    # What the lesson could not prove with this client (empty when it proved what it teaches).
    unproven: str = ""
    # Why the client was stopped before it finished, its failure already certain (C79).
    stopped: str = ""
    # The client's last lines of output in this lesson (`stardust-exam`'s runs; none in-process).
    output: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "findings": [dict(finding) for finding in self.findings],
            "requests": self.requests,
            "note": self.note,
            "unproven": self.unproven,
            "stopped": self.stopped,
            "output": list(self.output),
        }


def _finding(rule: str, message: str, fix: str, requests: Sequence[int]) -> dict[str, Any]:
    return {
        "rule": rule,
        "severity": ERROR,
        "message": message,
        "fix": fix,
        "requests": sorted(requests),
    }


def _page_of(entry: Mapping[str, Any]) -> tuple[tuple[str, ...], int, int] | None:
    """(IDs, limit served, offset) a request asked for; None when its query is not valid."""
    ids: list[str] = []
    offset, limit = 1, DEFAULT_LIMIT
    try:
        for name, value in parse_qsl(entry.get("query", ""), keep_blank_values=True):
            if name == "annotationRequestId":
                ids += [part for part in value.split(",") if part]
            elif name == "offset":
                offset = int(value)
            elif name == "limit":
                limit = int(value)
    except ValueError:
        return None
    if not ids or offset < 1 or limit < 1:
        return None
    return tuple(sorted(ids)), min(limit, MAX_PAGE), offset


def _quote(entry: Mapping[str, Any]) -> str:
    return f"#{entry['seq']} ?{entry.get('query', '')}"


class Doom:
    """The lesson's failure, once it is certain from the requests so far (C79).

    Fed the session's journal entries in order while the client runs (`stardust-exam` asks
    every fraction of a second), it says why the client can be stopped: a finding of `grade`
    that more requests can only keep. Two such findings exist: more than `max_attempts`
    requests for one page in a lesson where it cannot be had (`exam-too-many-attempts`), and a
    page read again after a successful answer (`exam-page-read-twice`). Every other finding
    can still go (a later retry reads the failed page, the client exits non-zero, pages on),
    so a client that behaves is never stopped: it never earns either. Counters per page only,
    so a client that hammers the mock costs the exam no more memory than its pages.
    """

    def __init__(self, lesson: Lesson, max_attempts: int = MAX_ATTEMPTS) -> None:
        self._lesson = lesson
        self._max_attempts = max_attempts
        self._tries: dict[tuple[tuple[str, ...], int, int], int] = defaultdict(int)
        self._reads: dict[tuple[tuple[str, ...], int, int], int] = defaultdict(int)
        self.reason = ""

    def add(self, entries: Sequence[Mapping[str, Any]]) -> str:
        """Take the next entries; the reason the lesson has failed for certain, or ""."""
        for entry in entries:
            if self.reason:
                break
            page = _page_of(entry)
            if page is None:
                continue
            ids, limit, offset = page
            key = (ids, offset, limit)
            self._tries[key] += 1
            self._reads[key] += _ok(entry)
            # The rule and the request that made it certain; the finding says the rest.
            if not self._lesson.can_succeed and self._tries[key] > self._max_attempts:
                self.reason = f"exam-too-many-attempts at request {_quote(entry)}"
            elif self._reads[key] > 1:
                self.reason = f"exam-page-read-twice at request {_quote(entry)}"
        return self.reason


def grade(
    lesson: Lesson,
    entries: Sequence[Mapping[str, Any]],
    exit_code: int | None,
    max_attempts: int = MAX_ATTEMPTS,
    note: str = "",
    stopped: str = "",
) -> LessonResult:
    """Grade one run: the verdict, the pages read, and the exit status against the lesson.

    `stopped` is why the exam stopped the client early (`Doom`, C79): its exit status is then
    none of the client's doing, so neither it nor a timeout is held against it; the finding
    that made the failure certain is.
    """
    verdict = judge([from_entry(entry) for entry in entries])
    findings: list[dict[str, Any]] = [f.to_json() for f in verdict.problems]
    by_page: dict[tuple[tuple[str, ...], int], dict[int, list[Mapping[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    attempts: dict[tuple[tuple[str, ...], int, int], list[Mapping[str, Any]]] = defaultdict(list)
    for entry in entries:
        page = _page_of(entry)
        if page is None:
            continue
        ids, limit, offset = page
        by_page[(ids, limit)][offset].append(entry)
        attempts[(ids, offset, limit)].append(entry)
    twice: list[Mapping[str, Any]] = []
    skipped: list[str] = []
    not_got_past: list[Mapping[str, Any]] = []
    for (ids, _limit), offsets in by_page.items():
        read = sorted(o for o, tries in offsets.items() if any(_ok(e) for e in tries))
        for offset in read:
            good = [e for e in offsets[offset] if _ok(e)]
            if len(good) > 1:
                twice.append(good[1])
        if read and read != list(range(1, read[-1] + 1)):
            missing = sorted(set(range(1, read[-1] + 1)) - set(read))
            skipped.append(f"{','.join(ids)} page(s) {missing} never read, page {read[-1]} was")
        for tries in offsets.values():
            provoked = [e for e in tries if _provoked_failure(e)]
            if provoked and not any(_ok(e) and e["seq"] > provoked[-1]["seq"] for e in tries):
                not_got_past.append(provoked[-1])
    if twice:
        findings.append(
            _finding(
                "exam-page-read-twice",
                f"a page was read again after a successful answer: {_quote(twice[0])}",
                "keep the pages already read; page on from the last one read",
                [e["seq"] for e in twice],
            )
        )
    if skipped:
        findings.append(
            _finding(
                "exam-pages-skipped",
                f"pages were skipped: {'; '.join(skipped[:3])}",
                "read every page from 1 up; retry a failed page instead of moving on",
                [],
            )
        )
    if lesson.can_succeed:
        if not_got_past:
            findings.append(
                _finding(
                    "exam-failure-not-got-past",
                    "a provoked failure was never followed by a successful read of that page: "
                    f"{_quote(not_got_past[0])}",
                    "retry a 5000 (with growing back-off) until the page is read",
                    [e["seq"] for e in not_got_past],
                )
            )
        unfinished = _not_read_to_end(by_page) if exit_code == 0 else []
        if unfinished:
            findings.append(
                _finding(
                    "exam-not-read-to-end",
                    "the client exited 0 but its last page was neither short nor the end of "
                    f"`count`: {_quote(unfinished[0])} (count {unfinished[0].get('count')})",
                    "page on until a page comes back short or offset x limit reaches `count`",
                    [e["seq"] for e in unfinished],
                )
            )
        if exit_code != 0 and not stopped:
            findings.append(
                _finding(
                    "exam-exit-status",
                    f"the client exited {_status(exit_code)} in a lesson it can pass "
                    f"({lesson.teaches})",
                    "get past the failure (retry, wait, tolerate unknown values) and exit 0",
                    [],
                )
            )
    else:
        if exit_code == 0:
            findings.append(
                _finding(
                    "exam-silent-loss",
                    f"the client exited 0 although no data could be had ({lesson.teaches}): "
                    "records were lost silently",
                    "report the failure: a non-zero exit status or an exception",
                    [],
                )
            )
        hammered = [tries for tries in attempts.values() if len(tries) > max_attempts]
        if hammered:
            findings.append(
                _finding(
                    "exam-too-many-attempts",
                    f"{len(hammered[0])} requests for one page ({_quote(hammered[0][0])}); at most "
                    f"{max_attempts} are allowed while it cannot be had",
                    f"give up after at most {max_attempts} attempts, with growing gaps",
                    [e["seq"] for e in hammered[0]],
                )
            )
    if exit_code is None and not stopped:
        findings.append(
            _finding(
                "exam-timeout",
                f"the client did not finish in time ({note or 'stopped'})",
                "bound the retries and the waiting; give up and report it",
                [],
            )
        )
    if not entries:
        # No request, no PASS (C45, D76): a client that never reached the lesson's URL proved
        # nothing, whatever its exit status.
        findings.append(
            _finding(
                "exam-no-request",
                "no request reached the mock in this lesson: nothing was graded",
                "give the client the lesson's base URL ({url} in its arguments, or "
                "STARDUST_MOCK_URL)",
                [],
            )
        )
    by_seq = {entry["seq"]: entry for entry in entries}
    for finding in findings:
        # The requests a finding names, quoted as the text quotes one (D76): the page shows them.
        named = [by_seq[seq] for seq in finding["requests"] if seq in by_seq]
        finding["quoted"] = [_quote(entry) for entry in named[:QUOTED]]
    problems = [f for f in findings if f["severity"] in (ERROR, WARNING)]
    unproven = ""
    read_pages = [
        sum(any(_ok(e) for e in tries) for tries in offsets.values())
        for offsets in by_page.values()
    ]
    if lesson.can_succeed and read_pages and max(read_pages) < 2:
        # A lesson passed on one page a request says so: paging, where the hiccup or the
        # appended records meet a client, was never walked (C45: nothing passes unjudged).
        unproven = "the client read each annotation request in one page: paging was not walked"
        if lesson.name == "growing":
            unproven += ", so no record was appended between its pages"
    return LessonResult(
        lesson.name, not problems, exit_code, tuple(findings), len(entries), note, unproven, stopped
    )


def _not_read_to_end(
    by_page: Mapping[tuple[tuple[str, ...], int], Mapping[int, list[Mapping[str, Any]]]],
) -> list[Mapping[str, Any]]:
    """Per IDs and limit, the last page read when it was not the last there was (D76)."""
    unfinished = []
    for (_ids, limit), offsets in by_page.items():
        read = [(offset, e) for offset, tries in offsets.items() for e in tries if _ok(e)]
        if not read:
            continue
        offset, last = max(read, key=lambda pair: (pair[0], pair[1]["seq"]))
        short = (last.get("returned") or 0) < limit
        if not short and offset * limit < (last.get("count") or 0):
            unfinished.append(last)
    return unfinished


def _ok(entry: Mapping[str, Any]) -> bool:
    return bool(entry.get("code") == SUCCESS)


def _provoked_failure(entry: Mapping[str, Any]) -> bool:
    return entry.get("scenario") is not None and entry.get("code") not in (None, SUCCESS)


def _status(exit_code: int | None) -> str:
    return "nothing (it was stopped)" if exit_code is None else str(exit_code)
