"""Schemathesis's generated requests, negative ones included, against the real mock: no 5xx.

The mock answers 500/5000 only when asked (`Prefer: code=5000` or `--fault-rate`); the
contract names no `Prefer` header, so a 5xx here is a bug. `not_a_server_error` fails on any.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from contract import SPEC_PATH
from tests.support.servers import RunningServer, mock_server

pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_path(SPEC_PATH)


@pytest.fixture(scope="module")
def negative_mock() -> Iterator[RunningServer]:
    # Access logs off: thousands of generated URLs are not worth printing.
    with mock_server("--log-level", "warning") as server:
        yield server


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(
    case: schemathesis.Case,  # type: ignore[type-arg]
    negative_mock: RunningServer,
) -> None:
    response = case.call(base_url=negative_mock.base_url, timeout=10)
    assert response.status_code < 500, (response.status_code, response.text)
    case.validate_response(response, checks=[not_a_server_error])
