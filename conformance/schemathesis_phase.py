"""The Schemathesis phase: its own checks and the envelope checks, on the whole operation.

Schemathesis runs as `st run`, its documented and stable interface, in a child process so that
its global registries (checks, hooks) belong to one run only. Its NDJSON event stream is read
back: each failed check of each case, with the request that Schemathesis sent.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.config import ENVELOPE_CHECKS, SCHEMATHESIS_CHECKS, Options
from conformance.failures import Failure, curl_line
from conformance.st_hooks import (
    ACCESS_KEY_VARIABLE,
    ENVELOPE_CHECKS_VARIABLE,
    HTTP_200_VARIABLE,
    SECRET_KEY_VARIABLE,
)
from contract import SPEC_PATH

PHASE = "schemathesis"
# The folder holding the `conformance` package (the checkout, or site-packages when installed),
# so that `st run` can import the hooks from either.
ROOT = Path(__file__).resolve().parent.parent


def checks(options: Options) -> list[str]:
    return [name for name in SCHEMATHESIS_CHECKS + ENVELOPE_CHECKS if options.enabled(name)]


def command(options: Options, report_dir: Path) -> list[str]:
    """The `st run` command line of this run."""
    return [
        sys.executable, "-m", "schemathesis.cli", "run", str(SPEC_PATH),
        "--url", options.base_url,
        "--checks", ",".join(checks(options)),
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(options.max_examples),
        # Deterministic generation: two runs against one server send the same requests.
        "--generation-deterministic",
        "--workers", "1",
        "--continue-on-failure",
        # Shrinking would make each failure minimal at the cost of seconds per failure.
        "--no-shrink",
        "--request-timeout", str(options.timeout_seconds),
        "--report", "junit,ndjson",
        "--report-dir", str(report_dir),
        "--report-junit-path", str(report_dir / "junit.xml"),
        "--report-ndjson-path", str(report_dir / "events.ndjson"),
        "--no-color",
    ]  # fmt: skip


def environment(options: Options) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHEMATHESIS_")}
    env["SCHEMATHESIS_HOOKS"] = "conformance.st_hooks"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env[HTTP_200_VARIABLE] = "1" if options.http_200_errors else "0"
    env[ENVELOPE_CHECKS_VARIABLE] = ",".join(c for c in ENVELOPE_CHECKS if options.enabled(c))
    env.pop(ACCESS_KEY_VARIABLE, None)
    env.pop(SECRET_KEY_VARIABLE, None)
    if options.access_key and options.secret_key:
        env[ACCESS_KEY_VARIABLE] = options.access_key
        env[SECRET_KEY_VARIABLE] = options.secret_key
    return env


def _request_of(interaction: Any) -> tuple[str, str, dict[str, str]]:
    request = interaction.get("request", {}) if isinstance(interaction, dict) else {}
    headers = {
        name: ", ".join(value) if isinstance(value, list) else str(value)
        for name, value in (request.get("headers") or {}).items()
        if name.lower() not in {"user-agent", "accept", "accept-encoding", "connection",
                                "x-schemathesis-testcaseid", "content-length"}
    }  # fmt: skip
    return str(request.get("method", "GET")), str(request.get("uri", "")), headers


def _body_excerpt(interaction: Any) -> str:
    response = interaction.get("response") if isinstance(interaction, dict) else None
    if not isinstance(response, dict):
        return ""
    content = response.get("content") or {}
    raw = content.get("$base64") if isinstance(content, dict) else None
    text = base64.b64decode(raw).decode("utf-8", "replace") if raw else ""
    return f"HTTP {response.get('status_code')} {text[:300]}"


def parse_events(lines: Iterator[str]) -> list[Failure]:
    """Every failed check of every case in Schemathesis's NDJSON events, one Failure each."""
    failures: list[Failure] = []
    seen: set[tuple[str, str]] = set()
    for line in lines:
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        interactions = recorder.get("interactions", {})
        for case_id, results in recorder.get("checks", {}).items():
            for result in results:
                if result.get("status") != "failure":
                    continue
                failure = (result.get("failure_info") or {}).get("failure") or {}
                message = str(failure.get("message") or failure.get("title") or "failed").strip()
                key = (result["name"], message)
                if key in seen:
                    continue
                seen.add(key)
                method, uri, headers = _request_of(interactions.get(case_id))
                seen_response = _body_excerpt(interactions.get(case_id))
                title = str(failure.get("title") or "")
                detail = message if title in ("", message) else f"{title}: {message}"
                if seen_response:
                    detail += f"\n{seen_response}"
                failures.append(
                    Failure(result["name"], detail, curl_line(method, uri, headers), PHASE)
                )
    return failures


def run(options: Options) -> tuple[list[Failure], str]:
    """Run `st run`; its failures, and its console output for the log."""
    report_dir = (options.report_dir / "schemathesis").resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    events = report_dir / "events.ndjson"
    events.unlink(missing_ok=True)
    # Schemathesis keeps a crash cache in its working directory: keep it with the reports.
    result = subprocess.run(
        command(options, report_dir),
        env=environment(options),
        cwd=report_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    log = result.stdout + result.stderr
    if not events.exists():
        tail = " | ".join(log.strip().splitlines()[-5:])
        return [Failure("schemathesis", f"Schemathesis did not run: {tail}", "", PHASE)], log
    with events.open(encoding="utf-8") as handle:
        failures = parse_events(handle)
    if result.returncode != 0 and not failures:
        tail = " | ".join(log.strip().splitlines()[-5:])
        failures.append(
            Failure("schemathesis", f"Schemathesis exited with errors: {tail}", "", PHASE)
        )
    return failures, log
