"""Exchanges as HAR 1.2, and back: what browsers, proxies and HAR viewers read.

Minimal stand-in written by session h21-reports while h20-rules's module (same names) was not
yet on its branch; the integrator keeps h20-rules's. Signature values are redacted: a HAR is
shared, and an `X-SIGN` with its `X-TS` replays the request within the server's window.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from conformance.exchange import Exchange

REDACTED = "REDACTED"
SECRET_HEADERS = frozenset({"x-sign"})


def _headers(headers: Any) -> list[dict[str, str]]:
    return [
        {"name": name, "value": REDACTED if name.lower() in SECRET_HEADERS else str(value)}
        for name, value in dict(headers).items()
    ]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def entry(exchange: Exchange) -> dict[str, Any]:
    started = datetime.fromtimestamp(max(exchange.received_at - exchange.elapsed, 0), UTC)
    milliseconds = round(exchange.elapsed * 1000, 3)
    return {
        "startedDateTime": started.isoformat().replace("+00:00", "Z"),
        "time": milliseconds,
        "request": {
            "method": exchange.method,
            "url": exchange.url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _headers(exchange.request_headers),
            "queryString": [{"name": k, "value": v} for k, v in exchange.query],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": exchange.status,
            "statusText": _reason(exchange.status),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _headers(exchange.response_headers),
            "content": {
                "size": len(exchange.text.encode()),
                "mimeType": exchange.content_type,
                "text": exchange.text,
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(exchange.text.encode()),
        },
        "cache": {},
        "timings": {"send": 0, "wait": milliseconds, "receive": 0},
    }


def to_har(exchanges: Sequence[Exchange]) -> dict[str, Any]:
    """HAR 1.2 of `exchanges`, in order, signature values redacted."""
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "stardust-conformance", "version": "1"},
            "entries": [entry(exchange) for exchange in exchanges],
        }
    }


def _exchange(item: dict[str, Any]) -> Exchange:
    request, response = item["request"], item["response"]
    text = (response.get("content") or {}).get("text") or ""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    return Exchange.build(
        request["method"],
        request["url"],
        int(response["status"]),
        body,
        request_headers={h["name"]: h["value"] for h in request.get("headers", [])},
        response_headers={h["name"]: h["value"] for h in response.get("headers", [])},
        text=text,
        elapsed=float(item.get("time", 0)) / 1000,
    )


def read_har(paths: Iterable[Path]) -> list[Exchange]:
    """Every entry of the HAR files `paths`, in order, as exchanges."""
    found: list[Exchange] = []
    for path in paths:
        log = json.loads(Path(path).read_text(encoding="utf-8"))["log"]
        found += [_exchange(item) for item in log.get("entries", [])]
    return found
