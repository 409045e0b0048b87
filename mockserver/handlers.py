"""The one operation's handler and the error handler: they only wire the other modules."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, tzinfo

from starlette.responses import Response
from starlette.types import Scope

from mockserver.connexion_door import ConnexionRequest, ConnexionResponse
from mockserver.drill import Drill
from mockserver.envelope import error_body, success_body
from mockserver.errors import BusinessError, InvalidParameter, ServiceHiccup
from mockserver.scenarios import FaultInjector, parse_prefer
from mockserver.store import RecordStore
from mockserver.timefmt import format_time

PARSED_QUERY = "stardust.query"
JSON = "application/json"

# Seconds since the epoch, as time.time gives them.
Clock = Callable[[], float]
RequestIds = Callable[[], str]
Handler = Callable[[Scope], Awaitable[Response]]


class DateStamp:
    """The envelope's `date`, formatted once per second rather than once per response."""

    def __init__(self, clock: Clock, zone: tzinfo = UTC) -> None:
        self._clock = clock
        self._zone = zone
        self._second = -1
        self._text = ""

    def __call__(self) -> str:
        second = int(self._clock())
        if second != self._second:
            self._text = format_time(second, self._zone)
            self._second = second
        return self._text


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a header (`name` in lower case, as ASGI servers give names)."""
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def make_record_handler(
    store: RecordStore,
    faults: FaultInjector,
    stamp: DateStamp,
    request_ids: RequestIds,
    drill: Drill | None = None,
) -> Handler:
    """The handler of `getStatisticsRecord`, closed over its collaborators; it takes the scope."""

    async def get_statistics_record(scope: Scope) -> Response:
        # The contract-driven validator has already parsed the query (see validation.py).
        query = scope[PARSED_QUERY]
        scenario = parse_prefer(header(scope, b"prefer"))
        delay_ms = scenario.delay_ms + faults.latency_ms
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if scenario.forced_invalid:
            raise InvalidParameter("Prefer", "forced the outcome code=4005")
        if scenario.forced is not None:
            raise scenario.forced()
        faults.maybe_fail()
        page = store.page(query["annotationRequestId"], query["offset"], query["limit"])
        if drill is None:
            body = success_body(page.count, page.runs, stamp(), request_ids())
        else:
            records = drill.records(page.records)
            body = drill.envelope(success_body(page.count, records, stamp(), request_ids()))
        return Response(body, status_code=200, media_type=JSON)

    return get_statistics_record


def make_error_handler(
    stamp: DateStamp, request_ids: RequestIds, http_200_errors: bool
) -> Callable[[ConnexionRequest, Exception], ConnexionResponse]:
    """Every failure, expected or not, as the API's envelope; a bug never shows a traceback."""

    def handle(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        outcome = error if isinstance(error, BusinessError) else ServiceHiccup()
        return ConnexionResponse(
            status_code=200 if http_200_errors else outcome.http_status,
            mimetype=JSON,
            content_type=JSON,
            body=error_body(outcome, stamp(), request_ids()),
        )

    return handle
