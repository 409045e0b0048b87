"""The Connexion internals that mockserver/connexion_door.py relies on still have their shape.

Each assertion names what the door uses, so an upgrade that moves or renames it fails here
with that name rather than somewhere deep in a request.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import MutableMapping
from typing import Any

import pytest
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncApp, AsyncASGIApp
from connexion.middleware import MiddlewarePosition
from connexion.middleware.main import ConnexionMiddleware
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationOperation,
)
from connexion.middleware.routing import RoutingMiddleware, RoutingOperation
from connexion.middleware.swagger_ui import SwaggerUIMiddleware

from contract import PRODUCTION_PREFIX
from mockserver import app as app_module
from mockserver import connexion_door
from mockserver.app import create_app
from mockserver.config import Settings

UNUSED = connexion_door.UNUSED_MIDDLEWARES


def test_async_asgi_app_builds_its_apis_from_api_cls() -> None:
    assert "api_cls" in vars(AsyncASGIApp), "AsyncASGIApp.api_cls is gone: DirectASGIApp sets it"
    assert issubclass(connexion_door.DirectASGIApp.api_cls, AsyncApi)


def test_async_api_creates_operations_through_make_operation() -> None:
    assert "make_operation" in vars(AsyncApi), (
        "AsyncApi.make_operation is gone: DirectApi overrides it"
    )
    params = list(inspect.signature(AsyncApi.make_operation).parameters)
    assert params == ["self", "operation"], f"make_operation takes {params} now"


def test_async_app_keeps_its_middleware_app_in_one_attribute() -> None:
    source = inspect.getsource(AsyncApp.__init__)
    assert "self._middleware_app" in source, "AsyncApp no longer stores _middleware_app"
    assert issubclass(AsyncApp, AbstractApp), "ContractApp calls AbstractApp.__init__ itself"


def test_default_middlewares_still_hold_the_ones_the_door_removes() -> None:
    defaults = ConnexionMiddleware.default_middlewares
    for middleware in connexion_door.UNUSED_MIDDLEWARES:
        assert middleware in defaults, f"{middleware.__name__} left the default stack"
    kept = connexion_door.contract_middlewares()
    assert not set(kept) & set(connexion_door.UNUSED_MIDDLEWARES)
    assert len(kept) == len(defaults) - len(connexion_door.UNUSED_MIDDLEWARES)


def test_the_door_is_the_only_module_that_imports_connexion() -> None:
    import pathlib

    root = pathlib.Path(connexion_door.__file__).resolve().parent.parent
    offenders = [
        str(path.relative_to(root))
        for package in ("mockserver", "conformance", "contract", "bench", "soak")
        for path in (root / package).rglob("*.py")
        if path.name != "connexion_door.py"
        and any(
            line.startswith(("import connexion", "from connexion"))
            for line in path.read_text().splitlines()
        )
    ]
    assert offenders == []


# The hot path's replacements (OperationsFirstSwaggerUI, LiteralPathsFirstRouting,
# PrebuiltValidationOperation) and the shapes they rely on.


def test_spec_middlewares_keep_their_router_of_mounts_and_next_app() -> None:
    for middleware in (SwaggerUIMiddleware, RoutingMiddleware):
        params = list(inspect.signature(middleware.add_api).parameters)
        assert params[:2] == ["self", "specification"], f"{middleware.__name__}.add_api: {params}"
        assert "self.router" in inspect.getsource(middleware.__init__)
        assert "self.router.mount(" in inspect.getsource(middleware.add_api)
    routing = inspect.getsource(RoutingOperation.__call__)
    assert "ROUTING_CONTEXT" in routing and "api_base_path" in routing and "operation_id" in routing
    assert "self.next_app" in inspect.getsource(RoutingOperation.__init__)


def test_request_validation_operation_keeps_what_the_prebuilt_one_reads() -> None:
    init = inspect.getsource(RequestValidationOperation.__init__)
    for name in ("self.next_app", "self._validator_map", "self.strict_validation"):
        assert name in init, f"RequestValidationOperation no longer sets {name}"
    assert isinstance(RequestValidationOperation.security_query_params, property)
    call = inspect.getsource(RequestValidationOperation.__call__)
    assert "uri_parser=uri_parser" in call and "security_query_params" in call
    assert issubclass(connexion_door.PrebuiltValidationMiddleware.api_cls, RequestValidationAPI)


def test_positions_name_the_stock_classes_the_door_replaces() -> None:
    for stock, replacement in connexion_door.REPLACED_MIDDLEWARES.items():
        assert any(position.value is stock for position in MiddlewarePosition)
        assert issubclass(replacement, stock)
        assert stock in ConnexionMiddleware.default_middlewares
    assert "self.middlewares" in inspect.getsource(ConnexionMiddleware.add_middleware)


Answer = tuple[int, bytes]


def ask(app: Any, method: str, path: str, query: str = "") -> Answer:
    """One request to an ASGI app in-process: (status, body)."""
    sent: list[MutableMapping[str, Any]] = []
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "extensions": {}, "state": {},
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


REQUESTS = [
    ("GET", "/statistics/record", "annotationRequestId=golden-a&limit=3"),
    ("GET", f"{PRODUCTION_PREFIX}/statistics/record", "annotationRequestId=golden-a&limit=3"),
    ("HEAD", "/statistics/record", "annotationRequestId=golden-a"),
    ("GET", "/statistics/record", "limit=0"),
    ("POST", "/statistics/record", "annotationRequestId=golden-a"),
    ("GET", "/statistics/elsewhere", ""),
    ("GET", "/openapi.json", ""),
    ("GET", f"{PRODUCTION_PREFIX}/openapi.json", ""),
]


def answers(app: Any) -> list[Answer]:
    answered = []
    for method, path, query in REQUESTS:
        status, body = ask(app, method, path, query)
        # Envelopes carry a fresh request id and date: compare the rest.
        if body.startswith(b"{") and b'"requestId"' in body:
            document = json.loads(body)
            document.pop("requestId", None)
            document.pop("date", None)
            body = json.dumps(document, sort_keys=True).encode()
        answered.append((status, body))
    return answered


def test_the_replacements_answer_as_connexions_own_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the fast door (tests/test_fast_door.py compares it with this stack).
    ours = answers(create_app(Settings(), fast_door=False))
    stock = [m for m in ConnexionMiddleware.default_middlewares if m not in UNUSED]
    monkeypatch.setattr(app_module, "contract_middlewares", lambda: stock)
    assert answers(create_app(Settings(), fast_door=False)) == ours
    assert [status for status, _ in ours] == [200, 200, 200, 400, 405, 404, 200, 200]


def test_the_operation_skips_swagger_ui_routing_and_per_request_validators(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app(Settings(), fast_door=False)

    async def refuse(*_args: Any) -> None:
        raise AssertionError("the stock path was taken")

    for stock in (SwaggerUIMiddleware, RoutingMiddleware, RequestValidationOperation):
        monkeypatch.setattr(stock, "__call__", refuse)
    assert ask(app, "GET", "/statistics/record", "annotationRequestId=golden-a")[0] == 200
    assert ask(app, "GET", "/statistics/record", "limit=0")[0] == 400
