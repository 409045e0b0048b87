"""Journal entries as the mock's `GET /__mock/requests` writes them (D44), for the rules' tests."""

from __future__ import annotations

from typing import Any

from contract import OPERATION_PATH

# A fixed epoch second, so that times in messages are read from the test, not the clock.
T0 = 1_800_000_000.0


def entry(
    seq: int,
    query: str,
    *,
    at: float | None = None,
    code: int | None = 2000,
    status: int | None = None,
    count: int | None = None,
    returned: int | None = None,
    limit: int | None = None,
    headers: list[list[str]] | None = None,
    client: str = "127.0.0.1:50000",
    elapsed_ms: float = 2.0,
    path: str = OPERATION_PATH,
) -> dict[str, Any]:
    """One entry; `at` defaults to one second per sequence number after T0."""
    statuses = {2000: 200, 4005: 400, 53003: 404, 5000: 500, 401: 401, 402: 401, 403: 401}
    return {
        "seq": seq,
        "at": T0 + seq if at is None else at,
        "elapsed_ms": elapsed_ms,
        "client": client,
        "method": "GET",
        "path": path,
        "query": query,
        "headers": headers if headers is not None else [["host", "mock.test"]],
        "status": status if status is not None else statuses.get(code or 0, 200),
        "code": code,
        "count": count,
        "returned": returned,
        "limit": limit,
        "scenario": None,
    }
