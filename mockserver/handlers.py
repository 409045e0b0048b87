"""The one operation's handler and the error handler: they only wire the other modules."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from mockserver.sessions import Sessions

from mockserver.connexion_door import ConnexionRequest, ConnexionResponse
from mockserver.drill import Drill
from mockserver.envelope import error_body, success_body, success_tail
from mockserver.errors import BusinessError, InvalidParameter, ServiceHiccup
from mockserver.growing import grown_page
from mockserver.journal import CODE, COUNT, NOTE, SCENARIO, SESSION, STATUS, Note
from mockserver.pages import PageHeads
from mockserver.scenarios import FaultInjector, parse_prefer
from mockserver.store import RecordStore
from mockserver.timefmt import format_time

PARSED_QUERY = "stardust.query"
JSON = "application/json"
JSON_BYTES = JSON.encode()

# Seconds since the epoch, as time.time gives them.
Clock = Callable[[], float]
RequestIds = Callable[[], str]
# Anything the operation can send back: a Starlette Response, or a JsonAnswer.
Answer = Callable[[Scope, Receive, Send], Awaitable[None]]
Handler = Callable[[Scope], Awaitable[Answer]]

# Below this size, copying the head and the tail into one body costs less than sending the tail
# as a second message through the middlewares and the server.
ONE_BODY_BELOW = 64 * 1024


class JsonAnswer:
    """A 200 JSON answer of a page's cached head and the response's own tail.

    The headers are Starlette's `Response(body, media_type="application/json")`'s, in its order.
    A large head goes out as it is, followed by the tail, rather than copied into a new body.
    """

    __slots__ = ("_head", "_tail")
    # As a Starlette Response has it: the fast door logs it (fast_door.py).
    status_code = 200

    def __init__(self, head: bytes, tail: bytes) -> None:
        self._head = head
        self._tail = tail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        head, tail = self._head, self._tail
        length = str(len(head) + len(tail)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": [(b"content-length", length), (b"content-type", JSON_BYTES)],
            }
        )
        if len(head) < ONE_BODY_BELOW:
            await send({"type": "http.response.body", "body": head + tail})
            return
        await send({"type": "http.response.body", "body": head, "more_body": True})
        await send({"type": "http.response.body", "body": tail})


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
    heads: PageHeads,
    faults: FaultInjector,
    stamp: DateStamp,
    request_ids: RequestIds,
    drill: Drill | None = None,
    sessions: Sessions | None = None,
    seed: int = 1,
) -> Handler:
    """The handler of `getStatisticsRecord`, closed over its collaborators; it takes the scope."""
    # The mock's own scenarios (set without a session), a dict the book changes in place.
    root_scenarios = sessions.root.book.live if sessions is not None else {}

    async def get_statistics_record(scope: Scope) -> Answer:
        # The contract-driven validator has already parsed the query (see contract/parameters.py).
        query = scope[PARSED_QUERY]
        scenario = parse_prefer(header(scope, b"prefer"))
        delay_ms = scenario.delay_ms + faults.latency_ms
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if scenario.forced_invalid:
            raise InvalidParameter("Prefer", "forced the outcome code=4005")
        if scenario.forced is not None:
            raise scenario.forced()
        ids, offset, limit = query["annotationRequestId"], query["offset"], query["limit"]
        # Scenarios set by the test (D67), or a session's request (D70): the provoked path.
        # Neither (the suite's traffic, D47's cost): two C-level tests, then the plain page.
        if root_scenarios or (sessions is not None and SESSION in scope):
            return await provoked(scope, ids, offset, limit)
        faults.maybe_fail()
        return page_answer(scope, ids, offset, limit, drill, stamp)

    def page_answer(
        scope: Scope,
        ids: list[str],
        offset: int,
        limit: int,
        page_drill: Drill | None,
        page_stamp: Callable[[], str],
    ) -> Answer:
        if page_drill is None:
            head, count = heads.head_and_count(ids, offset, limit)
            # The journal's note (recording.py; absent with --no-journal): a page's count.
            note: Note | None = scope.get(NOTE)
            if note is not None:
                note[COUNT] = count
            return JsonAnswer(head, success_tail(page_stamp(), request_ids()))
        page = store.page(ids, offset, limit)
        drilled: Note | None = scope.get(NOTE)
        if drilled is not None:
            drilled[COUNT] = page.count
        records = page_drill.records(page.records)
        body = page_drill.envelope(success_body(page.count, records, page_stamp(), request_ids()))
        return Response(body, status_code=200, media_type=JSON)

    async def provoked(scope: Scope, ids: list[str], offset: int, limit: int) -> Answer:
        """The answer as the scenarios of the request's session (or the mock's) shape it."""
        assert sessions is not None
        page_drill = drill
        page_stamp: Callable[[], str] = stamp
        session_name: str | None = scope.get(SESSION)
        if session_name is not None:
            page_stamp = sessions.named(session_name).stamp
        fired = sessions.choose(scope, ids, offset, limit)
        if fired is not None:
            scenario = fired.scenario
            noted: Note | None = scope.get(NOTE)
            if noted is not None:
                noted[SCENARIO] = scenario.name
            if scenario.delay_ms:
                await asyncio.sleep(scenario.delay_ms / 1000)
            error = scenario.error()
            if error is not None:
                raise error
            if scenario.drill:
                page_drill = Drill(seed, scenario.drill)
            if scenario.grow is not None:
                faults.maybe_fail()
                # Growth (D71): a prefix of the full order, as the clock or requests go.
                grown = grown_page(store, ids, offset, limit, fired)
                if noted is not None:
                    noted[COUNT] = grown.count
                records = page_drill.records(grown.records) if page_drill else grown.records
                body = success_body(grown.count, records, page_stamp(), request_ids())
                body = page_drill.envelope(body) if page_drill else body
                return Response(body, status_code=200, media_type=JSON)
        faults.maybe_fail()
        return page_answer(scope, ids, offset, limit, page_drill, page_stamp)

    return get_statistics_record


def make_error_handler(
    stamp: DateStamp,
    request_ids: RequestIds,
    http_200_errors: bool,
    sessions: Sessions | None = None,
) -> Callable[[ConnexionRequest, Exception], ConnexionResponse]:
    """Every failure, expected or not, as the API's envelope; a bug never shows a traceback."""

    def session_stamp(scope: Scope) -> Callable[[], str]:
        name: str | None = scope.get(SESSION)
        return stamp if name is None or sessions is None else sessions.named(name).stamp

    def handle(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        outcome = error if isinstance(error, BusinessError) else ServiceHiccup()
        status = 200 if http_200_errors else outcome.http_status
        note: Note | None = request.scope.get(NOTE)
        if note is not None:
            note[STATUS] = status
            note[CODE] = outcome.code
        return ConnexionResponse(
            status_code=status,
            mimetype=JSON,
            content_type=JSON,
            body=error_body(outcome, session_stamp(request.scope)(), request_ids()),
        )

    return handle
