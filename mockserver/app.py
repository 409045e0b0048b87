"""The Connexion application: the contract, its validator, the handler and the error mapping."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from connexion import AsyncApp
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp
from connexion.middleware import MiddlewarePosition
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.main import ConnexionMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.operations import AbstractOperation
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.types import ASGIApp, Receive, Scope, Send

from contract import OPERATION_PATH, PRODUCTION_PREFIX, SPEC_PATH, operation
from mockserver.config import Settings
from mockserver.errors import BusinessError
from mockserver.fixtures import FixtureSet, load_folder
from mockserver.generator import Vocabulary
from mockserver.handlers import (
    PARSED_QUERY,
    Clock,
    DateStamp,
    Handler,
    RequestIds,
    make_error_handler,
    make_record_handler,
)
from mockserver.scenarios import FaultInjector
from mockserver.signatures import SignatureVerifier
from mockserver.store import RecordStore
from mockserver.validation import ParameterRule, compile_rules, parse_query
from mockserver.zones import zone

logger = logging.getLogger("mockserver")
OPERATION_ID = "getStatisticsRecord"


def new_request_id() -> str:
    return secrets.token_hex(16)


def make_parameter_validator(rules: tuple[ParameterRule, ...]) -> type:
    """A Connexion parameter validator class that applies the compiled contract rules."""

    class ContractParameterValidator:
        def __init__(self, *_args: Any, **_kwargs: Any) -> None:
            pass

        def validate(self, scope: MutableMapping[str, Any]) -> None:
            scope[PARSED_QUERY] = parse_query(rules, scope.get("query_string", b""))

    return ContractParameterValidator


class DirectOperation:
    """Calls the handler with the ASGI scope and sends the response it returns.

    Connexion's own operation decorates the handler anew on every request, inspects its
    signature, parses the query again into keyword arguments and wraps the response: a
    profile of a 10-record page put more than half of the request's time there. Our handler
    needs none of it, since the validator has already parsed the query into the scope.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._handler(scope)
        await response(scope, receive, send)


class DirectApi(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> DirectOperation:
        return DirectOperation(operation.function)


class DirectASGIApp(AsyncASGIApp):  # type: ignore[misc]
    api_cls = DirectApi


class ContractApp(AsyncApp):  # type: ignore[misc]
    """Connexion's AsyncApp (routing, validation, error handling) ending in DirectOperation."""

    def __init__(self, import_name: str, **options: Any) -> None:
        # AsyncApp.__init__ only creates its ASGI app and hands it to AbstractApp, which wraps
        # it in Connexion's middlewares; ours takes its place.
        self._middleware_app = DirectASGIApp()
        AbstractApp.__init__(self, import_name, **options)


# Middlewares that do nothing for this API: signatures are ours to verify (SignatureMiddleware)
# and Connexion's security middleware would only look for handlers the contract does not name;
# responses are not validated at run time (tests validate them); and the handler reads the
# scope it is given, not Connexion's request context.
UNUSED_MIDDLEWARES = (SecurityMiddleware, ResponseValidationMiddleware, ContextMiddleware)


class SignatureMiddleware:
    """Verifies signatures on the API's path before validation, when keys are configured."""

    def __init__(self, app: ASGIApp, verifier: SignatureVerifier) -> None:
        self._app = app
        self._verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith(OPERATION_PATH):
            headers = {
                name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
            }
            self._verifier.verify(headers)
        await self._app(scope, receive, send)


def create_app(
    settings: Settings,
    clock: Clock = time.time,
    request_ids: RequestIds = new_request_id,
    now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
) -> AsyncApp:
    """The mock as an ASGI app; raises FixtureError if a fixture file is wrong."""
    fixtures = load_folder(settings.fixtures) if settings.fixtures else FixtureSet.empty()
    time_zone = zone(settings.timezone)
    store = RecordStore(
        settings.seed,
        Vocabulary.from_faker(settings.seed),
        fixtures,
        settings.fixtures_only,
        zone=time_zone,
    )
    faults = FaultInjector(settings.fault_rate, settings.latency_ms)
    stamp = DateStamp(clock, time_zone)
    handler = make_record_handler(store, faults, stamp, request_ids)
    rules = compile_rules(operation()["parameters"])
    middlewares = [
        m for m in ConnexionMiddleware.default_middlewares if m not in UNUSED_MIDDLEWARES
    ]
    app = ContractApp(
        __name__,
        middlewares=middlewares,
        validator_map={"parameter": make_parameter_validator(rules)},
        swagger_ui_options=SwaggerUIOptions(swagger_ui=settings.swagger_ui),
    )
    resolver = Resolver(
        function_resolver=lambda operation_id: {OPERATION_ID: handler}[operation_id]
    )
    for base_path in ("", PRODUCTION_PREFIX):
        app.add_api(SPEC_PATH, base_path=base_path, resolver=resolver)
    error_handler = make_error_handler(stamp, request_ids, settings.http_200_errors)
    app.add_error_handler(BusinessError, error_handler)
    app.add_error_handler(Exception, error_handler)
    if settings.signature_keys:
        verifier = SignatureVerifier(
            settings.signature_keys, settings.signature_skew_seconds, now_ms
        )
        app.add_middleware(
            SignatureMiddleware, position=MiddlewarePosition.BEFORE_VALIDATION, verifier=verifier
        )
    return app
