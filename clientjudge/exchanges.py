"""Recorded exchanges as the rules read them: journal entries, order, clients, quotes.

A journal entry of the mock (`GET /__mock/requests`) keeps no body: its answer is a `Summary`
(business code, `count`, records returned, limit served) on the suite's `Exchange`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from conformance.exchange import SUCCESS, Exchange, Summary


class EntryError(ValueError):
    """A journal entry without a field the rules need, or with one of the wrong type."""


def _int_or_none(entry: Mapping[str, Any], name: str) -> int | None:
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise EntryError(f"{name}: {value!r} is not an integer")
    return value


def _number(entry: Mapping[str, Any], name: str) -> float:
    value = entry.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise EntryError(f"{name}: {value!r} is not a number")
    return float(value)


def _text(entry: Mapping[str, Any], name: str) -> str:
    value = entry.get(name, "")
    if not isinstance(value, str):
        raise EntryError(f"{name}: {value!r} is not a string")
    return value


def headers_of(pairs: Any) -> dict[str, str]:
    """`[[name, value], ...]` as a mapping of lowercase names; repeated names joined by ", "."""
    if not isinstance(pairs, list):
        raise EntryError(f"headers: {pairs!r} is not a list of [name, value] pairs")
    headers: dict[str, str] = {}
    for pair in pairs:
        if not (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(p, str) for p in pair)
        ):
            raise EntryError(f"headers: {pair!r} is not a [name, value] pair")
        name = pair[0].lower()
        headers[name] = f"{headers[name]}, {pair[1]}" if name in headers else pair[1]
    return headers


def _scenario(entry: Mapping[str, Any]) -> str | None:
    value = entry.get("scenario")
    if value is not None and not isinstance(value, str):
        raise EntryError(f"scenario: {value!r} is not a string or null")
    return value


def from_entry(entry: Mapping[str, Any]) -> Exchange:
    """A journal entry of the mock as the suite's `Exchange` (D44: the entry's format)."""
    status = _int_or_none(entry, "status")
    if status is None:
        raise EntryError("status: missing")
    path, query = _text(entry, "path"), _text(entry, "query")
    headers = headers_of(entry.get("headers", []))
    host = headers.get("host", "")
    url = f"http://{host}{path}" if host else path
    at, elapsed = _number(entry, "at"), _number(entry, "elapsed_ms") / 1000
    return Exchange(
        method=_text(entry, "method").upper(),
        url=f"{url}?{query}" if query else url,
        status=status,
        query=tuple(parse_qsl(query, keep_blank_values=True)),
        request_headers=headers,
        elapsed=elapsed,
        received_at=at + elapsed,
        seq=_int_or_none(entry, "seq"),
        sent_at=at,
        client=_text(entry, "client"),
        summary=Summary(
            code=_int_or_none(entry, "code"),
            count=_int_or_none(entry, "count"),
            returned=_int_or_none(entry, "returned"),
            limit=_int_or_none(entry, "limit"),
            scenario=_scenario(entry),
        ),
    )


def ordered(exchanges: Sequence[Exchange]) -> list[Exchange]:
    """In arrival order, each with a sequence number the findings can quote.

    A recorder's own numbers order them when all have one (the mock numbers requests as they
    arrive, across workers); otherwise the time they were sent does, and they are numbered
    1, 2, ... in that order.
    """
    if all(exchange.seq is not None for exchange in exchanges):
        return sorted(exchanges, key=lambda exchange: exchange.seq or 0)
    in_time = sorted(exchanges, key=lambda exchange: exchange.started_at)
    return [replace(exchange, seq=number) for number, exchange in enumerate(in_time, 1)]


def client_of(exchange: Exchange) -> str:
    """The client's host: a client's connections come from several ports, one machine (D45)."""
    host, _, port = exchange.client.rpartition(":")
    return host if host and port.isdigit() else exchange.client


def quote(exchange: Exchange) -> str:
    """`#SEQ ?query`: how a finding names a request."""
    return f"#{exchange.seq} ?{exchange.raw_query}" if exchange.raw_query else f"#{exchange.seq}"


def header(exchange: Exchange, name: str) -> str:
    """A request header by its lowercase name (recorders keep the case they saw)."""
    for key, value in exchange.request_headers.items():
        if key.lower() == name:
            return value
    return ""


def succeeded(exchange: Exchange) -> bool:
    return bool(exchange.answer_code == SUCCESS)
