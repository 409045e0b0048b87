"""The project's own mock, started for a run that names no server (`make conformance`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conformance.launch import HOST, free_port, started
from contract import DEFAULT_FIXTURES, OPERATION_PATH
from mockserver.fixtures import load_folder

__all__ = ["DEFAULT_FIXTURES", "LocalMock", "fixture_ids", "local_mock"]
# Not in any fixture file: the mock generates its records, so it is known too.
GENERATED_ID = "conformance-generated-request"


@dataclass(frozen=True)
class LocalMock:
    base_url: str
    known_ids: tuple[str, ...]
    unknown_ids: tuple[str, ...]


def fixture_ids(folder: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Known and unknown IDs of the fixture files the mock loads, plus one generated ID."""
    fixtures = load_folder(folder)
    return (*sorted(fixtures.pinned), GENERATED_ID), tuple(sorted(fixtures.unknown))


@contextmanager
def local_mock(
    seed: int = 1, fixtures: Path = DEFAULT_FIXTURES, http_200_errors: bool = False
) -> Iterator[LocalMock]:
    """`python -m mockserver` on a free loopback port, stopped on exit."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "mockserver", "--host", HOST, "--port", str(port)),
        *("--seed", str(seed), "--fixtures", str(fixtures), "--log-level", "warning"),
    ]
    if http_200_errors:
        command.append("--http-200-errors")
    base_url = f"http://{HOST}:{port}"
    with started(command, base_url + OPERATION_PATH):
        known, unknown = fixture_ids(fixtures)
        yield LocalMock(base_url, known, unknown)
