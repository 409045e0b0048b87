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
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from connexion import AsyncApp
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import MiddlewarePosition
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.main import ConnexionMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.operations import AbstractOperation
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

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
        response: Response = await self._handler(scope)
        await response(scope, receive, send)


class DirectApi(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> DirectOperation:
        return DirectOperation(operation.function)


class DirectASGIApp(AsyncASGIApp):  # type: ignore[misc]
    api_cls = DirectApi


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


class ContractApp(AsyncApp):  # type: ignore[misc]
    """Connexion's AsyncApp (routing, validation, error handling) ending in DirectOperation."""

    def __init__(self, import_name: str, **options: Any) -> None:
        quiet_client_errors()
        # AsyncApp.__init__ only creates its ASGI app and hands it to AbstractApp, which wraps
        # it in Connexion's middlewares; ours takes its place.
        self._middleware_app = DirectASGIApp()
        AbstractApp.__init__(self, import_name, **options)


# Middlewares that do nothing for this API: signatures are ours to verify (SignatureMiddleware)
# and Connexion's security middleware would only look for handlers the contract does not name;
# responses are not validated at run time (tests validate them); and the handler reads the
# scope it is given, not Connexion's request context.
UNUSED_MIDDLEWARES = (SecurityMiddleware, ResponseValidationMiddleware, ContextMiddleware)


def contract_middlewares() -> list[Any]:
    """Connexion's default middleware stack without the ones this API does not use."""
    return [m for m in ConnexionMiddleware.default_middlewares if m not in UNUSED_MIDDLEWARES]


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
