"""The Connexion application: the contract, its validator, the handler and the error mapping."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, MutableMapping
from functools import partial
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from contract import OPERATION_PATH, PRODUCTION_PREFIX, load_spec, operation
from contract.parameters import ParameterError, compile_rules, parse_query
from contract.variants import http_200_variant
from mockserver.admin import AdminApi, networks
from mockserver.config import Settings
from mockserver.connexion_door import (
    AsyncApp,
    ContractApp,
    MiddlewarePosition,
    SwaggerUIOptions,
    contract_middlewares,
    parameter_validator,
    single_function_resolver,
)
from mockserver.cors import CorsOnOrigin, cors_options
from mockserver.drill import Drill
from mockserver.errors import BusinessError, InvalidParameter
from mockserver.fast_door import FastDoor, door_is_safe
from mockserver.fixtures import FixtureSet, load_folder
from mockserver.generator import Vocabulary
from mockserver.handlers import (
    PARSED_QUERY,
    Clock,
    DateStamp,
    RequestIds,
    make_error_handler,
    make_record_handler,
)
from mockserver.index import Index
from mockserver.journal import Journal, RingJournal
from mockserver.mock_clock import MockClock
from mockserver.pages import PageHeads
from mockserver.provocations import ScenarioBook
from mockserver.provocations import load_files as load_scenarios
from mockserver.record_json import writer_loop
from mockserver.recording import JournalDoor
from mockserver.scenarios import FaultInjector
from mockserver.sessions import Sessions
from mockserver.signatures import SignatureVerifier
from mockserver.store import RecordStore
from mockserver.zones import zone

logger = logging.getLogger("mockserver")
OPERATION_ID = "getStatisticsRecord"


def new_request_id() -> str:
    # 128 random bits as 32 hex digits, as `secrets.token_hex(16)` gives them, without its system
    # call per response: an ID only needs to be unique, and the module's generator is seeded
    # from the system in every worker process (uvicorn spawns them; a fork would reseed it).
    return f"{random.getrandbits(128):032x}"


class SignatureMiddleware:
    """Verifies signatures on the API's path before validation, when keys are configured."""

    def __init__(
        self, app: ASGIApp, verifier: SignatureVerifier, now_ms: Callable[[Scope], int]
    ) -> None:
        self._app = app
        self._verifier = verifier
        # The mock's clock, or the request's session's (D69, D70).
        self._now_ms = now_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith(OPERATION_PATH):
            headers = {
                name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
            }
            self._verifier.verify(headers, self._now_ms(scope))
        await self._app(scope, receive, send)


def create_app(
    settings: Settings,
    clock: Clock = time.time,
    request_ids: RequestIds = new_request_id,
    now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    journal: Journal | None = None,
    journal_clock: Clock = time.time,
    fast_door: bool = True,
) -> AsyncApp:
    """The mock as an ASGI app; raises FixtureError or ScenarioError if a file is wrong.

    With the journal on (D47), requests are recorded in `journal`, or in a new in-memory one:
    `python -m mockserver` passes the journal it reads at exit, or the shared one of its
    workers. `journal_of(app)` gives it back. `fast_door=False` leaves out the fast door
    (D77): every request then goes through Connexion's stack, which tests compare it with.
    """
    fixtures = load_folder(settings.fixtures) if settings.fixtures else FixtureSet.empty()
    time_zone = zone(settings.timezone)
    store = RecordStore(
        settings.seed,
        Vocabulary.from_faker(settings.seed),
        fixtures,
        settings.fixtures_only,
        zone=time_zone,
        loop=writer_loop(settings.record_writer),
    )
    faults = FaultInjector(settings.fault_rate, settings.latency_ms)
    # The clock a test may freeze, set or advance (D69): `date`, signatures, growing data.
    mock_clock = MockClock(clock)
    stamp = DateStamp(mock_clock.now, time_zone)
    drill = Drill(settings.seed, settings.drills) if settings.drills else None
    book = ScenarioBook(load_scenarios(settings.scenarios))
    sessions = Sessions(book, mock_clock, stamp, lambda now: DateStamp(now, time_zone))
    handler = make_record_handler(
        store, PageHeads(store), faults, stamp, request_ids, drill, sessions, settings.seed
    )
    rules = compile_rules(operation()["parameters"])

    def validate(scope: MutableMapping[str, Any]) -> None:
        try:
            scope[PARSED_QUERY] = parse_query(rules, scope.get("query_string", b""))
        except ParameterError as problem:
            raise InvalidParameter(problem.parameter, problem.reason) from None

    app = ContractApp(
        __name__,
        middlewares=contract_middlewares(),
        validator_map={"parameter": parameter_validator(validate)},
        swagger_ui_options=SwaggerUIOptions(swagger_ui=settings.swagger_ui),
    )
    resolver = single_function_resolver([(OPERATION_ID, handler)])
    # In the HTTP-200 style the mock serves (at /openapi.json) the contract it then keeps (D31).
    # Either is the contract as parsed once per process (Connexion copies it): read from the
    # path, it would be parsed again for each base path, most of the time an app takes to build.
    specification = http_200_variant(load_spec()) if settings.http_200_errors else load_spec()
    for base_path in ("", PRODUCTION_PREFIX):
        app.add_api(dict(specification), base_path=base_path, resolver=resolver)
    error_handler = make_error_handler(stamp, request_ids, settings.http_200_errors, sessions)
    app.add_error_handler(BusinessError, error_handler)
    app.add_error_handler(Exception, error_handler)
    if settings.signature_keys:
        verifier = SignatureVerifier(
            settings.signature_keys,
            settings.signature_skew_seconds,
            now_ms,
        )
        app.add_middleware(
            SignatureMiddleware,
            position=MiddlewarePosition.BEFORE_VALIDATION,
            verifier=verifier,
            now_ms=lambda scope: sessions.now_ms(scope, now_ms()),
        )
    if settings.journal:
        # Outermost but for Starlette's last-resort 500: it sees every answer, the error
        # envelopes and Connexion's 404/405 included, and the admin paths skip CORS (D48).
        journal = journal if journal is not None else RingJournal(settings.journal_size)
        app.add_middleware(
            JournalDoor,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            journal=journal,
            now=journal_clock,
            admin=AdminApi(
                journal,
                networks(settings.admin_from),
                sessions,
                single=settings.workers == 1,
            ),
        )
        app.stardust_journal = journal
    ring = journal if settings.journal and isinstance(journal, RingJournal) else None
    if fast_door and door_is_safe(settings) and (ring is not None or not settings.journal):
        # In front of everything above (D77); a journal shared by workers is written before
        # an answer ends, which only the journal's door does.
        app.put_door(
            partial(
                FastDoor,
                rules=rules,
                handler=handler,
                live_scenarios=sessions.root.book.live,
                ring=ring,
                now=journal_clock,
            )
        )
    if settings.cors_origins:
        # Outside the exception middleware, so that the error envelopes carry CORS headers too.
        app.add_middleware(
            CorsOnOrigin,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            **cors_options(settings.cors_origins),
        )
    # Inside CORS, so that a browser app may read it too; outside routing, which would 404 (D50).
    app.add_middleware(
        Index, position=MiddlewarePosition.BEFORE_EXCEPTION, swagger_ui=settings.swagger_ui
    )
    return app


def journal_of(app: AsyncApp) -> Journal | None:
    """The journal an app made by `create_app` records in; None with --no-journal."""
    found: Journal | None = getattr(app, "stardust_journal", None)
    return found
