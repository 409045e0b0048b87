"""Every use of Connexion's internals, in one place.

Connexion 3 has no public way to replace the operation object that calls a handler, nor to
drop middlewares from its default stack. The mock needs both (see `DirectOperation`), so this
module subclasses `AsyncApi`, `AsyncASGIApp` and `AsyncApp` and calls `AbstractApp.__init__`
directly. Nothing else in the project imports `connexion`: `app.py` composes from the names
below. `pyproject.toml` bounds connexion to the minor version this was written against, and
`tests/test_connexion_door.py` fails with a clear message if these internals change shape.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, MutableMapping
from functools import partial
from typing import Any, TypeVar

from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

# Connexion 3.3 reads jsonschema's deprecated `RefResolver` and `RefResolutionError` when it
# is imported: DeprecationWarnings that are Connexion's to fix, yet they land in the test run
# of every client using the pytest plugin and fail it under `-W error` (issue 28). Silenced
# for this import only, by their message, so any other warning still shows. Connexion also
# imports Starlette's test client, which warns about httpx: the filter of `mockserver/__init__`
# does not hold inside a test's own warning filters (pytest puts `-W error` in front of it).
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"jsonschema\.\S+ is deprecated", DeprecationWarning)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from connexion import AsyncApp
    from connexion.apps.abstract import AbstractApp
    from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp
    from connexion.lifecycle import ConnexionRequest, ConnexionResponse
    from connexion.middleware import MiddlewarePosition
    from connexion.middleware.abstract import ROUTING_CONTEXT
    from connexion.middleware.context import ContextMiddleware
    from connexion.middleware.main import ConnexionMiddleware
    from connexion.middleware.request_validation import (
        RequestValidationAPI,
        RequestValidationMiddleware,
        RequestValidationOperation,
    )
    from connexion.middleware.response_validation import ResponseValidationMiddleware
    from connexion.middleware.routing import RoutingMiddleware, RoutingOperation
    from connexion.middleware.security import SecurityMiddleware
    from connexion.middleware.swagger_ui import SwaggerUIMiddleware
    from connexion.operations import AbstractOperation
    from connexion.options import SwaggerUIOptions
    from connexion.resolver import Resolver
    from connexion.spec import Specification

__all__ = [
    "AsyncApp",
    "ConnexionRequest",
    "ConnexionResponse",
    "ContractApp",
    "MiddlewarePosition",
    "SwaggerUIOptions",
    "contract_middlewares",
    "parameter_validator",
    "single_function_resolver",
]

ScopeHandler = Callable[[Scope], Any]


class DirectOperation:
    """Calls the handler with the ASGI scope and sends the response it returns.

    Connexion's own operation decorates the handler anew on every request, inspects its
    signature, parses the query again into keyword arguments and wraps the response: a
    profile of a 10-record page put more than half of the request's time there. Our handler
    needs none of it, since the validator has already parsed the query into the scope.
    """

    def __init__(self, handler: Callable[[Scope], Any]) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A Starlette Response or any other ASGI callable (the handler's JsonAnswer).
        answer: ASGIApp = await self._handler(scope)
        await answer(scope, receive, send)


class DirectApi(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> DirectOperation:
        return DirectOperation(operation.function)


class DirectASGIApp(AsyncASGIApp):  # type: ignore[misc]
    api_cls = DirectApi


class OperationsFirstSwaggerUI(SwaggerUIMiddleware):  # type: ignore[misc]
    """Connexion's Swagger UI middleware, which lets the contract's own paths straight through.

    The stock one matches every request against the Swagger UI routes (the spec as JSON and
    YAML, the UI's files) of every API before handing it on, and copies the scope to do so: a
    quarter of a 10-record page's time. A request for one of the contract's operation paths
    can never be one of those routes, so it goes on to routing at once; every other path is
    matched as before.
    """

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self._operation_paths: set[str] = set()

    def add_api(self, specification: Specification, **kwargs: Any) -> None:
        super().add_api(specification, **kwargs)
        mount = self.router.routes[-1]
        assert isinstance(mount, Mount), "SwaggerUIMiddleware.add_api no longer mounts its API"
        # Paths with parameters would need matching: only literal paths are let through.
        self._operation_paths |= {
            mount.path + path for path in specification["paths"] if "{" not in path
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self._operation_paths:
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class LiteralPathsFirstRouting(RoutingMiddleware):  # type: ignore[misc]
    """Connexion's routing middleware, with the routes of literal paths looked up by key.

    The stock one matches every request against a Starlette router of mounts (one per base
    path) of routers (one route per operation), with regular expressions, after copying the
    scope. The routes a path without parameters leads to are read from that same router once
    it is built, as (path, method) -> (base path, operation), and such a request is routed by
    one dictionary look-up, attaching what Connexion's `RoutingOperation` attaches. Paths with
    parameters, other methods and unknown paths go through the router as before.
    """

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self._literal: dict[tuple[str, str], tuple[str, RoutingOperation]] = {}

    def add_api(self, specification: Specification, **kwargs: Any) -> None:
        super().add_api(specification, **kwargs)
        mounts = [route for route in self.router.routes if isinstance(route, Mount)]
        mount = mounts[-1]
        assert isinstance(mount.app, Router), "RoutingMiddleware.add_api no longer mounts a Router"
        for route in mount.app.routes:
            if not isinstance(route, Route) or route.param_convertors:
                continue
            operation = route.app
            if not isinstance(operation, RoutingOperation):
                continue
            path = mount.path + route.path
            # Starlette tries mounts in order: a path an earlier mount also covers is left to it.
            if any(path.startswith(earlier.path + "/") for earlier in mounts[:-1]):
                continue
            for method in route.methods or ():
                self._literal.setdefault((path, method), (mount.path, operation))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self._literal.get((scope["path"], scope["method"]))
            if found is not None:
                base_path, operation = found
                # What RoutingOperation does with the scope the router matched.
                routed = dict(scope)
                routed.setdefault("path_params", {})
                extensions = routed.setdefault("extensions", {})
                extensions.setdefault(ROUTING_CONTEXT, {}).update(
                    {"api_base_path": base_path, "operation_id": operation.operation_id}
                )
                await operation.next_app(routed, receive, send)
                return
        await super().__call__(scope, receive, send)


class PrebuiltValidationOperation(RequestValidationOperation):  # type: ignore[misc]
    """Connexion's request validation of one operation, its parameter validator built once.

    The stock operation builds a URI parser and a parameter validator on every request, then
    looks for a body to validate. For an operation without a request body (ours is a GET) the
    validator is built here, once, and a request only runs it; an operation with a body is
    validated as before.
    """

    def __init__(self, next_app: ASGIApp, *, operation: AbstractOperation, **options: Any) -> None:
        super().__init__(next_app, operation=operation, **options)
        self._has_body = bool(operation.request_body)
        self._parameters = self._validator_map["parameter"](
            operation.parameters,
            uri_parser=operation.uri_parser_class(
                operation.parameters, operation.body_definition()
            ),
            strict_validation=self.strict_validation,
            security_query_params=self.security_query_params,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._has_body:
            await super().__call__(scope, receive, send)
            return
        self._parameters.validate(scope)
        await self.next_app(scope, receive, send)


class PrebuiltValidationAPI(RequestValidationAPI):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> PrebuiltValidationOperation:
        return PrebuiltValidationOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class PrebuiltValidationMiddleware(RequestValidationMiddleware):  # type: ignore[misc]
    api_cls = PrebuiltValidationAPI


# Stock middlewares and the subclasses that take their places in the stack.
REPLACED_MIDDLEWARES: dict[type, type] = {
    SwaggerUIMiddleware: OperationsFirstSwaggerUI,
    RoutingMiddleware: LiteralPathsFirstRouting,
    RequestValidationMiddleware: PrebuiltValidationMiddleware,
}


# Connexion logs every 4xx it answers itself (404, 405) as a bare `HTTPException(...)` warning:
# an ordinary answer to a client's mistake, which the access log already shows (D41).
CONNEXION_EXCEPTION_LOGGER = "connexion.middleware.exceptions"


def _answered_client_error(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR


def quiet_client_errors() -> None:
    """Drop Connexion's log lines for the 4xx it answers; its errors (5xx) stay."""
    logger = logging.getLogger(CONNEXION_EXCEPTION_LOGGER)
    if _answered_client_error not in logger.filters:
        logger.addFilter(_answered_client_error)


# A door in front of the stack (mockserver/fast_door.py): made from the app it hands the
# other requests to, and the access log it logs its own answers in, if any.
DoorFactory = Callable[[ASGIApp, Any], ASGIApp]
L = TypeVar("L", bound=ASGIApp)


class ContractApp(AsyncApp):  # type: ignore[misc]
    """Connexion's AsyncApp (routing, validation, error handling) ending in DirectOperation,
    with an optional door in front of its stack (D77)."""

    def __init__(self, import_name: str, **options: Any) -> None:
        quiet_client_errors()
        # AsyncApp.__init__ only creates its ASGI app and hands it to AbstractApp, which wraps
        # it in Connexion's middlewares; ours takes its place.
        self._middleware_app = DirectASGIApp()
        AbstractApp.__init__(self, import_name, **options)
        self._door: DoorFactory | None = None
        # Where a request enters: the door, the access log, or Connexion's stack itself.
        self._entry: ASGIApp = self.middleware

    def put_door(self, door: DoorFactory) -> None:
        """Put a door in front of the stack, which gets every request the door does not take."""
        self._door = door
        self._entry = door(self.middleware, None)

    def log_inside(self, make_log: Callable[[ASGIApp], L]) -> L:
        """Wrap the stack in an access log (access_log.with_access_log); the door, outside
        it, logs the requests it answers itself."""
        log = make_log(self.middleware)
        self._entry = log if self._door is None else self._door(log, log)
        return log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._entry(scope, receive, send)

    def add_middleware(
        self,
        middleware_class: type,
        position: MiddlewarePosition = MiddlewarePosition.BEFORE_CONTEXT,
        **options: Any,
    ) -> None:
        """As Connexion's, where a position named after a replaced middleware means its
        replacement (Connexion finds the position by the exact class)."""
        target = REPLACED_MIDDLEWARES.get(position.value, position.value)
        stack: list[Any] = self.middleware.middlewares
        for index, middleware in enumerate(stack):
            if getattr(middleware, "func", middleware) is target:
                stack.insert(index, partial(middleware_class, **options))
                return
        super().add_middleware(middleware_class, position=position, **options)


# Middlewares that do nothing for this API: signatures are ours to verify (SignatureMiddleware)
# and Connexion's security middleware would only look for handlers the contract does not name;
# responses are not validated at run time (tests validate them); and the handler reads the
# scope it is given, not Connexion's request context.
UNUSED_MIDDLEWARES = (SecurityMiddleware, ResponseValidationMiddleware, ContextMiddleware)


def contract_middlewares() -> list[Any]:
    """Connexion's default middleware stack without the ones this API does not use, and with
    the replacements above in their places."""
    return [
        REPLACED_MIDDLEWARES.get(m, m)
        for m in ConnexionMiddleware.default_middlewares
        if m not in UNUSED_MIDDLEWARES
    ]


def parameter_validator(validate: Callable[[MutableMapping[str, Any]], None]) -> type:
    """A class in the shape of Connexion's parameter validators that calls `validate(scope)`."""

    class ContractParameterValidator:
        def __init__(self, *_args: Any, **_kwargs: Any) -> None:
            pass

        def validate(self, scope: MutableMapping[str, Any]) -> None:
            validate(scope)

    return ContractParameterValidator


def single_function_resolver(operations: Iterable[tuple[str, ScopeHandler]]) -> Resolver:
    """A resolver that maps the contract's operationIds to the given handlers, and no other."""
    table = dict(operations)
    return Resolver(function_resolver=lambda operation_id: table[operation_id])
