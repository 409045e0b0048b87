"""clientjudge/exam_cli.py: `stardust-exam` (D72, C68)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clientjudge.exam import Examiner
from clientjudge.exam_cli import OUTPUT_LINES, main, run_command

# A client as a team would write it: reads one request to the end, gives up at once on a
# 53003 (exit 1) and, if asked to, hides it (exit 0). Only what Python ships, and httpx.
CLIENT = """
import os, sys, httpx
hide = sys.argv[2] == "hide"
offset = 1
while True:
    body = httpx.get(sys.argv[1] + "/statistics/record",
                     params={"annotationRequestId": "helix-39", "offset": offset}).json()
    if body["code"] != 2000:
        sys.exit(0 if hide else 1)
    if offset * 10 >= body["data"]["count"]:
        break
    offset += 1
assert os.environ["STARDUST_MOCK_URL"] == sys.argv[1]
print("read", offset, "pages")
"""


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ([], "the client's command is missing"),
        (["--lessons", "walk,nap", "--", "x"], "--lessons: nap: choose from walk, hiccup"),
        (["--max-attempts", "0", "--", "x"], "--max-attempts: 0 is not a whole number >= 1"),
        (["--mock", "localhost:8080", "--", "x"], "--mock: 'localhost:8080' is not an http"),
        (["--timeout", "abc", "--", "x"], "--timeout: invalid float value: 'abc'"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    arguments: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(arguments) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("stardust-exam: error: ") and says in error
    assert "\n" not in error


def test_a_mock_that_does_not_answer_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    assert main(["--mock", "http://127.0.0.1:9", "--lessons", "walk", "--", "true"]) == 2
    assert "the mock does not answer at http://127.0.0.1:9" in capsys.readouterr().err


@pytest.mark.parametrize("program", ["no-such-client-of-ours", "./no/such/client.py"])
def test_a_client_command_that_does_not_exist_is_exit_2_before_anything_runs(
    program: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Not graded as a client that exited 1: nothing ran. Checked before the mock is asked.
    assert main(["--mock", "http://127.0.0.1:9", "--", program, "{url}"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == f"stardust-exam: error: cannot run {program!r}: no such command"


def test_an_interrupted_exam_is_one_line_and_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Examiner, "watched_exam", interrupted)
    assert main(["--mock", "http://127.0.0.1:9", "--", "true"]) == 130
    assert capsys.readouterr().err == ("stardust-exam: interrupted; no client left running\n")


def test_help_names_every_lesson(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = " ".join(capsys.readouterr().out.split())
    assert "walk, hiccup, outage, unknown-id, slow, growing, new-values" in listed


# A client that will not go: it ignores SIGTERM, and waits far longer than any test.
STUBBORN = (
    "echo $$ > {pid}; trap '' TERM; n=0; while [ $n -lt 300 ]; do sleep 0.1; n=$((n+1)); done"
)


def gone(pid_file: Path) -> bool:
    """The process is no more (a zombie waiting for init to reap it counts: it runs nothing),
    looked at for up to a second."""
    stat = Path(f"/proc/{int(pid_file.read_text())}/stat")
    for _ in range(20):
        try:
            if stat.read_text().rpartition(")")[2].split()[0] in ("Z", "X"):
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_a_client_whose_lesson_has_failed_is_stopped_then_killed(tmp_path: Path) -> None:
    # C79: once `doomed` names a certain failure, SIGTERM, then SIGKILL after the grace.
    pid = tmp_path / "pid"
    asked: list[float] = []

    def doomed() -> str:
        asked.append(time.monotonic())
        # Certain from the second question on, once the client is surely running.
        return "exam-too-many-attempts at request #7" if len(asked) >= 2 and pid.exists() else ""

    started = time.monotonic()
    outcome = run_command(
        ["sh", "-c", STUBBORN.format(pid=pid)], 30, "u", doomed, poll=0.05, grace=0.1
    )
    took = time.monotonic() - started
    assert outcome.exit_code is None and len(asked) >= 2
    assert outcome.stopped == (
        "stopped early, its failure already certain: exam-too-many-attempts at request #7"
    )
    assert gone(pid) and took < 5


@pytest.mark.slow
def test_a_stop_reaches_the_processes_a_wrapper_started(tmp_path: Path) -> None:
    # `sh wrapper.sh` as a client command: the stubborn client is its child, in its group.
    pid = tmp_path / "pid"
    (tmp_path / "client.sh").write_text(STUBBORN.format(pid=pid))
    (tmp_path / "wrapper.sh").write_text(f"sh {tmp_path / 'client.sh'} & wait\n")
    started = time.monotonic()
    outcome = run_command(
        ["sh", str(tmp_path / "wrapper.sh")],
        30,
        "u",
        lambda: "exam-too-many-attempts" if pid.exists() else "",
        poll=0.05,
        grace=0.1,
    )
    assert outcome.stopped.endswith("exam-too-many-attempts") and gone(pid)
    assert time.monotonic() - started < 5


@pytest.mark.slow
def test_a_process_the_client_leaves_behind_does_not_hold_the_exam(tmp_path: Path) -> None:
    # The client exits 0 and leaves a process holding its output open: graded at once, its
    # output so far kept; the process left behind is not the exam's to stop.
    group = tmp_path / "group"
    script = f"echo $$ > {group}; echo starting; sleep 30 & exit 0"
    started = time.monotonic()
    outcome = run_command(["sh", "-c", script], 30, "u", poll=0.05, grace=0.1)
    assert time.monotonic() - started < 5
    assert outcome.exit_code == 0 and outcome.output == ("starting",)
    os.killpg(int(group.read_text()), signal.SIGKILL)  # the test's own leftover


@pytest.mark.slow
def test_a_client_is_never_stopped_while_its_lesson_can_still_pass(tmp_path: Path) -> None:
    # Asked every 0.05 s and never doomed: the client runs to its own end and exit status.
    asked: list[int] = []
    outcome = run_command(
        ["sh", "-c", "sleep 0.2; exit 3"], 30, "u", lambda: asked.append(1) or "", poll=0.05
    )
    assert outcome.exit_code == 3 and outcome.stopped == "" and len(asked) >= 3


@pytest.mark.slow
def test_a_client_that_outlasts_the_timeout_is_stopped_then_killed(tmp_path: Path) -> None:
    pid = tmp_path / "pid"
    started = time.monotonic()
    outcome = run_command(["sh", "-c", STUBBORN.format(pid=pid)], 0.3, "u", grace=0.1)
    # Stopped at the timeout, not waited for (it would go by itself after 30 s).
    assert time.monotonic() - started < 5
    assert outcome.exit_code is None and outcome.stopped == "" and gone(pid)


@pytest.mark.slow
def test_the_clients_output_is_labelled_with_its_lesson(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Standard output and error alike, in the order written, a last line without its newline.
    script = "echo one; echo two >&2; printf 'three'"
    outcome = run_command(["sh", "-c", script], 30, "u", lesson="outage", poll=0.05)
    assert capsys.readouterr().err == "[outage] one\n[outage] two\n[outage] three\n"
    assert outcome.exit_code == 0 and outcome.output == ("one", "two", "three")


@pytest.mark.slow
def test_the_outcome_keeps_the_clients_last_lines_only(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_command(["seq", "1", "50"], 30, "u", lesson="walk", poll=0.05)
    relayed = capsys.readouterr().err.splitlines()
    assert len(relayed) == 50 and relayed[0] == "[walk] 1" and relayed[-1] == "[walk] 50"
    assert outcome.output == tuple(str(n) for n in range(51 - OUTPUT_LINES, 51))


# Retries the outage's 5000 with growing gaps, and never gives up.
FOREVER = """
import sys, time, httpx
gap = 0.02
while True:
    httpx.get(sys.argv[1] + "/statistics/record", params={"annotationRequestId": "helix-39"})
    time.sleep(gap)
    gap *= 1.3
"""


@pytest.mark.heavy
def test_a_real_client_retrying_an_outage_forever_is_stopped_early(tmp_path: Path) -> None:
    # C79 end to end: graded in seconds, not after --timeout.
    script = tmp_path / "forever.py"
    script.write_text(FOREVER)
    out = tmp_path / "exam.json"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "clientjudge.exam_cli", "--lessons", "outage", "--timeout", "60",
         "--json", str(out), "--", sys.executable, str(script), "{url}"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert time.monotonic() - started < 30
    (outage,) = json.loads(out.read_text())["lessons"]
    assert outage["exit_code"] is None and 7 <= outage["requests"] < 20
    assert outage["stopped"].startswith(
        "stopped early, its failure already certain: exam-too-many-attempts at request #7 "
    )
    assert "exam-timeout" not in done.stdout and "stopped early" in done.stdout


# The heavy tier (CI, make test-heavy): seconds of processes, kept out of make test's minute.
@pytest.mark.heavy
def test_an_exam_of_a_real_client_with_the_exams_own_mock(tmp_path: Path) -> None:
    script = tmp_path / "client.py"
    script.write_text(CLIENT)

    def exam(mode: str) -> tuple[int, str, dict[str, object]]:
        out = tmp_path / f"{mode}.json"
        done = subprocess.run(
            [sys.executable, "-m", "clientjudge.exam_cli", "--lessons", "walk,unknown-id",
             "--json", str(out), "--report-dir", str(tmp_path / mode), "--",
             sys.executable, str(script), "{url}", mode],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        # The client's lines, labelled by lesson on standard error (not among the grades).
        assert "[walk] read 10 pages" in done.stderr.splitlines(), done.stderr
        assert "read 10 pages" not in done.stdout
        return done.returncode, done.stdout, json.loads(out.read_text())

    code, text, data = exam("report")
    assert code == 0, text
    walk = data["lessons"][0]  # type: ignore[index]
    assert walk["name"] == "walk" and walk["output"] == ["read 10 pages"]
    assert "[walk] read 10 pages" in (tmp_path / "report" / "exam.html").read_text()
    assert (data["passed"], data["failed"]) == (2, 0)
    assert "Exam: passed every lesson (2)" in text
    code, text, data = exam("hide")
    assert code == 1
    lessons = {lesson["name"]: lesson for lesson in data["lessons"]}  # type: ignore[attr-defined]
    assert lessons["unknown-id"]["findings"][0]["rule"] == "exam-silent-loss"
    assert "unknown-id   FAILED  0" in text
    page = (tmp_path / "hide" / "exam.html").read_text()
    assert "exam-silent-loss" in page and "<table>" in page
