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
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from conformance import envelope as _envelope  # noqa: F401  (registers the envelope rules)
from conformance.client import BACK_OFF_SECONDS, SERVICE_HICCUP, TRIES_TO_PERSIST, http_client
from conformance.config import Options
from conformance.exchange import Exchange
from conformance.failures import Failure, curl_line
from conformance.registry import ENVELOPE, SCHEMATHESIS, declare_builtin, of_kind
from conformance.signing import signature_headers
from conformance.st_hooks import (
    ACCESS_KEY_VARIABLE,
    ENVELOPE_CHECKS_VARIABLE,
    HTTP_200_VARIABLE,
    KNOWN_IDS_VARIABLE,
    SECRET_KEY_VARIABLE,
)
from contract import SPEC_PATH

PHASE = "schemathesis"
# The folder holding the `conformance` package (the checkout, or site-packages when installed),
# so that `st run` can import the hooks from either.
ROOT = Path(__file__).resolve().parent.parent

# Schemathesis's own checks that this contract gives something to check (C2). Left out, because
# the contract makes them vacuous: missing_required_header (no required header), ignored_auth
# and response_headers_conformance (signing is optional, no response header is documented) and
# the stateful checks (one GET, no links); and, because the contract leaves other methods open
# (C13), unsupported_method and allow_header_conformance, which demand a 405 with an exact
# Allow: the semantic check `other_methods_refused` judges other methods instead.
for _name, _description in (
    ("not_a_server_error", "no HTTP 5xx, whatever the request (501 to another method is allowed)"),
    ("status_code_conformance", "every HTTP status is one the contract documents"),
    ("content_type_conformance", "every response is application/json where documented"),
    ("response_schema_conformance", "every body matches the contract's schema for its status"),
    ("negative_data_rejection", "invalid requests are rejected (4005)"),
    ("positive_data_acceptance", "valid requests are accepted"),
):
    declare_builtin(_name, _description)


def checks(options: Options) -> list[str]:
    return [name for name in of_kind(SCHEMATHESIS) + of_kind(ENVELOPE) if options.enabled(name)]


def spec_with_known_ids(options: Options, report_dir: Path) -> Path:
    """The contract, with the known IDs as the examples of `annotationRequestId` (C17).

    The documentation's example ID is unknown to a real server, so the examples phase (and the
    coverage phase, which starts from the examples) would only ever see 53003. With the known
    IDs as examples, Schemathesis's checks judge real 2000 pages of the server under test. The
    copy goes to the report folder; `openapi.yaml` itself is not touched.
    """
    if not options.known_ids:
        return SPEC_PATH
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    parameter = spec["components"]["parameters"]["AnnotationRequestId"]
    parameter.pop("example", None)
    examples = {f"known-{n}": {"value": [item]} for n, item in enumerate(options.known_ids[:3])}
    if len(options.known_ids) > 1:
        examples["known-together"] = {"value": list(options.known_ids[:2])}
    parameter["examples"] = examples
    path = report_dir / "openapi.known-ids.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def command(options: Options, report_dir: Path) -> list[str]:
    """The `st run` command line of this run."""
    return [
        sys.executable, "-m", "schemathesis.cli", "run",
        str(spec_with_known_ids(options, report_dir)),
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
    env[ENVELOPE_CHECKS_VARIABLE] = ",".join(c for c in of_kind(ENVELOPE) if options.enabled(c))
    env[KNOWN_IDS_VARIABLE] = "\n".join(options.known_ids)
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


def _response(interaction: Any) -> tuple[int | None, str]:
    response = interaction.get("response") if isinstance(interaction, dict) else None
    if not isinstance(response, dict):
        return None, ""
    content = response.get("content") or {}
    raw = content.get("$base64") if isinstance(content, dict) else None
    text = base64.b64decode(raw).decode("utf-8", "replace") if raw else ""
    status = response.get("status_code")
    return (status if isinstance(status, int) else None), text


def _quote(status: int | None, text: str) -> str:
    """The response as a failure quotes it (C47), as `Exchange.quote` words it."""
    if status is None:
        return ""
    return Exchange.build("GET", "", status, _json(text), text=text).quote


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _is_hiccup(text: str) -> bool:
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("code") == SERVICE_HICCUP


@dataclass
class Events:
    """What Schemathesis's NDJSON events say: failures, how often each check judged a response,
    and the requests whose failure was a 5000 answer (to be retried before being believed)."""

    failures: list[Failure] = field(default_factory=list)
    judged: dict[str, int] = field(default_factory=dict)
    hiccups: list[tuple[Failure, tuple[str, str, dict[str, str]]]] = field(default_factory=list)
    # Failures Schemathesis reported that the contract allows (a 501 to another method): its
    # exit status counts them, the verdict does not.
    allowed: int = 0
    # Errors (no answer, a crash of a hook): the first few, with their own messages.
    errors: list[str] = field(default_factory=list)


def parse_events(lines: Iterator[str]) -> Events:
    """Every failed check of every case in Schemathesis's NDJSON events, one Failure each."""
    events = Events()
    seen: set[tuple[str, str]] = set()
    for line in lines:
        event = json.loads(line)
        error = event.get("NonFatalError") or event.get("FatalError")
        if isinstance(error, dict) and len(events.errors) < 3:
            value = error.get("value") or {}
            text = f"{value.get('type', 'error')}: {value.get('message', '')}".strip()
            if text not in events.errors:
                events.errors.append(text)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        interactions = recorder.get("interactions", {})
        for case_id, results in recorder.get("checks", {}).items():
            for result in results:
                name = result["name"]
                if result.get("status") in ("success", "failure"):
                    events.judged[name] = events.judged.get(name, 0) + 1
                if result.get("status") != "failure":
                    continue
                method, uri, headers = _request_of(interactions.get(case_id))
                status, text = _response(interactions.get(case_id))
                if name == "not_a_server_error" and method.upper() != "GET" and status == 501:
                    events.allowed += 1  # RFC 9110: a server SHOULD answer 501 to a method
                    continue  # it does not know; the contract documents only GET (C13)
                failure = (result.get("failure_info") or {}).get("failure") or {}
                message = str(failure.get("message") or failure.get("title") or "failed").strip()
                title = str(failure.get("title") or "")
                detail = message if title in ("", message) else f"{title}: {message}"
                curl = curl_line(method, uri, headers)
                found = Failure(name, detail, curl, PHASE, _quote(status, text))
                if _is_hiccup(text):
                    events.hiccups.append((found, (method, uri, headers)))
                    continue
                key = (name, message)
                if key in seen:
                    continue
                seen.add(key)
                events.failures.append(found)
    return events


def retry_hiccups(
    options: Options, events: Events, sent: list[Exchange] | None = None
) -> tuple[list[Failure], list[str]]:
    """Send each request that answered 5000 again (up to twice): a 5000 that persists is a
    failure, one that passes is counted as flakiness. Each retry's exchange goes to `sent`."""
    requests = list(dict.fromkeys((method, uri) for _, (method, uri, _) in events.hiccups))
    persisting = _persisting(options, requests, sent)
    failures: list[Failure] = []
    flaky: list[str] = []
    reported: set[tuple[str, str]] = set()
    for failure, (method, uri, _) in events.hiccups:
        key = (method, uri)
        if key in persisting:
            failures.append(replace(failure, tries=TRIES_TO_PERSIST))
        elif key not in reported:
            flaky.append(failure.curl)
        reported.add(key)
    return failures, flaky


def _persisting(
    options: Options, requests: list[tuple[str, str]], sent: list[Exchange] | None = None
) -> set[tuple[str, str]]:
    """The requests that answer 5000 on every try, `TRIES_TO_PERSIST` in all (C46).

    The retries go in rounds: one back-off, then every request still answering 5000 again. Each
    request waits at least the back-off between its attempts, as the semantic phase's client
    does, but a server answering 5000 to fifty requests costs nine back-offs, not 450.
    """
    pending = requests
    if not pending:
        return set()
    with http_client(options) as http:
        for tries in range(1, TRIES_TO_PERSIST):
            if not pending:
                break
            time.sleep(min(BACK_OFF_SECONDS * tries, 2 * BACK_OFF_SECONDS))
            still = []
            for method, uri in pending:
                headers = {}
                if options.access_key and options.secret_key:
                    headers = signature_headers(options.access_key, options.secret_key)
                started = time.monotonic()
                response = http.request(method, uri, headers=headers)
                if sent is not None:
                    sent.append(_retried(method, uri, headers, response, started))
                if _is_hiccup(response.text):
                    still.append((method, uri))
            pending = still
    return set(pending)


def _retried(
    method: str, uri: str, headers: dict[str, str], response: Any, started: float
) -> Exchange:
    """A retry's exchange, for exchanges.har and coverage.json (C58)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    return Exchange.build(
        method, uri, response.status_code, body, request_headers=headers,
        response_headers=dict(response.headers), text=response.text[:2000],
        elapsed=time.monotonic() - started, received_at=time.time(),
    )  # fmt: skip


@dataclass(frozen=True)
class PhaseResult:
    failures: list[Failure]
    log: str
    judged: dict[str, int]
    hiccups: list[str]
    # The retries of 5000 answers the phase sent itself, after `st run` (its own exchanges are
    # in the event stream, st_exchanges.py).
    retried: list[Exchange] = field(default_factory=list)


def run(options: Options) -> PhaseResult:
    """Run `st run`; its failures, how much each check judged, and its console output."""
    report_dir = (options.report_dir / "schemathesis").resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    events_path = report_dir / "events.ndjson"
    events_path.unlink(missing_ok=True)
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
    tail = " | ".join(log.strip().splitlines()[-5:])
    if not events_path.exists():
        failure = Failure("schemathesis", f"Schemathesis did not run: {tail}", "", PHASE)
        return PhaseResult([failure], log, {}, [])
    with events_path.open(encoding="utf-8") as handle:
        events = parse_events(handle)
    retried: list[Exchange] = []
    persistent, flaky = retry_hiccups(options, events, retried)
    failures = events.failures + persistent
    explained = events.allowed or events.hiccups
    if result.returncode != 0 and not failures and not explained:
        detail = " | ".join(events.errors) or tail
        failures.append(
            Failure("schemathesis", f"Schemathesis exited with errors: {detail}", "", PHASE)
        )
    return PhaseResult(failures, log, events.judged, flaky, retried)
