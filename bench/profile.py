"""The mock's request path in-process, without sockets: time per request and where it goes.

`python -m bench.profile [--requests N] [--top K] [QUERY]` drives the ASGI app exactly as
uvicorn would call it, next to the ceiling (a bare Starlette route answering the mock's own
body, as `make bench` serves it) in the same harness; then the request path by part (the mock
without its fast door, without its journal, with its access log: C75); then times cold records
(generated and serialised, nothing cached) by the step of their task; then profiles the mock's
loop with cProfile. It isolates what our code and Connexion's stack cost per request from the
server and the network, which the load generator cannot tell apart. Every time is the best of
several rounds taken in turn, so that a busy machine slows both sides of a ratio alike.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import time
from collections.abc import Callable, MutableMapping, Sequence
from functools import partial
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from bench.ceiling import endpoint
from mockserver.access_log import AccessLog
from mockserver.app import create_app
from mockserver.cli import WRITER_VARIABLE
from mockserver.config import DEFAULT_FIXTURES, Settings
from mockserver.envelope import success_head
from mockserver.fixtures import load_folder
from mockserver.generator import PinnedRequest, Plan, Vocabulary, make_plan, make_record
from mockserver.record_json import RecordWriter, loop_status, writer_loop
from mockserver.shapes import SHAPES

DEFAULT_QUERY = "annotationRequestId=large-annotation-request&limit=10&offset=1"
ROUNDS = 5
STEPS = (0, 3, 10, 40)
RECORDS_PER_STEP = 2000
# Cold records are timed in small batches, the steps in turn, many times over: on a shared
# machine a burst of someone else's work then spoils one batch of one step, not a whole step.
BATCH = 100


def make_scope(path: str, query: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "extensions": {},
        "state": {},
    }


async def one_request(app: ASGIApp, path: str, query: str) -> tuple[int, list[bytes]]:
    """The status and the body as the parts the app sent: joining them would add a copy of a
    large body that a server writing each part to its socket never makes."""
    status = 0
    chunks: list[bytes] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            chunks.append(message.get("body", b""))

    await app(make_scope(path, query), receive, send)
    return status, chunks


async def drive(app: ASGIApp, path: str, query: str, requests: int) -> float:
    """Seconds per request over `requests` sequential requests (after one that warms up)."""
    status, chunks = await one_request(app, path, query)
    if status != 200:
        body = b"".join(chunks)
        raise RuntimeError(f"{path}?{query} answered {status}: {body[:200]!r}")
    started = time.perf_counter()
    for _ in range(requests):
        await one_request(app, path, query)
    return (time.perf_counter() - started) / requests


def ceiling_app(path: str, body: bytes) -> Starlette:
    """The ceiling of `make bench`: the mock's answer as pre-built bytes on a bare route."""
    return Starlette(routes=[Route(path, endpoint(body))])


def against_ceiling(
    loop: asyncio.AbstractEventLoop, app: ASGIApp, path: str, query: str, requests: int
) -> tuple[float, float]:
    """Seconds per request of the mock and of the ceiling, each the best of ROUNDS in turn."""
    status, chunks = loop.run_until_complete(one_request(app, path, query))
    body = b"".join(chunks)
    if status != 200:
        raise RuntimeError(f"{path}?{query} answered {status}: {body[:200]!r}")
    ceiling = ceiling_app(path, body)
    mock_best = ceiling_best = float("inf")
    for _ in range(ROUNDS):
        mock_best = min(mock_best, loop.run_until_complete(drive(app, path, query, requests)))
        ceiling_best = min(
            ceiling_best, loop.run_until_complete(drive(ceiling, path, query, requests))
        )
    return mock_best, ceiling_best


# The request path's parts (C75): the same app built without one part at a time.
PATH_VARIANTS = (
    ("the mock (fast door, journal on, no access log)", Settings(), True),
    ("without the fast door: every request through Connexion's stack", Settings(), False),
    ("without the journal (--no-journal)", Settings(journal=False), True),
)


def request_path_parts(
    loop: asyncio.AbstractEventLoop, path: str, query: str, requests: int
) -> list[tuple[str, float]]:
    """CPU seconds per request of each PATH_VARIANTS app, and of the mock with its access log
    (to /dev/null), the best of ROUNDS rounds taken in turn."""
    apps: list[tuple[str, ASGIApp]] = [
        (label, create_app(settings, fast_door=door)) for label, settings, door in PATH_VARIANTS
    ]
    logged = create_app(Settings())
    with open(os.devnull, "wb") as devnull:
        log = logged.log_inside(partial(AccessLog, fd=devnull.fileno(), colours=False))
        apps.append(("with the access log on (as `make mock` serves it)", logged))

        async def many(app: ASGIApp) -> None:
            for _ in range(requests):
                await one_request(app, path, query)

        for _, app in apps:
            loop.run_until_complete(many(app))
        best = [float("inf")] * len(apps)
        for _ in range(ROUNDS):
            for index, (_, app) in enumerate(apps):
                started = time.process_time()
                loop.run_until_complete(many(app))
                best[index] = min(best[index], (time.process_time() - started) / requests)
        log.flush()
    return [(label, cost) for (label, _), cost in zip(apps, best, strict=True)]


def long_tasks_plan(vocabulary: Vocabulary) -> Plan:
    """A 4,000,000-record request whose longest tasks reach step 40 and beyond."""
    for index in range(1000):
        plan = make_plan(1, vocabulary, f"profile-{index}", PinnedRequest(count=4_000_000))
        if plan.layout.depth > max(STEPS):
            return plan
    raise RuntimeError("no request with tasks that long")


def positions_by_step(plan: Plan, start: int) -> dict[int, list[int]]:
    """RECORDS_PER_STEP positions from `start` on whose record is step s of its task."""
    found: dict[int, list[int]] = {step: [] for step in STEPS}
    position = start
    while min(len(positions) for positions in found.values()) < RECORDS_PER_STEP:
        for offset, (_, step, _) in enumerate(plan.layout.slots(position, position + 1000)):
            if step in found and len(found[step]) < RECORDS_PER_STEP:
                found[step].append(position + offset)
        position += 1000
    return found


def record_costs() -> dict[int, float]:
    """Seconds per cold record (generated and serialised) at each step, best of ROUNDS."""
    plan = long_tasks_plan(Vocabulary.from_faker(1))
    by_step = positions_by_step(plan, 1_000_000)
    for index in range(SHAPES):
        plan.histories[index]  # the task histories are drawn on their first use: not timed
    best = {step: float("inf") for step in STEPS}
    for _ in range(ROUNDS):
        for batch in range(0, RECORDS_PER_STEP, BATCH):
            for step, positions in by_step.items():
                started = time.perf_counter()
                for position in positions[batch : batch + BATCH]:
                    orjson.dumps(make_record(plan, position))
                best[step] = min(best[step], (time.perf_counter() - started) / BATCH)
    return best


LARGE = "large-annotation-request"
# (records per page, pages per round, first fresh page): pages no other part of the run asks.
FRESH_PAGES = ((10, 2000, 100_001), (1000, 10, 1002))


def cpu_per_call(calls: int, work: Callable[[int], object]) -> float:
    """CPU seconds (this process's, not the wall clock's) per call, the best of ROUNDS rounds:
    on a shared machine, CPU time moves far less than elapsed time."""
    best = float("inf")
    for round_number in range(ROUNDS):
        started = time.process_time()
        work(round_number)
        best = min(best, (time.process_time() - started) / calls)
    return best


def record_writer() -> str:
    """Which loop writes the mock's records (D81) where this checkout starts it."""
    chosen = os.environ.get(WRITER_VARIABLE)
    if chosen == "python":
        return f"Python (${WRITER_VARIABLE}=python)"
    return loop_status() + (f" (${WRITER_VARIABLE}={chosen})" if chosen else "")


def fresh_page_parts(loop: asyncio.AbstractEventLoop) -> dict[str, float]:
    """Where a fresh page's CPU goes, in-process, by part (seconds per page)."""
    # As the mock would write them: $MOCKSERVER_RECORD_WRITER, or the compiled loop if built.
    choice = os.environ.get(WRITER_VARIABLE) or "auto"
    app = create_app(Settings(record_writer=choice))
    pinned = load_folder(DEFAULT_FIXTURES).pinned[LARGE]
    writer = RecordWriter(
        make_plan(1, Vocabulary.from_faker(1), LARGE, pinned), writer_loop(choice)
    )
    path = "/statistics/record"

    def asking(application: ASGIApp, queries: Sequence[str]) -> None:
        for query in queries:
            loop.run_until_complete(one_request(application, path, query))

    def page(size: int, offset: int) -> str:
        return f"annotationRequestId={LARGE}&limit={size}&offset={offset}"

    # The task histories of the request's workflow are drawn on first use: not timed.
    asking(app, [page(10, offset) for offset in range(230_001, 231_001)])
    parts: dict[str, float] = {}
    for size, pages, first in FRESH_PAGES:
        starts = [(first - 1 + index) * size for index in range(ROUNDS * pages)]
        written = writer.records(0, size)
        # Pages of the app's own store, never asked before (the writer above is another).
        fresh = [page(size, first + ROUNDS * pages + index) for index in range(ROUNDS * pages)]
        again = [page(size, 2)] * pages

        def records_round(
            r: int, size: int = size, pages: int = pages, s: list[int] = starts
        ) -> None:
            for start in s[r * pages : (r + 1) * pages]:
                writer.records(start, start + size)

        def envelope_round(_r: int, written: list[bytes] = written) -> None:
            for _ in range(100):
                success_head(1, written)

        def fresh_round(r: int, pages: int = pages, fresh: list[str] = fresh) -> None:
            asking(app, fresh[r * pages : (r + 1) * pages])

        def again_round(_r: int, again: list[str] = again) -> None:
            asking(app, again)

        parts[f"records {size}"] = cpu_per_call(pages, records_round)
        parts[f"envelope {size}"] = cpu_per_call(100, envelope_round)
        parts[f"fresh {size}"] = cpu_per_call(pages, fresh_round)
        parts[f"again {size}"] = cpu_per_call(pages, again_round)
    with open(os.devnull, "wb") as devnull:
        # As `python -m mockserver` logs: inside the fast door, which logs what it answers.
        logged_app = create_app(Settings(record_writer=choice))
        log = logged_app.log_inside(partial(AccessLog, fd=devnull.fileno(), colours=False))
        asking(logged_app, [page(10, offset) for offset in range(230_001, 230_101)])
        again10 = [page(10, 2)] * 2000

        def logged_round(_r: int) -> None:
            asking(logged_app, again10)

        parts["logged again 10"] = cpu_per_call(2000, logged_round)
        log.flush()
    return parts


def print_fresh_page_parts(parts: dict[str, float]) -> None:
    print(
        "\nA fresh page of large-annotation-request, in-process CPU (time.process_time) per "
        f"page, best of {ROUNDS} rounds (record writer: {record_writer()}):"
    )
    for size, _, first in FRESH_PAGES:
        fresh, again = parts[f"fresh {size}"], parts[f"again {size}"]
        records, envelope = parts[f"records {size}"], parts[f"envelope {size}"]
        print(
            f"  {size} records (pages {first:,}.. asked once): {fresh * 1e6:,.1f} us; the same "
            f"page asked again {again * 1e6:,.1f} us ({fresh / again:.1f}x)\n"
            f"    records written (generated and serialised): {records * 1e6:,.1f} us "
            f"({records / size * 1e6:.2f} us a record)\n"
            f"    envelope (the page's head joined): {envelope * 1e6:,.1f} us\n"
            f"    the rest (the app stack, the caches' bookkeeping; a page asked once is not "
            f"kept, D84): "
            f"{(fresh - records - envelope) * 1e6:,.1f} us"
        )
    logged = parts["logged again 10"] - parts["again 10"]
    print(
        f"  access log (to /dev/null, 10-record page asked again): {logged * 1e6:+.1f} us a request"
    )


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="requests per round")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--path", default="/statistics/record")
    parser.add_argument("query", nargs="?", default=DEFAULT_QUERY)
    options = parser.parse_args(arguments)
    app = create_app(Settings())
    loop = asyncio.new_event_loop()
    mock, ceiling = against_ceiling(loop, app, options.path, options.query, options.requests)
    print(
        f"In-process, best of {ROUNDS} rounds of {options.requests:,} requests, in turn:\n"
        f"  mock     {options.path}?{options.query}: {mock * 1e6:.1f} us per request\n"
        f"  ceiling  the same body from a bare Starlette route: {ceiling * 1e6:.1f} us per request"
        f"\n  mock / ceiling: {mock / ceiling:.2f}"
    )
    parts = request_path_parts(loop, options.path, options.query, options.requests)
    print(
        f"\nThe request path by part, in-process CPU (time.process_time) per request, best of "
        f"{ROUNDS} rounds of {options.requests:,} in turn:"
    )
    mock_cost = parts[0][1]
    for label, cost in parts:
        print(f"  {label}: {cost * 1e6:.1f} us ({(cost - mock_cost) * 1e6:+.1f} us)")
    costs = record_costs()
    print(
        f"\nA cold record (generated and serialised, nothing cached) by the step of its task, "
        f"{RECORDS_PER_STEP:,} records per step from record 1,000,001 on, the best batch of "
        f"{BATCH} of {ROUNDS} rounds, the steps in turn:"
    )
    for step, cost in costs.items():
        print(f"  step {step:>2}: {cost * 1e6:5.1f} us  ({cost / costs[0]:.2f} x step 0)")
    print_fresh_page_parts(fresh_page_parts(loop))
    print(f"\ncProfile of {options.requests:,} requests of the mock:")
    profiler = cProfile.Profile()
    profiler.enable()
    loop.run_until_complete(drive(app, options.path, options.query, options.requests))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(options.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
