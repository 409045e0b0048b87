"""The Connexion internals that mockserver/connexion_door.py relies on still have their shape.

Each assertion names what the door uses, so an upgrade that moves or renames it fails here
with that name rather than somewhere deep in a request.
"""

from __future__ import annotations

import inspect

from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncApp, AsyncASGIApp
from connexion.middleware.main import ConnexionMiddleware

from mockserver import connexion_door


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
