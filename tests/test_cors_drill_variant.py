"""CORS (D34), the client drill (D33) and the HTTP-200 contract the mock serves (D31).

The mock runs in-process behind `httpx.ASGITransport`; the conformance suite, which must keep
failing a server that emits values outside the contract, runs against a real drilled mock.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from openapi_schema_validator import OAS30Validator

from conformance.__main__ import main as conformance_main
from conformance.launch import ROOT
from contract import load_spec, resolve
from contract.variants import http_200_variant
from mockserver.app import create_app
from mockserver.cli import OptionError, settings_from_arguments
from mockserver.config import Settings
from mockserver.cors import REQUEST_HEADERS
from mockserver.drill import EXTRA_RECORD_FIELDS, UNKNOWN_VALUES, Drill, DrillError, parse_drills
from tests.support.faulty_servers import serve_app

DOCUMENTED = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
PATH = "/statistics/record"
ORIGIN = "http://localhost:3000"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "x-stardust-key, x-ts, x-sign, prefer",
}
_APPS: dict[str, Any] = {}


def _request(
    settings: Settings,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> httpx.Response:
    key = repr(settings)
    app = _APPS.get(key) or _APPS.setdefault(key, create_app(settings))

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            return await http.request(method, path, headers=headers, params=params)

    return asyncio.run(run())


# --- CORS ---------------------------------------------------------------------------------


def test_a_preflight_for_the_signature_and_prefer_headers_is_answered() -> None:
    response = _request(Settings(), "OPTIONS", PATH, PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {h.lower() for h in REQUEST_HEADERS} <= allowed
    assert "GET" in response.headers["access-control-allow-methods"]
    assert int(response.headers["access-control-max-age"]) > 0


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"annotationRequestId": DOCUMENTED}, 2000),
        ({"annotationRequestId": "does-not-exist"}, 53003),
        ({"annotationRequestId": DOCUMENTED, "limit": "0"}, 4005),
    ],
)
def test_every_answer_carries_the_cors_headers(params: dict[str, str], code: int) -> None:
    response = _request(Settings(), "GET", PATH, {"Origin": ORIGIN}, params)
    assert response.json()["code"] == code
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Date" in response.headers["access-control-expose-headers"]


def test_a_configured_origin_is_the_only_one_allowed() -> None:
    settings = Settings(cors_origins=(ORIGIN,))
    allowed = _request(settings, "OPTIONS", PATH, PREFLIGHT)
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    other = _request(settings, "OPTIONS", PATH, {**PREFLIGHT, "Origin": "http://evil.example"})
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    get = _request(
        settings,
        "GET",
        PATH,
        {"Origin": "http://evil.example"},
        {"annotationRequestId": DOCUMENTED},
    )
    assert get.status_code == 200 and "access-control-allow-origin" not in get.headers


def test_without_cors_a_preflight_is_the_operations_405() -> None:
    response = _request(Settings(cors_origins=()), "OPTIONS", PATH, PREFLIGHT)
    assert response.status_code == 405
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("arguments", "origins"),
    [
        ([], ("*",)),
        (["--host", "127.0.0.2"], ("*",)),
        (["--host", "::1"], ("*",)),
        (["--host", "0.0.0.0"], ()),
        (["--no-cors"], ()),
        (
            ["--cors-origin", ORIGIN, "--cors-origin", "https://app.example:8443"],
            (ORIGIN, "https://app.example:8443"),
        ),
    ],
)
def test_cors_origins_from_the_command_line(arguments: list[str], origins: tuple[str, ...]) -> None:
    assert settings_from_arguments(arguments, environment={}).cors_origins == origins


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--cors-origin", "localhost:3000"], "--cors-origin"),
        (["--cors-origin", "http://a.example/path"], "--cors-origin"),
        (["--cors-origin", ORIGIN, "--no-cors"], "--no-cors"),
        (["--drill", "unknown-enums,surprise"], "--drill"),
        (["--drill", ""], "--drill"),
    ],
)
def test_impossible_cors_and_drill_options_name_the_option(
    arguments: list[str], message: str
) -> None:
    with pytest.raises(OptionError, match=message):
        settings_from_arguments(arguments, environment={})


@pytest.mark.slow
def test_a_bad_drill_stops_start_up_with_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "--drill", "surprise"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--drill" in result.stderr and "unknown-enums" in result.stderr


# --- The client drill ---------------------------------------------------------------------


def _records(settings: Settings, offset: int, limit: int) -> list[dict[str, Any]]:
    params = {"annotationRequestId": DOCUMENTED, "offset": offset, "limit": limit}
    body = orjson.loads(_request(settings, "GET", PATH, params=params).content)
    records: list[dict[str, Any]] = body["data"]["data"]
    return records


def test_drill_options_reach_the_settings() -> None:
    settings = settings_from_arguments(["--drill", "extra-fields,unknown-enums"], environment={})
    assert settings.drills == ("extra-fields", "unknown-enums")
    assert settings_from_arguments([], environment={}).drills == ()


def test_unknown_enum_values_are_occasional_and_deterministic() -> None:
    drilled = Settings(drills=("unknown-enums",))
    plain = _records(Settings(), 1, 400)
    records = _records(drilled, 1, 400)
    changed = [(a, b) for a, b in zip(plain, records, strict=True) if a != b]
    assert 10 < len(changed) < 100, len(changed)
    unknown = dict(UNKNOWN_VALUES)
    for before, after in changed:
        [field] = [name for name in before if before[name] != after[name]]
        assert after[field] == unknown[field]
    # Every field the drill touches is drilled somewhere in 400 records.
    assert {f for a, b in changed for f in a if a[f] != b[f]} == set(unknown)
    # The same records whatever the paging: a record's drill depends on its id only.
    assert _records(drilled, 3, 100) == records[200:300]


def test_extra_fields_are_added_not_replacing_any() -> None:
    drilled = _records(Settings(drills=("extra-fields",)), 1, 200)
    plain = _records(Settings(), 1, 200)
    extended = [(a, b) for a, b in zip(plain, drilled, strict=True) if a != b]
    assert extended
    for before, after in extended:
        assert after == {**before, **EXTRA_RECORD_FIELDS}


@pytest.mark.parametrize(
    ("drills", "extra"),
    [((), False), (("unknown-enums",), False), (("extra-fields",), True),
     (("unknown-enums", "extra-fields"), True)],
)  # fmt: skip
def test_only_the_extra_fields_drill_adds_the_envelopes_extra_field(
    drills: tuple[str, ...], extra: bool
) -> None:
    # D33: the envelope's `traceId` comes with extra-fields, and only with it; the rest of the
    # envelope is the contract's.
    params = {"annotationRequestId": DOCUMENTED, "limit": 1}
    body = orjson.loads(_request(Settings(drills=drills), "GET", PATH, params=params).content)
    assert ("traceId" in body, body.get("traceId")) == (extra, "drill" if extra else None)
    assert {"code", "message", "data", "date", "requestId", "success"} <= set(body)
    assert body["code"] == 2000 and body["success"] is True


def test_without_a_drill_the_records_are_the_contracts() -> None:
    spec_values = {"actionType": "TaskAction", "status": "Status", "poolType": "PoolType"}
    schemas = load_spec()["components"]["schemas"]
    for record in _records(Settings(), 1, 1000):
        assert len(record) == 15
        for field, component in spec_values.items():
            assert record[field] in schemas[component]["enum"]


def test_the_conformance_suite_fails_a_drilled_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The drilled mock in a thread and the suite's command line in-process: what the suite
    # says of such a server, not how either starts (tests/test_conformance.py, test_install.py).
    app = create_app(Settings(drills=("unknown-enums",), log_level="warning"))
    with serve_app(app, "drilled mock") as base_url:
        status = conformance_main(
            ["--base-url", base_url, "--known-id", DOCUMENTED, "--unknown-id", "does-not-exist",
             "--phase", "semantic", "--report-dir", str(tmp_path)],
            {},
        )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 1, out
    # One failure per cause (docs/conformance.md, C19): the values outside the enums are
    # enum_membership's to report; known_id_schema leaves them to it.
    assert "FAIL enum_membership" in out
    assert "FAIL known_id_schema" not in out


# --- The HTTP-200 contract ----------------------------------------------------------------


def test_the_http_200_mode_serves_its_own_contract() -> None:
    served = _request(Settings(http_200_errors=True), "GET", "/openapi.json").json()
    responses = served["paths"]["/statistics/record"]["get"]["responses"]
    assert set(responses) == {"200", "4XX"}
    # Connexion rewrites `servers` for the address it answers on, and more: compare what
    # a client generates its types from.
    variant = orjson.loads(orjson.dumps(http_200_variant(load_spec())))
    assert served["info"] == variant["info"]
    expected = variant["paths"]["/statistics/record"]["get"]["responses"]
    # Connexion serves the references resolved.
    assert responses["200"]["content"] == resolve(variant, expected["200"]["content"])
    default = _request(Settings(), "GET", "/openapi.json").json()
    assert set(default["paths"]["/statistics/record"]["get"]["responses"]) == {
        "200",
        "400",
        "401",
        "404",
        "500",
    }


def test_the_http_200_contract_accepts_every_outcome_at_200_and_only_those() -> None:
    variant = http_200_variant(load_spec())
    media = variant["paths"]["/statistics/record"]["get"]["responses"]["200"]["content"]
    validator = OAS30Validator(resolve(variant, media["application/json"]["schema"]))
    examples = resolve(variant, media["application/json"]["examples"])
    assert set(examples) == {"2000", "401", "402", "403", "4005", "5000", "53003"}
    for name, example in examples.items():
        assert validator.is_valid(example["value"]), name
    failed = examples["53003"]["value"]
    assert not validator.is_valid({**failed, "success": True})
    assert not validator.is_valid({**failed, "code": 9999})


def _drilled(seed: int, drills: tuple[str, ...]) -> list[tuple[int, object]]:
    """Which of records 1-80 a drill changes, and the values it gives them."""
    drill = Drill(seed, drills)
    changed = []
    for record_id in range(1, 81):
        plain = {"id": record_id, "actionType": 0, "status": 0, "poolType": 0}
        after = orjson.loads(drill.record(orjson.dumps(plain)))
        changed += [(record_id, (k, after[k])) for k in sorted(after) if after[k] != plain.get(k)]
    return changed


def test_which_records_are_drilled_is_pinned_by_seed_and_id() -> None:
    # D33: chosen by a hash of the seed, the drill and the record's id: the same records on
    # every machine and in every release, so a client team's failing test stays reproducible.
    # A change here is a data change (CONTRIBUTING.md).
    extra = [("modifyRelationsNum", 0), ("reviewInfo", {"reviewer": None, "round": 1})]
    enums = [(3, ("actionType", 4)), (22, ("poolType", 6)), (25, ("status", 7)),
             (64, ("poolType", 6)), (78, ("poolType", 6)), (79, ("status", 7))]  # fmt: skip
    assert _drilled(1, ("unknown-enums",)) == enums
    fields = [(n, field) for n in (14, 38, 47, 52, 67, 68, 80) for field in extra]
    assert _drilled(1, ("extra-fields",)) == fields
    assert _drilled(1, ("unknown-enums", "extra-fields")) == sorted(
        enums + fields, key=lambda c: c[0]
    )
    assert [n for n, _ in _drilled(2, ("unknown-enums",))] == [
        4,
        8,
        9,
        12,
        21,
        23,
        26,
        43,
        56,
        59,
        67,
    ]
    assert _drilled(1, ()) == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("extra-fields", ("extra-fields",)),
        (" unknown-enums , extra-fields ,", ("unknown-enums", "extra-fields")),
        ("extra-fields,extra-fields", ("extra-fields",)),
    ],
)
def test_drill_names_are_read_trimmed_and_once(text: str, names: tuple[str, ...]) -> None:
    assert parse_drills(text) == names


@pytest.mark.parametrize("text", ["", " , ", "surprise", "extra-fields,surprise"])
def test_an_unknown_or_empty_drill_is_refused_naming_the_choices(text: str) -> None:
    with pytest.raises(DrillError) as raised:
        parse_drills(text)
    assert (
        str(raised.value)
        == f"{text!r}: choose from unknown-enums, extra-fields, separated by commas"
    )
