"""Every command the README shows runs as shown (C50).

The commands are read from the README's fenced `sh` blocks, so the page is what is tested.
Each is run from the checkout as a reader runs it, with two changes only: the ports it
names (the mock's 8080, the proxy's 8081) become free ones, and reports go to a temporary
folder (`ARGS=--report-dir`, for the targets that write any). Servers (`make mock`,
`make proxy`) are started, asked a request, and stopped with SIGINT, as Ctrl-C does. `make
test` runs with `PYTEST_ADDOPTS=--collect-only`: its command line and every test's import
are checked without running the suite inside itself. A README command no runner here
recognises fails the first test, so a command cannot be added untested.

Only the reading of the commands is in `make test`: running them starts make, three mocks,
a proxy and two conformance runs, tens of seconds of CPU that `make test`'s minute has no
room for, so they are the heavy tier (`make test-heavy`, run by CI).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from conformance.launch import HOST, ROOT, free_port, wait_until_serving

README = ROOT / "README.md"
MOCK_PORT, PROXY_PORT = "8080", "8081"
DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"

# How each command is run; every README command must match exactly one.
KINDS = {
    "mock": re.compile(r"^make mock\b"),
    "curl": re.compile(r"^curl "),
    "proxy": re.compile(r"^make proxy\b"),
    "conformance": re.compile(r"^make conformance\b"),
    "test": re.compile(r"^make test$"),
}


def commands() -> list[str]:
    """The README's shell commands: each line of its `sh` blocks, comments dropped."""
    text = README.read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        for line in block.splitlines():
            # A comment starts at ` #` outside quotes; shlex finds where the words end.
            words = shlex.split(line, comments=True)
            if words:
                lines.append(shlex.join(words))
    return lines


def of_kind(kind: str) -> list[str]:
    return [command for command in commands() if KINDS[kind].match(command)]


def environment() -> dict[str, str]:
    """This environment without the variables of a make that may be running the tests."""
    drop = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTEST_XDIST_WORKER"}
    return {name: value for name, value in os.environ.items() if name not in drop}


def local(command: str, mock_port: int | str = MOCK_PORT) -> list[str]:
    """The command as run here: the mock's address made the test's."""
    words = shlex.split(command.replace(f"{HOST}:{MOCK_PORT}", f"{HOST}:{mock_port}"))
    return words


def option(command: str, name: str) -> str | None:
    """The value of an option of the mock passed in `ARGS='...'`, if the command has it."""
    for word in shlex.split(command):
        if word.startswith("ARGS="):
            arguments = shlex.split(word.removeprefix("ARGS="))
            if name in arguments[:-1]:
                return arguments[arguments.index(name) + 1]
    return None


@contextmanager
def serving(words: list[str], probe: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`words` (a make target) running until the block ends, then SIGINT to its group.

    Its output goes to the file `log`: a pipe nobody reads fills with the access log, and the
    server then blocks on its next line.
    """
    with log.open("wb") as output:
        process = subprocess.Popen(
            words,
            cwd=ROOT,
            env=environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make and its child: one group, stopped together
        )
    try:
        wait_until_serving(probe, process, timeout=120)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def started_mock(command: str) -> tuple[list[str], int]:
    port = free_port()
    return [*local(command), f"PORT={port}"], port


def test_every_readme_command_has_a_runner() -> None:
    found = commands()
    assert found, "no ```sh block found in README.md"
    unmatched = [c for c in found if sum(bool(k.match(c)) for k in KINDS.values()) != 1]
    assert unmatched == [], f"give each a runner in tests/test_readme.py: {unmatched}"
    assert all(of_kind(kind) for kind in KINDS), "a runner for a command the README dropped"


def test_every_target_in_the_readme_table_is_a_make_rule() -> None:
    targets = re.findall(r"^\| `make ([\w-]+)", README.read_text(encoding="utf-8"), re.MULTILINE)
    rules = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    assert len(targets) >= 10 and set(targets) - rules == set()


def test_the_readme_stays_a_map() -> None:
    # A few screens (issue 28): detail goes to the audience pages under docs/.
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; move detail to docs/"
    for page in ("client-developers.md", "ci.md", "contract-maintainers.md", "operators.md"):
        assert f"](docs/{page})" in README.read_text(encoding="utf-8"), page


def test_the_commands_are_read_as_a_shell_reads_them() -> None:
    # Comments dropped, quotes kept: what runs is what a reader pastes.
    assert "make mock" in commands()
    assert any("ARGS='--fault-rate" in c or "'ARGS=--fault-rate" in c for c in of_kind("mock"))


@pytest.mark.heavy
def test_the_mock_curl_and_proxy_commands_work(tmp_path: Path) -> None:
    first, *others = of_kind("mock")
    words, port = started_mock(first)
    with serving(words, f"http://{HOST}:{port}/openapi.json", tmp_path / "mock.log"):
        for command in of_kind("curl"):
            done = subprocess.run(
                local(command, port), capture_output=True, text=True, timeout=60, check=False
            )
            assert done.returncode == 0, done.stderr
            page = json.loads(done.stdout)
            # The quick start's request: page 2 of size 1 of the documentation's example.
            assert page["code"] == 2000 and page["data"]["count"] == 1930
            assert len(page["data"]["data"]) == 1
        for command in of_kind("proxy"):
            proxy_port = free_port()
            proxy = [
                *local(command, port),
                f"UPSTREAM=http://{HOST}:{port}",
                f"PROXY_PORT={proxy_port}",
                f"ARGS=--report-dir {tmp_path / 'proxy'}",
            ]
            url = f"http://{HOST}:{proxy_port}/statistics/record"
            with serving(proxy, url, tmp_path / "proxy.log"):
                answer = httpx.get(url, params={"annotationRequestId": DOC_ID}, timeout=30)
                assert answer.status_code == 200 and answer.json()["data"]["count"] == 1930
                assert "x-contract-violations" not in answer.headers
            # Stopped as Ctrl-C stops it: the session's reports are written.
            output = (tmp_path / "proxy.log").read_text(errors="replace")
            assert (tmp_path / "proxy" / "junit.xml").is_file(), output
    for index, command in enumerate(others):
        words, port = started_mock(command)
        log = tmp_path / f"mock{index}.log"
        with serving(words, f"http://{HOST}:{port}/openapi.json", log):
            answer = httpx.get(
                f"http://{HOST}:{port}/statistics/record",
                params={"annotationRequestId": DOC_ID},
                timeout=30,
            )
            # The options shown reach the mock: its `date` is in the zone the command names.
            assert answer.status_code in {200, 500}  # a fault rate may answer 5000
            zone = option(command, "--timezone")
            if zone:
                now = datetime.now(ZoneInfo(zone)).replace(tzinfo=None)
                date = datetime.strptime(answer.json()["date"], "%Y-%m-%d %H:%M:%S")
                assert abs((date - now).total_seconds()) < 300, (date, now)


@pytest.mark.heavy
def test_the_conformance_commands_pass_against_the_mock(tmp_path: Path) -> None:
    words, port = started_mock(of_kind("mock")[0])
    with serving(words, f"http://{HOST}:{port}/openapi.json", tmp_path / "mock.log"):
        for index, command in enumerate(of_kind("conformance")):
            reports = tmp_path / f"run{index}"
            done = subprocess.run(
                [*local(command, port), f"ARGS=--report-dir {reports}"],
                cwd=ROOT,
                env=environment(),
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            assert (reports / "junit.xml").is_file()


@pytest.mark.heavy
def test_make_test_collects_every_test() -> None:
    (command,) = of_kind("test")
    done = subprocess.run(
        shlex.split(command),
        cwd=ROOT,
        env={**environment(), "PYTEST_ADDOPTS": "--collect-only -q"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    collected = re.search(r"(\d+) tests collected", done.stdout)
    assert collected and int(collected.group(1)) > 500, done.stdout[-2000:]


PAGES = (
    "README.md",
    "CONTRIBUTING.md",
    "ARCHITECTURE.md",
    *(f"docs/{p.name}" for p in sorted((ROOT / "docs").glob("*.md"))),
)


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a page's headings."""
    headings = re.findall(r"^#{1,6} (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_the_links_between_the_readme_and_the_docs_pages_resolve() -> None:
    # Text moved between pages (issue 28): a link to a moved section must follow it.
    broken = []
    for name in PAGES:
        page = ROOT / name
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists() or (anchor and anchor not in anchors(linked)):
                broken.append(f"{name}: {target}")
    assert broken == []
