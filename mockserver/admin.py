"""The admin API under `/__mock/`: the journal read, emptied and judged (decision D48), the
scenarios (D67) and the clock (D69) set; under `/__session/NAME/` all of it that session's (D70).

Described by an OpenAPI document of its own (`admin_spec.py`, served at
`/__mock/openapi.json`), not by `openapi.yaml`: it is the mock's, not the API's, and the
conformance suite never calls it. Only loopback clients, and the networks `--admin-from`
names, are answered; any other gets 403, since the journal holds what clients sent. Bad input
gets a 400 whose JSON `message` says what is accepted. The door (`recording.py`) hands these
paths here before CORS and Connexion, so they carry no CORS headers.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from clientjudge.exchanges import from_entry
from clientjudge.verdict import Verdict, judge, judge_each, render_html, render_text
from conformance.exchange import Exchange
from conformance.har import to_har
from mockserver.admin_spec import ADMIN_SPEC
from mockserver.journal import SESSION, Journal, Page
from mockserver.mock_clock import ClockError
from mockserver.provocations import ScenarioError, parse_many
from mockserver.sessions import Session, Sessions

logger = logging.getLogger("mockserver")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
JSON = "application/json"

REQUESTS = "/__mock/requests"
VERDICT = "/__mock/verdict"
SPEC = "/__mock/openapi.json"
SCENARIOS = "/__mock/scenarios"
CLOCK = "/__mock/clock"
# Under /__session/NAME/: the session's requests alone, or with those sent without a prefix
# since its reset too (D75, the pytest plugin's view of a test).
NONE, UNPREFIXED = "none", "unprefixed"
INCLUDE = (NONE, UNPREFIXED)
# An admin body is a few scenarios or a clock setting: anything larger is a mistake.
MAX_BODY = 256 * 1024


class BadInput(ValueError):
    """Admin input that cannot be used; the message says what is accepted."""


class Conflict(ValueError):
    """A request the mock cannot honour as it was started (409); the message says why."""


def json_answer(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=JSON)


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps({"message": message}), status_code=status, media_type=JSON, headers=headers
    )


def networks(cidrs: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def is_allowed(client: tuple[str, int] | None, allowed: Sequence[Network]) -> bool:
    """A loopback client, or one of the `--admin-from` networks (D48)."""
    if client is None:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    return address.is_loopback or any(address in network for network in allowed)


def query_of(scope: Scope, accepted: Sequence[str]) -> dict[str, str]:
    """The query's parameters, each at most once, each one of `accepted`."""
    text = scope["query_string"].decode("latin-1")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        raise BadInput(f"the query {text!r} is not name=value pairs joined by &") from None
    found: dict[str, str] = {}
    for name, value in pairs:
        if name not in accepted:
            known = ", ".join(accepted) if accepted else "none"
            raise BadInput(f"unknown parameter {name!r}; this path accepts: {known}")
        if name in found:
            raise BadInput(f"{name}: given more than once")
        found[name] = value
    return found


def whole_number(query: dict[str, str], name: str, lowest: int) -> int | None:
    value = query.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) < lowest:
        raise BadInput(f"{name}: {value!r} is not a whole number of at least {lowest}")
    return int(value)


def choice(query: dict[str, str], name: str, choices: Sequence[str]) -> str:
    value = query.get(name, choices[0])
    if value not in choices:
        raise BadInput(f"{name}: {value!r} is not one of {', '.join(choices)}")
    return value


def judge_sessions(entries: Sequence[dict[str, Any]]) -> Verdict:
    """The whole journal's verdict: each session's requests (and those sent without a prefix)
    judged as a client of their own (D70, D80), so no finding pairs two sessions' requests."""
    clients: dict[str | None, list[Exchange]] = {}
    for entry in entries:
        clients.setdefault(entry.get("session"), []).append(from_entry(entry))
    return judge_each(list(clients.values()))


def exit_verdict(journal: Journal) -> str | None:
    """What the mock prints when it stops: the verdict, or None when no request came (D47)."""
    page = journal.read()
    if not page.entries:
        return None
    text = render_text(judge_sessions(page.entries))
    if page.dropped:
        text += (
            f"\n  (judged the newest {len(page.entries)} of {page.total} requests; "
            f"--journal-size keeps more)"
        )
    return text


def json_body(body: bytes) -> Any:
    if not body:
        raise BadInput("the body is empty; send JSON (Content-Type: application/json)")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadInput(f"the body is not JSON: {error}") from None


async def read_body(receive: Receive) -> bytes:
    """The request's body, at most MAX_BODY bytes (BadInput beyond)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise BadInput(f"the body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


# A route reads the scope and the request's body (empty for GET and DELETE).
Route = Callable[[Scope, bytes], Response]


class AdminApi:
    """The ASGI app of `/__mock/`, over one journal and the scenarios set (D67).

    `single` is False when the mock runs several worker processes: scenarios count in one
    process, so their resource refuses to set any there (D68).
    """

    def __init__(
        self,
        journal: Journal,
        allowed: Sequence[Network],
        sessions: Sessions,
        single: bool = True,
    ) -> None:
        self._journal = journal
        self._allowed = tuple(allowed)
        self._sessions = sessions
        self._single = single
        self._routes: dict[str, dict[str, Route]] = {
            REQUESTS: {"GET": self._requests, "DELETE": self._clear},
            VERDICT: {"GET": self._verdict},
            SPEC: {"GET": self._spec},
            CLOCK: {"GET": self._get_clock, "PUT": self._set_clock},
            SCENARIOS: {
                "GET": self._scenarios,
                "POST": self._add_scenarios,
                "DELETE": self._clear_scenarios,
            },
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await (await self._answer(scope, receive))(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive) -> Response:
        if not is_allowed(scope.get("client"), self._allowed):
            return problem(
                403,
                "the admin API answers loopback clients only; start the mock with "
                "--admin-from CIDR to allow others",
            )
        path: str = scope["path"]
        methods = self._routes.get(path)
        if methods is None and path.startswith(SCENARIOS + "/"):
            methods = {"DELETE": self._delete_scenario}
        if methods is None:
            return problem(404, f"no admin path {path}; see {SPEC}")
        route = methods.get(scope["method"])
        if route is None:
            allow = ", ".join(methods)
            return problem(405, f"{path} accepts {allow}", {"Allow": allow})
        try:
            body = await read_body(receive) if scope["method"] in {"POST", "PUT"} else b""
            return route(scope, body)
        except BadInput as error:
            return problem(400, str(error))
        except Conflict as error:
            return problem(409, str(error))
        except Exception as error:
            # Outside Connexion's error handling: a bug here is a JSON 500, never a traceback.
            logger.exception("admin API: %s %s failed", scope["method"], scope["path"])
            return problem(500, f"the admin API failed: {type(error).__name__}: {error}")

    def _page(
        self, scope: Scope, since: int = 0, limit: int | None = None, include: str = NONE
    ) -> Page:
        """The journal as this path sees it: all of it, or one session's since its reset.

        A session's `dropped` counts the entries of any session the journal dropped after the
        session's reset: exact when the journal kept everything, an upper bound otherwise.
        `include=unprefixed` adds the requests sent since that reset without a session prefix
        (D75): a test's view, where a client made before the test keeps the whole mock's URL.
        """
        name: str | None = scope.get(SESSION)
        if name is None:
            return self._journal.read(since, limit)
        start = self._sessions.named(name).since
        every = self._journal.read(max(since, start))
        mine_or = (name, None) if include == UNPREFIXED else (name,)
        mine = [entry for entry in every.entries if entry.get("session") in mine_or]
        oldest = self._journal.read(0, 1).entries
        lost = max(0, oldest[0]["seq"] - 1 - start) if oldest else 0
        dropped = min(every.dropped, lost)
        return Page(mine if limit is None else mine[:limit], len(mine) + dropped, dropped)

    def _session(self, scope: Scope) -> Session:
        return self._sessions.of(scope)

    def _requests(self, scope: Scope, body: bytes) -> Response:
        query = query_of(scope, ("since", "limit", "format", "include"))
        since = whole_number(query, "since", 0) or 0
        limit = whole_number(query, "limit", 1)
        form = choice(query, "format", ("json", "har"))
        page = self._page(scope, since, limit, choice(query, "include", INCLUDE))
        if form == "har":
            # HAR 1.2 of the same entries, secrets redacted, each with its `_seq` (D48).
            return json_answer(to_har([from_entry(entry) for entry in page.entries]))
        return json_answer({"requests": page.entries, "total": page.total, "dropped": page.dropped})

    def _clear(self, scope: Scope, body: bytes) -> Response:
        query_of(scope, ())
        if scope.get(SESSION) is None:
            self._journal.clear()
        else:
            # A session's view starts after the newest entry; the others' entries stay (D70).
            self._refuse_workers()
            self._session(scope).since = self._journal.last_seq()
        return Response(status_code=204)

    def _verdict(self, scope: Scope, body: bytes) -> Response:
        query = query_of(scope, ("format", "include"))
        form = choice(query, "format", ("json", "html"))
        page = self._page(scope, include=choice(query, "include", INCLUDE))
        if scope.get(SESSION) is None:
            verdict = judge_sessions(page.entries)
        else:
            # A session's view is one client's, with the unprefixed requests it includes (D75).
            verdict = judge([from_entry(entry) for entry in page.entries])
        if form == "html":
            return HTMLResponse(render_html(verdict))
        return json_answer(verdict.to_json())

    def _spec(self, scope: Scope, body: bytes) -> Response:
        query_of(scope, ())
        return json_answer(ADMIN_SPEC)

    def _scenarios(self, scope: Scope, body: bytes) -> Response:
        query_of(scope, ())
        return json_answer({"scenarios": self._session(scope).book.listing()})

    def _add_scenarios(self, scope: Scope, body: bytes) -> Response:
        query_of(scope, ())
        self._refuse_workers()
        try:
            scenarios = parse_many(json_body(body), "")
        except ScenarioError as error:
            raise BadInput(str(error)) from None
        for scenario in scenarios:
            self._session(scope).book.add(scenario)
        return json_answer({"scenarios": self._session(scope).book.listing()}, 201)

    def _clear_scenarios(self, scope: Scope, body: bytes) -> Response:
        query_of(scope, ())
        self._session(scope).book.clear()
        return Response(status_code=204)

    def _delete_scenario(self, scope: Scope, body: bytes) -> Response:
        query_of(scope, ())
        name = scope["path"][len(SCENARIOS) + 1 :]
        if not self._session(scope).book.delete(name):
            return problem(404, f"no scenario named {name!r}; GET {SCENARIOS} lists them")
        return Response(status_code=204)

    def _get_clock(self, scope: Scope, body: bytes) -> Response:
        query_of(scope, ())
        return json_answer(self._session(scope).clock.to_json())

    def _set_clock(self, scope: Scope, body: bytes) -> Response:
        query_of(scope, ())
        self._refuse_workers()
        try:
            self._session(scope).clock.apply(json_body(body))
        except ClockError as error:
            raise BadInput(str(error)) from None
        return json_answer(self._session(scope).clock.to_json())

    def _refuse_workers(self) -> None:
        if not self._single:
            raise Conflict(
                "scenarios and the clock need --workers 1: each worker process would keep "
                "its own (D68)"
            )
