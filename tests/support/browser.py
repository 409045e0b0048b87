"""A page opened in headless Chromium, watched through the DevTools protocol.

Chromium runs with `--remote-debugging-pipe`: DevTools messages, NUL-separated JSON, on file
descriptors 3 (commands in) and 4 (replies and events out), so no port is opened. For each
page: every network request the page made, every console or log error, any uncaught
exception, and what a script read from the rendered DOM. One browser serves several pages.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-pipe",
)
TIMEOUT = 30.0


def find() -> str | None:
    """The Chromium binary, or None (the tests then skip, saying so)."""
    for candidate in CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


@dataclass
class Page:
    """What one page did while it loaded."""

    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dom: Any = None


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], commands: int, replies: int) -> None:
        self.process = process
        self.commands = commands
        self.replies = replies
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.replies], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.replies, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        found: dict[str, Any] = json.loads(message)
        return found

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """One command; its result. Events that arrive meanwhile are kept in `events`."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not any(
            e.get("method") == method and e.get("sessionId") == session for e in self.events
        ):
            self.events.append(self._read(deadline))

    def open(self, path: Path, script: str) -> Page:
        """Load `path` from disk in a fresh tab; `script` (an expression) reads its DOM."""
        url = path.resolve().as_uri()
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session)
        self.events.clear()
        self.send("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        value = self.send("Runtime.evaluate", session, expression=script, returnByValue=True)[
            "result"
        ].get("value")
        # A moment for late console messages (a CSP report comes after the load event).
        self.send("Runtime.evaluate", session, expression="1", awaitPromise=True)
        page = Page(url, dom=value)
        for event in self.events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                page.requests.append(params["request"]["url"])
            elif method == "Runtime.exceptionThrown":
                page.errors.append(str(params.get("exceptionDetails", {}).get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                page.errors.append(json.dumps(params.get("args")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                page.errors.append(str(params["entry"].get("text")))
        self.send("Target.closeTarget", targetId=target)
        return page


def _above_9(fd: int) -> int:
    """`fd` moved above 9: were the child's end 3 or 4, the shell's first redirection would
    overwrite it before the second one read it."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


@contextmanager
def browser(binary: str) -> Iterator[Browser]:
    """Chromium with a fresh profile, ended (by its process id) when the block ends."""
    commands_read, commands_write = os.pipe()
    replies_read, replies_write = os.pipe()
    commands_read, replies_write = _above_9(commands_read), _above_9(replies_write)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        # bash puts the pipes on 3 and 4, where --remote-debugging-pipe expects them (dash's
        # redirections take single-digit descriptors only).
        script = f'exec "$@" 3<&{commands_read} 4>&{replies_write}'
        arguments: Sequence[str] = [*FLAGS, f"--user-data-dir={profile}", "about:blank"]
        process = subprocess.Popen(
            ["bash", "-c", script, "bash", binary, *arguments],
            pass_fds=(commands_read, replies_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands_read)
        os.close(replies_write)
        try:
            yield Browser(process, commands_write, replies_read)
        finally:
            os.close(commands_write)
            os.close(replies_read)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
