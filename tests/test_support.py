"""The test tiers keep their promises: in-process by default, processes only when marked slow,
and deprecations from this project's own code are errors."""

from __future__ import annotations

import subprocess
import sys
import warnings

import httpx
import pytest
import yaml

from tests.conftest import ProcessInFastTest
from tests.support.inprocess import BASE_URL, ClientFactory, settings_with
from tests.support.servers import ROOT


def test_a_fast_test_cannot_start_a_process() -> None:
    with pytest.raises(ProcessInFastTest, match=r"mark it @pytest\.mark\.slow"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


@pytest.mark.slow
def test_a_slow_test_can() -> None:
    assert subprocess.run([sys.executable, "-c", "raise SystemExit(3)"]).returncode == 3


def test_a_deprecation_from_the_project_is_an_error() -> None:
    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit("old", DeprecationWarning, "mockserver/app.py", 1, "mockserver.app")


def test_a_deprecation_from_a_library_stays_a_warning() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.warn_explicit("old", DeprecationWarning, "uvicorn/main.py", 1, "uvicorn.main")
    assert [str(warning.message) for warning in seen] == ["old"]


def test_the_in_process_client_reaches_the_app_without_a_socket(client: httpx.Client) -> None:
    response = client.get("/statistics/record", params={"annotationRequestId": "x", "limit": 2})
    assert str(response.url).startswith(BASE_URL)
    assert response.status_code == 200 and len(response.json()["data"]["data"]) == 2


def test_make_client_applies_settings_and_seams(make_client: ClientFactory) -> None:
    seeded = make_client(seed=7, request_ids=lambda: "c" * 32)
    body = seeded.get("/statistics/record", params={"annotationRequestId": "x"}).json()
    assert body["requestId"] == "c" * 32
    default = make_client().get("/statistics/record", params={"annotationRequestId": "x"}).json()
    assert body["data"] != default["data"], "seed 7 serves other records than seed 1"


def test_a_misspelt_setting_is_refused() -> None:
    with pytest.raises(TypeError, match="sede"):
        settings_with(sede=2)


def test_pre_commit_runs_the_linters_of_make_lint() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    # `make lint` passes the whole tree (`.`); pre-commit passes the files of the commit.
    linters = {line.strip().replace("$(BIN)", ".venv/bin").removesuffix(" .") for line in recipe}
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["entry"] for repo in config["repos"] for hook in repo["hooks"]}
    assert hooks == linters


def test_the_faulty_servers_compact_json_is_starlettes_json() -> None:
    from starlette.responses import JSONResponse

    from tests.support.faulty_servers import CompactJSON, record

    records = [record("big", position, None) for position in range(40)]
    body = {"code": 2000, "data": {"count": 40, "data": [*records, {"name": "é 名"}]}}
    assert CompactJSON(body).body == JSONResponse(body).body


def test_the_faulty_servers_records_are_shared_but_for_random_data() -> None:
    from tests.support.faulty_servers import record

    assert record("big", 5, "drifting_count") is record("big", 5, None)
    assert record("big", 5, "wrong_type") is not record("big", 5, None)
    assert record("big", 5, "wrong_type")["taskId"] == str(record("big", 5, None)["taskId"])
    assert record("big", 5, "random_data") != record("big", 5, "random_data")
