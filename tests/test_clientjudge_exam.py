"""clientjudge/exam.py and lessons.py: each lesson proven both ways with reference clients (D72)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from clientjudge.exam import Doomed, ExamError, Examiner, Outcome, Report, choose
from clientjudge.grades import render_html, render_text
from clientjudge.lessons import Doom, all_lessons, grade
from mockserver.app import create_app
from mockserver.config import Settings
from tests.support.exam_clients import (
    BAD,
    GOOD,
    Client,
    careful,
    impatient,
    retries_forever,
    watched,
)
from tests.support.inprocess import BASE_URL, InProcessTransport
from tests.support.journal import T0, entry

# The slow lesson's page takes this long here (3 s by default): real time, in the app.
SLOW_MS = 30


class FakeTime:
    def __init__(self) -> None:
        self.now = T0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@contextmanager
def examiner() -> Iterator[tuple[Examiner, httpx.Client, FakeTime]]:
    clock = FakeTime()
    app = create_app(Settings(), journal_clock=clock.time)
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL, timeout=30) as http:
        yield Examiner(http, BASE_URL), http, clock


def sit(client: Client) -> Report:
    with examiner() as (exam, http, clock):
        return exam.exam(choose(None, SLOW_MS), lambda url: client(http, url, clock.sleep))


def sit_watched(client: Client, lessons: list[str] | None = None) -> Report:
    """As `stardust-exam` examines a command: asked after every answer whether the lesson has
    already failed, and stopped there if so (C79)."""
    with examiner() as (exam, http, clock):
        run = watched(client, http._transport, clock.sleep)
        return exam.watched_exam(choose(lessons, SLOW_MS), run)


def failed_rules(report: Report) -> dict[str, set[str]]:
    """The lessons a report failed, each with the rules its findings name."""
    return {r.name: {f["rule"] for f in r.findings} for r in report.results if not r.passed}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_a_good_client_passes_every_lesson(name: str) -> None:
    report = sit(GOOD[name])
    failed = {r.name: r.findings for r in report.results if not r.passed}
    assert failed == {}
    assert report.passed == 7 and report.failed == 0


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_client_fails_exactly_its_lessons(name: str) -> None:
    client, expected = BAD[name]
    report = sit(client)
    failed = failed_rules(report)
    assert failed == expected
    assert report.failed == len(expected)


def test_an_impatient_client_fails_the_slow_lesson_only() -> None:
    # Its timeout (0.15 s) is shorter than the slow page (0.6 s here, real time in the app) and
    # far longer than any other page in-process; the other lessons it passes.
    with examiner() as (exam, http, clock):
        report = exam.exam(
            choose(["walk", "slow"], 600), lambda url: impatient(http, url, clock.sleep, 0.15)
        )
    walk, slow = report.results
    assert walk.passed and walk.exit_code == 0
    assert not slow.passed and [f["rule"] for f in slow.findings] == ["exam-exit-status"]


def test_the_report_as_json() -> None:
    client, _ = BAD["gives_up_silently"]
    data = sit(client).to_json()
    assert set(data) == {"lessons", "passed", "failed"} and (data["passed"], data["failed"]) == (
        5,
        2,
    )
    outage = next(lesson for lesson in data["lessons"] if lesson["name"] == "outage")
    assert outage["passed"] is False and outage["exit_code"] == 0
    assert [f["rule"] for f in outage["findings"]] == ["exam-silent-loss"]
    assert outage["findings"][0]["fix"]


def test_an_exception_is_the_client_reporting_failure() -> None:
    with examiner() as (exam, http, _clock):

        def raises(url: str) -> int:
            http.get(f"{url}/statistics/record", params={"annotationRequestId": "a"})
            raise RuntimeError("cannot read")

        report = exam.exam(choose(["outage", "walk"]), raises)
    outage, walk = report.results
    assert outage.passed and outage.exit_code == 1 and "RuntimeError" in outage.note
    assert not walk.passed and [f["rule"] for f in walk.findings] == ["exam-exit-status"]


def test_a_lesson_without_a_request_proves_nothing_and_fails() -> None:
    # D76 (C45): a client that never reached the lesson's URL is not graded as behaved,
    # whatever its exit status; before, one that raised at once passed the outage lesson.
    def raises(url: str) -> int:
        raise RuntimeError("wrong URL")

    with examiner() as (exam, _http, _clock):
        report = exam.exam(choose(["outage", "unknown-id"]), raises)
    assert report.failed == 2
    for lesson in report.results:
        assert [f["rule"] for f in lesson.findings] == ["exam-no-request"], lesson.name
        assert lesson.findings[0]["fix"].startswith("give the client the lesson's base URL")


def test_a_url_that_is_not_the_mocks_root_stops_the_exam_before_any_client_runs() -> None:
    ran: list[str] = []
    app = create_app(Settings())
    with httpx.Client(
        transport=InProcessTransport(app), base_url=BASE_URL + "/rosetta-open", timeout=30
    ) as http:
        exam = Examiner(http, BASE_URL + "/rosetta-open")
        with pytest.raises(
            ExamError, match=r"no mock's admin API at .*/rosetta-open/__mock/ \(404\)"
        ):
            exam.exam(choose(["walk"]), lambda url: ran.append(url) or 0)
    assert ran == []


def test_a_lesson_beyond_the_journals_size_says_what_it_judged() -> None:
    # A client that hammers the mock: the lesson counts every request it sent, and says the
    # findings judge the newest the journal kept.
    app = create_app(Settings(journal_size=20))
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL, timeout=30) as http:
        exam = Examiner(http, BASE_URL)

        def hammer(url: str) -> int:
            for _ in range(30):
                http.get(f"{url}/statistics/record", params={"annotationRequestId": "a"})
            return 1

        (outage,) = exam.exam(choose(["outage"]), hammer).results
    assert outage.requests == 30 and not outage.passed
    assert "kept the newest 20 of the lesson's 30 requests" in outage.note


def test_a_lesson_passed_in_one_page_says_paging_was_not_walked() -> None:
    def reads(limit: int) -> Client:
        def client(http: httpx.Client, url: str, sleep: object) -> int:
            offset = 1
            while True:
                params = {"annotationRequestId": "helix-39", "offset": offset, "limit": limit}
                body = http.get(f"{url}/statistics/record", params=params).json()
                if body["code"] != 2000:
                    return 1
                if offset * limit >= body["data"]["count"]:
                    return 0
                offset += 1

        return client

    with examiner() as (exam, http, clock):
        lessons = choose(["walk", "growing"])
        whole = exam.exam(lessons, lambda url: reads(1000)(http, url, clock.sleep))
        paged = exam.exam(lessons, lambda url: reads(10)(http, url, clock.sleep))
    walk, growing = whole.results
    assert walk.passed and walk.unproven.endswith("paging was not walked")
    assert growing.unproven.endswith("so no record was appended between its pages")
    text = render_text(whole.to_json())
    assert (
        text.splitlines()[0] == "Exam: passed every lesson (2, 2 without walking what it teaches)"
    )
    assert "not walked" in render_html(whole.to_json())
    assert [r.unproven for r in paged.results] == ["", ""]
    assert render_text(paged.to_json()).splitlines()[0] == "Exam: passed every lesson (2)"


def test_each_finding_quotes_the_requests_it_names() -> None:
    client, _ = BAD["retries_without_backoff"]
    data = sit(client).to_json()
    outage = next(lesson for lesson in data["lessons"] if lesson["name"] == "outage")
    hammered = next(f for f in outage["findings"] if f["rule"] == "exam-too-many-attempts")
    assert len(hammered["requests"]) > 10 and len(hammered["quoted"]) == 10
    first = hammered["quoted"][0]
    assert first.startswith(f"#{hammered['requests'][0]} ?") and "annotationRequestId=" in first


def test_unknown_lessons_are_refused() -> None:
    with pytest.raises(ValueError, match="lunch: choose from walk, hiccup, outage"):
        choose(["walk", "lunch"])


def test_the_documented_lessons_are_the_lessons() -> None:
    from clientjudge.lessons import LESSON_NAMES
    from conformance.launch import ROOT

    text = (ROOT / "docs" / "client-developers.md").read_text()
    table = text[text.index("| lesson | what the mock does |") :]
    documented = [line.split("`")[1] for line in table.splitlines()[2:] if line.startswith("| `")]
    assert tuple(documented) == LESSON_NAMES
    assert (ROOT / "docs" / "examples" / "exam_client.py").is_file()


# C79: a client whose lesson has failed for certain is stopped and graded at once.


def test_a_client_retrying_an_outage_forever_is_stopped_at_its_seventh_request() -> None:
    (outage,) = sit_watched(retries_forever, ["outage"]).results
    assert outage.requests == 7 and not outage.passed and outage.exit_code is None
    # The finding that made it certain; not a timeout, nor an exit status it was not let give.
    assert [f["rule"] for f in outage.findings] == ["exam-too-many-attempts"]
    assert outage.stopped == (
        "stopped early: exam-too-many-attempts at request "
        "#7 ?annotationRequestId=helix-39&offset=1&limit=10"
    )
    assert "7 requests for one page" in outage.findings[0]["message"]
    data = outage.to_json()
    assert data["stopped"] == outage.stopped and data["exit_code"] is None
    text = render_text(Report((outage,)).to_json())
    assert "      stopped early: exam-too-many-attempts at request #7" in text
    assert "stopped early: exam-too-many-attempts" in render_html(Report((outage,)).to_json())


@pytest.mark.parametrize("name", sorted(GOOD))
def test_a_good_client_is_never_stopped_early(name: str) -> None:
    # Asked after every single answer, every lesson: never doomed, and it passes them all.
    report = sit_watched(GOOD[name])
    assert [(r.name, r.stopped) for r in report.results if r.stopped] == []
    assert report.passed == 7 and report.failed == 0


# The bad clients that go on after their lesson's failure is certain, and where (the others
# end by themselves before anything of theirs is certain).
STOPPED_EARLY = {
    "retries_without_backoff": {"outage"},
    "rereads_when_count_changes": {"growing"},
}


@pytest.mark.parametrize("name", sorted(STOPPED_EARLY))
def test_a_bad_client_stopped_early_fails_exactly_its_lessons_as_unwatched(name: str) -> None:
    # Stopping early changes when a lesson is graded, never its grade.
    client, expected = BAD[name]
    report = sit_watched(client)
    failed = failed_rules(report)
    assert failed == expected
    assert {r.name for r in report.results if r.stopped} == STOPPED_EARLY[name]


@pytest.mark.parametrize(
    ("lesson", "tries", "doomed"),
    [
        ("outage", 6, False),  # the most an outage allows (--max-attempts' default)
        ("outage", 7, True),
        ("unknown-id", 7, True),
        # A lesson the client can pass: a later retry can still read the page.
        ("hiccup", 20, False),
    ],
)
def test_doom_counts_requests_for_one_page(lesson: str, tries: int, doomed: bool) -> None:
    query = "annotationRequestId=helix-39&offset=2&limit=10"
    # Gaps that grow (2, 4, 8... s): only the count of attempts is wrong.
    entries = [entry(n, query, code=5000, at=T0 + 2**n) for n in range(1, tries + 1)]
    doom = Doom(all_lessons()[lesson])
    assert all(doom.add([entry]) == "" for entry in entries[:-1])
    assert bool(doom.add(entries[-1:])) is doomed
    if doomed:
        assert doom.reason == f"exam-too-many-attempts at request #{tries} ?{query}"
        # And the grade of the same requests fails with that finding, whatever the exit.
        result = grade(all_lessons()[lesson], entries, None, stopped=doom.reason)
        assert [f["rule"] for f in result.findings] == ["exam-too-many-attempts"]


def test_doom_honours_max_attempts_and_tells_pages_apart() -> None:
    doom = Doom(all_lessons()["outage"], max_attempts=2)
    pages = ["offset=1", "offset=2", "offset=1&limit=20", "offset=1"]
    entries = [
        {"seq": n, "query": f"annotationRequestId=a&{page}", "code": 5000}
        for n, page in enumerate(pages + pages[:1], 1)
    ]
    assert doom.add(entries[:4]) == ""
    assert doom.add(entries[4:]).startswith("exam-too-many-attempts at request #5 ")


def test_doom_sees_a_page_read_twice_after_a_successful_answer() -> None:
    doom = Doom(all_lessons()["walk"])
    read = {"query": "annotationRequestId=a&offset=1", "code": 2000}
    assert doom.add([{**read, "seq": 1}, {**read, "seq": 2, "code": 5000}]) == ""
    assert doom.add([{**read, "seq": 3}]) == (
        "exam-page-read-twice at request #3 ?annotationRequestId=a&offset=1"
    )


def test_a_stopped_client_is_not_graded_as_timed_out_or_by_its_exit() -> None:
    query = "annotationRequestId=a&offset=1"
    reads = [entry(n, query, count=5, returned=5, limit=10) for n in (1, 2)]
    walk = all_lessons()["walk"]
    stopped = grade(walk, reads, None, stopped="stopped early: exam-page-read-twice")
    rules = {f["rule"] for f in stopped.findings}
    assert "exam-page-read-twice" in rules and not rules & {"exam-exit-status", "exam-timeout"}
    assert not stopped.passed and stopped.stopped == "stopped early: exam-page-read-twice"
    timed_out = grade(walk, reads, None)
    assert {f["rule"] for f in timed_out.findings} - rules == {"exam-exit-status", "exam-timeout"}


def test_a_watched_run_is_told_its_lesson_and_its_output_goes_into_the_grades() -> None:
    # The lesson's name labels the client's output (stardust-exam); its last lines are kept.
    told: list[str] = []
    with examiner() as (exam, http, clock):

        def run(url: str, lesson: str, doomed: Doomed) -> Outcome:
            told.append(lesson)
            code = careful(http, url, clock.sleep)
            return Outcome(code, output=(f"{lesson} done",))

        report = exam.watched_exam(choose(["walk", "hiccup"]), run)
    assert told == ["walk", "hiccup"]
    assert [r.output for r in report.results] == [("walk done",), ("hiccup done",)]
    assert report.to_json()["lessons"][1]["output"] == ["hiccup done"]
