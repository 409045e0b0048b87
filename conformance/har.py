"""Exchanges to and from HAR 1.2, the format browsers' devtools, mitmproxy and Charles export.

Pure (no web stack): the mock's journal exports its entries with `to_har`, reports attach it,
and `client-verdict` reads HAR files from anywhere with `read_har`. Values that sign or
authenticate (`X-SIGN`, `Authorization`, `Cookie`, `Set-Cookie`) are written as `[REDACTED]`;
header names are kept. Each entry carries its sequence number in `_seq` and what the answer
said in `_stardust` (code, count, records returned, limit served, client), so an export of a
journal that kept no bodies is judged as the journal is (custom fields start with `_`, HAR 1.2).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from conformance.exchange import Exchange, Summary
from contract import OPERATION_PATH

REDACTED = "[REDACTED]"
SECRET_HEADERS = frozenset({"x-sign", "authorization", "cookie", "set-cookie"})
DEFAULT_CREATOR = {"name": "stardust-statistics-mock", "version": "0.1.0"}


class HarError(ValueError):
    """A HAR file that cannot be read; the message names the file and the reason."""


def redacted(headers: Mapping[str, str]) -> list[dict[str, str]]:
    return [
        {"name": name, "value": REDACTED if name.lower() in SECRET_HEADERS else value}
        for name, value in headers.items()
    ]


def _iso(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _content(exchange: Exchange) -> dict[str, Any]:
    mime = exchange.content_type or "application/json"
    if exchange.body is not None:
        text = orjson.dumps(exchange.body).decode()
    elif exchange.text:
        text = exchange.text
    else:
        # No body kept (a journal entry): `_stardust` says what the answer held.
        return {"size": 0, "mimeType": mime}
    return {"size": len(text.encode()), "mimeType": mime, "text": text}


def _entry(exchange: Exchange) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "startedDateTime": _iso(exchange.started_at),
        "time": round(exchange.elapsed * 1000, 3),
        "request": {
            "method": exchange.method,
            "url": exchange.url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": redacted(exchange.request_headers),
            "queryString": [{"name": name, "value": value} for name, value in exchange.query],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": exchange.status,
            "statusText": _status_text(exchange.status),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": redacted(exchange.response_headers),
            "content": _content(exchange),
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": round(exchange.elapsed * 1000, 3), "receive": 0},
        "_seq": exchange.seq,
        "_stardust": {
            "client": exchange.client,
            "code": exchange.answer_code,
            "count": exchange.answer_count,
            "returned": exchange.answer_returned,
            "limit": exchange.served_limit,
        },
    }
    scenario = exchange.summary.scenario if exchange.summary else None
    if scenario is not None:
        # The mock's scenario that shaped the answer (D67), so a provoked 5000 stays one.
        entry["_stardust"]["scenario"] = scenario
    return entry


def to_har(
    exchanges: Sequence[Exchange], creator: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A HAR 1.2 document of the exchanges, in the order given."""
    return {
        "log": {
            "version": "1.2",
            "creator": dict(creator or DEFAULT_CREATOR),
            "entries": [_entry(exchange) for exchange in exchanges],
        }
    }


# Reading.


def _mapping(node: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(node, Mapping):
        raise ValueError(f"{where} is not an object")
    return node


def _headers(node: Any, where: str) -> dict[str, str]:
    if not isinstance(node, list):
        raise ValueError(f"{where}.headers is not a list")
    headers: dict[str, str] = {}
    for item in node:
        item = _mapping(item, f"{where}.headers[]")
        name, value = item.get("name"), item.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError(f"{where}.headers has an entry without a name and value")
        # HTTP/2 pseudo-headers (Chrome writes `:authority`, `:path`...) are not headers.
        if name.startswith(":"):
            continue
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _started(value: Any) -> float:
    if not isinstance(value, str):
        raise ValueError("startedDateTime is missing")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"startedDateTime {value!r} is not an ISO 8601 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _body(content: Mapping[str, Any]) -> tuple[Any, str]:
    text = content.get("text")
    if not isinstance(text, str):
        return None, ""
    if content.get("encoding") == "base64":
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise ValueError("response.content.text is not base64 as its encoding says") from None
    try:
        return json.loads(text), ""
    except json.JSONDecodeError:
        return None, text[:2000]


def _int(node: Mapping[str, Any], name: str) -> int | None:
    value = node.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _summary(node: Any) -> tuple[Summary | None, str]:
    if not isinstance(node, Mapping):
        return None, ""
    client = node.get("client")
    code, count, returned, limit = (
        _int(node, name) for name in ("code", "count", "returned", "limit")
    )
    scenario = node.get("scenario")
    summary = Summary(code, count, returned, limit, scenario if isinstance(scenario, str) else None)
    return summary, client if isinstance(client, str) else ""


def _exchange(entry: Mapping[str, Any]) -> Exchange | None:
    """The entry as an exchange, or None when it is not a request to the operation."""
    request = _mapping(entry.get("request"), "request")
    response = _mapping(entry.get("response"), "response")
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        raise ValueError("request.method or request.url is missing")
    # The browser's CORS preflights are not the client's requests.
    if not urlsplit(url).path.endswith(OPERATION_PATH) or method.upper() == "OPTIONS":
        return None
    status = _int(response, "status")
    if status is None:
        raise ValueError("response.status is not an integer")
    started = _started(entry.get("startedDateTime"))
    took = entry.get("time", 0)
    elapsed = float(took) / 1000 if isinstance(took, int | float) and took > 0 else 0.0
    body, text = _body(_mapping(response.get("content", {}), "response.content"))
    summary, client = _summary(entry.get("_stardust"))
    return Exchange(
        method=method.upper(),
        url=url,
        status=status,
        body=body,
        query=tuple(parse_qsl(urlsplit(url).query, keep_blank_values=True)),
        request_headers=_headers(request.get("headers", []), "request"),
        response_headers=_headers(response.get("headers", []), "response"),
        text=text,
        elapsed=elapsed,
        received_at=started + elapsed,
        seq=_int(entry, "_seq"),
        sent_at=started,
        client=client,
        summary=summary,
    )


def _read_one(path: Path) -> list[Exchange]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise HarError(f"{path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise HarError(f"{path}: not UTF-8 text, so not a HAR file") from None
    except json.JSONDecodeError as error:
        raise HarError(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None
    log = document.get("log") if isinstance(document, Mapping) else None
    entries = log.get("entries") if isinstance(log, Mapping) else None
    if not isinstance(entries, list):
        raise HarError(f"{path}: no log.entries list, so not a HAR file")
    exchanges = []
    for number, entry in enumerate(entries, 1):
        try:
            exchange = _exchange(_mapping(entry, "the entry"))
        except ValueError as error:
            raise HarError(f"{path}: entry {number}: {error}") from None
        if exchange is not None:
            exchanges.append(exchange)
    return exchanges


def read_har(paths: Sequence[Path]) -> list[Exchange]:
    """The requests to the operation in all files, as one traffic ordered by time.

    Sequence numbers (`_seq`) are kept when every entry has one and none repeats (one mock's
    export); otherwise, as for several mock instances behind a load balancer, they are
    dropped and the judge numbers the union in time order.
    """
    exchanges = [exchange for path in paths for exchange in _read_one(path)]
    exchanges.sort(key=lambda exchange: exchange.started_at)
    numbers = [exchange.seq for exchange in exchanges]
    if None in numbers or len(set(numbers)) != len(numbers):
        exchanges = [replace(exchange, seq=None) for exchange in exchanges]
    return exchanges
