"""Schemathesis's generated requests, negative ones included, against the mock: no 5xx.

The mock answers 500/5000 only when asked (`Prefer: code=5000` or `--fault-rate`); the
contract names no `Prefer` header, so a 5xx here is a bug. `not_a_server_error` fails on any.
The app is called in-process (Schemathesis's ASGI transport): what the HTTP layer does with
bytes no client library would send is the raw-socket corpus's business (test_robustness.py).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from contract import SPEC_PATH
from mockserver.app import create_app
from mockserver.config import Settings

# Seconds of generation: in the slow tier, though it starts no process.
pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_path(SPEC_PATH)


@pytest.fixture(scope="module")
def app() -> Any:
    # Built when the test runs, not when it is collected (make test-fast collects it too).
    return create_app(Settings())


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(
    case: schemathesis.Case,  # type: ignore[type-arg]
    app: Any,
) -> None:
    response = case.call(app=app, base_url="http://mock.test")
    assert response.status_code < 500, (response.status_code, response.text)
    case.validate_response(response, checks=[not_a_server_error])
