"""One recorded request and its response: what every judgement of the suite looks at.

The suite's own client records an `Exchange` per request it sends; a validating proxy can build
the same object from traffic it merely observes. The judgements (`per_exchange.py`,
`across_exchanges.py`) read nothing else, so they judge both alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from conformance.failures import curl_line

SUCCESS = 2000
ID_PARAMETER = "annotationRequestId"
DEFAULT_OFFSET = 1
DEFAULT_LIMIT = 10
LIMIT_CAP = 1000
# A failure quotes this many characters of the body it judged (C47).
QUOTED_CHARACTERS = 160


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Summary:
    """An answer without its body: business code, `count`, records returned, limit served."""

    code: int | None = None
    count: int | None = None
    returned: int | None = None
    limit: int | None = None
    # The mock's scenario that shaped this answer (D67): a provoked outcome, not a real one.
    scenario: str | None = None


@dataclass(frozen=True)
class Exchange:
    """A request (method, URL, decoded query pairs, headers) and the response that came back.

    Its derived values are computed once (`cached_property`: an exchange never changes): the
    judgements read `records` or `served_limit` per record, and a page holds up to 1000.

    `body` is the parsed JSON (None when the body was not JSON); `text` the raw body, kept for
    messages. `query` holds the pairs in the order sent, percent-decoded.
    """

    method: str
    url: str
    status: int
    body: Any = None
    query: tuple[tuple[str, str], ...] = ()
    request_headers: Mapping[str, str] = field(default_factory=dict)
    response_headers: Mapping[str, str] = field(default_factory=dict)
    text: str = ""
    elapsed: float = 0.0
    # When the response arrived (seconds since the epoch): `date` is judged against it.
    received_at: float = 0.0
    # Set by a recorder that numbers what it saw (the mock's journal, a HAR file, the proxy):
    # the client's judge (`clientjudge/`) quotes requests by it. Unset, nothing reads it.
    seq: int | None = None
    # When the request was sent or arrived, if the recorder knew it apart from `received_at`.
    sent_at: float | None = None
    # Who sent it ("host:port"), when the recorder saw it.
    client: str = ""
    # What the response said when its body was not kept (a journal entry, a HAR file without
    # content): only `answer_code`, `answer_count` and `answer_returned` read it.
    summary: Summary | None = None
    # How many times the request was sent to get this answer: a 5000 is re-sent (C46).
    attempts: int = 1

    @classmethod
    def build(
        cls,
        method: str,
        url: str,
        status: int,
        body: Any = None,
        *,
        request_headers: Mapping[str, str] | None = None,
        response_headers: Mapping[str, str] | None = None,
        text: str = "",
        elapsed: float = 0.0,
        received_at: float = 0.0,
        attempts: int = 1,
    ) -> Exchange:
        """An exchange whose query pairs are read from `url` (what an observer has)."""
        query = tuple(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        lowered = {name.lower(): value for name, value in (response_headers or {}).items()}
        return cls(
            method.upper(), url, status, body, query, dict(request_headers or {}), lowered,
            text, elapsed, received_at, attempts=attempts,
        )  # fmt: skip

    # The request, as the contract reads it.

    @cached_property
    def raw_query(self) -> str:
        """The query as sent, still percent-encoded."""
        return urlsplit(self.url).query

    @cached_property
    def path(self) -> str:
        return urlsplit(self.url).path

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """The IDs asked for, repeated and comma-separated forms alike, duplicates once (D7)."""
        items = [part for value in self.values(ID_PARAMETER) for part in value.split(",")]
        return tuple(dict.fromkeys(items))

    def _integer(self, name: str, default: int) -> int | None:
        values = self.values(name)
        if not values:
            return default
        if len(values) > 1 or not values[0].isascii() or not values[0].isdigit():
            return None
        return int(values[0])

    @cached_property
    def offset(self) -> int | None:
        """The page asked for (1-based), or None when the request does not name one validly."""
        return self._integer("offset", DEFAULT_OFFSET)

    @cached_property
    def limit(self) -> int | None:
        """The page size asked for, before the cap; None when not valid."""
        return self._integer("limit", DEFAULT_LIMIT)

    @cached_property
    def served_limit(self) -> int | None:
        """The page size the contract serves: `limit` capped at 1000 (D5)."""
        return None if self.limit is None else min(self.limit, LIMIT_CAP)

    @cached_property
    def id_set(self) -> frozenset[str]:
        return frozenset(self.ids)

    # The response, as the contract reads it.

    @cached_property
    def curl(self) -> str:
        return curl_line(self.method, self.url, self.request_headers)

    @cached_property
    def quote(self) -> str:
        """The response as a failure quotes it: `HTTP 200, code 2000: {"code":2000,...`."""
        text = self.text
        if not text and self.body is not None:
            try:
                text = orjson.dumps(self.body).decode()
            except TypeError:  # a hand-made body with what JSON cannot hold
                text = repr(self.body)
        flat = " ".join(text.split())
        shown = flat[:QUOTED_CHARACTERS] + ("..." if len(flat) > QUOTED_CHARACTERS else "")
        code = f", code {self.code!r}" if self.code is not None else ", no envelope"
        return f"HTTP {self.status}{code}: {shown or '(empty body)'}"

    @cached_property
    def code(self) -> Any:
        return self.body.get("code") if isinstance(self.body, Mapping) else None

    @cached_property
    def page(self) -> Mapping[str, Any] | None:
        data = self.body.get("data") if self.code == SUCCESS else None
        return data if isinstance(data, Mapping) else None

    @cached_property
    def count(self) -> int | None:
        count = self.page.get("count") if self.page is not None else None
        return count if _is_int(count) else None

    @cached_property
    def records(self) -> list[Mapping[str, Any]] | None:
        """The page's records, or None when the page is not shaped as the contract says."""
        records = self.page.get("data") if self.page is not None else None
        if not isinstance(records, list):
            return None
        # `type(r) is dict` first: what a JSON parser gives, checked 5x faster than the ABC.
        if all(type(r) is dict for r in records) or all(isinstance(r, Mapping) for r in records):
            return records
        return None

    @cached_property
    def record_ids(self) -> list[Any]:
        return [record.get("id") for record in self.records or []]

    @cached_property
    def int_record_ids(self) -> list[int] | None:
        """The page's record ids when all are integers, else None (a schema problem)."""
        ids = self.record_ids
        exact = all(type(item) is int for item in ids)  # no bool: the fast common case
        return ids if exact or all(_is_int(item) for item in ids) else None

    @cached_property
    def started_at(self) -> float:
        """When the request left the client (or reached the server), in epoch seconds."""
        return self.sent_at if self.sent_at is not None else self.received_at - self.elapsed

    @cached_property
    def answer_code(self) -> Any:
        """The business code, from the body when there is one, else from the summary."""
        if self.body is None and self.summary is not None:
            return self.summary.code
        return self.code

    @cached_property
    def answer_count(self) -> int | None:
        """`count` of a 2000 answer, from the body when there is one, else from the summary."""
        if self.body is None and self.summary is not None:
            return self.summary.count if self.summary.code == SUCCESS else None
        return self.count

    @cached_property
    def answer_returned(self) -> int | None:
        """How many records the page held, from the body when there is one, else the summary."""
        if self.body is None and self.summary is not None:
            return self.summary.returned if self.summary.code == SUCCESS else None
        return None if self.records is None else len(self.records)

    @cached_property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    @cached_property
    def is_page(self) -> bool:
        """A 2000 answer to a GET with a valid offset and limit: a page the rules apply to."""
        return (
            self.method == "GET"
            and self.count is not None
            and self.records is not None
            and self.offset is not None
            and self.limit is not None
            and self.offset >= 1
            and self.limit >= 1
        )


def pages(exchanges: Sequence[Exchange]) -> list[Exchange]:
    return [exchange for exchange in exchanges if exchange.is_page]
