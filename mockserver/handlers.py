"""The one operation's handler and the error handler: they only wire the other modules."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from connexion import request as current_request
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.responses import Response

from mockserver.envelope import error_body, success_body
from mockserver.errors import BusinessError, InvalidParameter, ServiceHiccup
from mockserver.scenarios import FaultInjector, parse_prefer
from mockserver.store import RecordStore

PARSED_QUERY = "stardust.query"
JSON = "application/json"

Clock = Callable[[], datetime]
RequestIds = Callable[[], str]


def stamp(clock: Clock) -> str:
    return clock().strftime("%Y-%m-%d %H:%M:%S")


def make_record_handler(
    store: RecordStore, faults: FaultInjector, clock: Clock, request_ids: RequestIds
) -> Callable[..., Awaitable[Response]]:
    """The handler of `getStatisticsRecord`, closed over its collaborators."""

    async def get_statistics_record(**_connexion_arguments: Any) -> Response:
        # The contract-driven validator has already parsed the query (see validation.py).
        scope = current_request.scope
        query = scope[PARSED_QUERY]
        scenario = parse_prefer(current_request.headers.get("prefer"))
        delay_ms = scenario.delay_ms + faults.latency_ms
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if scenario.forced_invalid:
            raise InvalidParameter("Prefer", "forced the outcome code=4005")
        if scenario.forced is not None:
            raise scenario.forced()
        faults.maybe_fail()
        page = store.page(query["annotationRequestId"], query["offset"], query["limit"])
        body = success_body(page.count, page.records, stamp(clock), request_ids())
        return Response(body, status_code=200, media_type=JSON)

    return get_statistics_record


def make_error_handler(
    clock: Clock, request_ids: RequestIds, http_200_errors: bool
) -> Callable[[ConnexionRequest, Exception], ConnexionResponse]:
    """Every failure, expected or not, as the API's envelope; a bug never shows a traceback."""

    def handle(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        outcome = error if isinstance(error, BusinessError) else ServiceHiccup()
        return ConnexionResponse(
            status_code=200 if http_200_errors else outcome.http_status,
            mimetype=JSON,
            content_type=JSON,
            body=error_body(outcome, stamp(clock), request_ids()),
        )

    return handle
