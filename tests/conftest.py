"""Servers shared by the tests: started here, since CI starts nothing for them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.servers import RunningServer, mock_server


@pytest.fixture(scope="session")
def mock() -> Iterator[RunningServer]:
    """The mock with its default options (seed 1, fixtures/), on a free port."""
    with mock_server() as server:
        yield server


@pytest.fixture(scope="session")
def client(mock: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.base_url, timeout=30.0) as http:
        yield http
