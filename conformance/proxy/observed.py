"""Judgements only traffic someone else chose needs: is the client's request one the contract
accepts, and did the server treat it as the contract says?

The suite chooses its own requests, so it needs neither: Schemathesis's `negative_data_rejection`
and `positive_data_acceptance` judge the answers to requests it generated. A proxy sees a
client's requests, so it reads each one with the contract's parameter rules (`request.py`) and
judges the answer under the same names. Pure functions of (exchange, request), in the style of
`conformance/per_exchange.py`, returning None or a message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from conformance.exchange import LIMIT_CAP, Exchange
from conformance.per_exchange import INVALID_PARAMETER, MAX_ID_BYTES, SERVICE_HICCUP
from conformance.proxy.request import ID_PARAMETER, Request
from contract import operation

# Signature outcomes may come before parameter validation on a real server.
AUTH_CODES = frozenset({401, 402, 403})

Observed = Callable[[Exchange, Request], str | None]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def forced(exchange: Exchange) -> bool:
    """The client asked the server to force an outcome (`Prefer: code=...`, the mock's and
    Prism's way): the request's validity cannot be held against the answer."""
    return any(
        name.lower() == "prefer" and "code" in value.lower()
        for name, value in exchange.request_headers.items()
    )


def judgeable(exchange: Exchange) -> bool:
    """Whether the answer's code says how the server judged the request's parameters: not a
    signature refusal, a hiccup or an outcome the client forced."""
    code = exchange.code
    return _is_int(code) and code not in AUTH_CODES | {SERVICE_HICCUP} and not forced(exchange)


@cache
def _parameters() -> frozenset[str]:
    return frozenset(parameter["name"] for parameter in operation()["parameters"])


def unknown_names(exchange: Exchange) -> list[str]:
    """Query parameters the contract does not name (D23: a server ignores them)."""
    return sorted({name for name, _ in exchange.query} - _parameters())


def _byte_length_problem(request: Request) -> bool:
    # `id_byte_length` (per_exchange.py) judges IDs over 255 bytes: one cause, one check.
    problem = request.problem
    return problem is not None and problem.parameter == ID_PARAMETER and "bytes" in str(problem)


def client_request_valid(exchange: Exchange, request: Request) -> str | None:
    """The client's request is one the contract accepts (else: a bug in the client)."""
    if request.problem is None:
        return None
    return f"the contract refuses this request (a client bug): {request.problem}"


def negative_data_rejection(exchange: Exchange, request: Request) -> str | None:
    """A request the contract refuses answers 4005."""
    problem = request.problem
    if problem is None or not judgeable(exchange) or _byte_length_problem(request):
        return None
    if exchange.code != INVALID_PARAMETER:
        return f"code {exchange.code} to a request the contract refuses; expected 4005 ({problem})"
    return None


def positive_data_acceptance(exchange: Exchange, request: Request) -> str | None:
    """A request the contract accepts does not answer 4005."""
    if request.problem is not None or not judgeable(exchange):
        return None
    if exchange.code != INVALID_PARAMETER or request.limit > LIMIT_CAP or unknown_names(exchange):
        return None  # a limit above the cap, or an unknown parameter: their own checks say so
    longest = max((len(item.encode()) for item in request.ids), default=0)
    if longest == MAX_ID_BYTES:
        return None  # a 255-byte ID refused: id_byte_length says so
    return "a request the contract accepts answered 4005"


def limit_capped(exchange: Exchange, request: Request) -> str | None:
    """A `limit` above 1000 is served as 1000, not rejected (D5)."""
    if request.problem is not None or request.limit <= LIMIT_CAP or not judgeable(exchange):
        return None
    if exchange.code == INVALID_PARAMETER:
        return f"limit {request.limit} answered 4005; a limit above 1000 is served as 1000 (D5)"
    return None


def unknown_parameters_ignored(exchange: Exchange, request: Request) -> str | None:
    """A parameter the contract does not name is ignored, not refused (D23)."""
    names = unknown_names(exchange)
    if request.problem is not None or not names or not judgeable(exchange):
        return None
    if exchange.code == INVALID_PARAMETER:
        return f"4005 to a request valid but for {names}: unknown parameters are ignored (D23)"
    return None


OBSERVED: Mapping[str, Observed] = {
    "client_request_valid": client_request_valid,
    "negative_data_rejection": negative_data_rejection,
    "positive_data_acceptance": positive_data_acceptance,
    "limit_capped": limit_capped,
    "unknown_parameters_ignored": unknown_parameters_ignored,
}
