"""Same seed and request, same records, across processes and hash seeds; golden files pin them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from faker import VERSION as FAKER_VERSION

from tests.support import golden
from tests.support.inprocess import ClientFactory
from tests.support.servers import ROOT

# Golden files were written with this Faker; the project pins it exactly (pyproject.toml).
PINNED_FAKER = "40.63.0"


def test_faker_is_the_pinned_version() -> None:
    assert FAKER_VERSION == PINNED_FAKER


def test_generated_data_match_the_golden_files() -> None:
    expected = json.loads(golden.path().read_text(encoding="utf-8"))
    assert golden.compute() == expected, "generated data drifted: review, then `make golden`"


def computed_in_a_process(hash_seed: str) -> Any:
    """The golden pages as a fresh interpreter with this PYTHONHASHSEED computes them."""
    code = "import json; from tests.support import golden; print(json.dumps(golden.compute()))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


@pytest.mark.slow
def test_two_processes_with_different_hash_seeds_compute_identical_data() -> None:
    # The generator and the store, not the HTTP stack, make the data: no server is needed to
    # show that string hashing (randomised per process) never reaches it.
    one, two = computed_in_a_process("1"), computed_in_a_process("4242")
    assert one == two
    assert one == json.loads(golden.path().read_text(encoding="utf-8"))


def test_a_different_seed_serves_different_data(make_client: ClientFactory) -> None:
    other = make_client(seed=2)
    expected = json.loads(golden.path().read_text(encoding="utf-8"))
    generated = golden.query(("golden-a",), 1, 20)
    response = other.get(f"/statistics/record?{generated}")
    assert response.status_code == 200
    assert response.json()["data"]["data"] != expected[generated]["data"]
    assert expected[generated]["data"], "an empty golden page would differ from nothing"
