"""Several workers, one set of data: any worker, and any instance with the same seed."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from mockserver.config import Settings
from tests.support.inprocess import BASE_URL, in_process
from tests.support.servers import mock_server

QUERIES = (
    "annotationRequestId=7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b&limit=25&offset=3",
    "annotationRequestId=large-annotation-request&limit=1000&offset=1001",
    "annotationRequestId=large-annotation-request&limit=10&offset=100001",
    "annotationRequestId=workers-a,workers-b,workers-c&limit=200",
    "annotationRequestId=workers-d&limit=50&offset=2",
)
ROUNDS = 12


def answer_of(base_url: str, query: str, client: httpx.Client) -> tuple[str, str]:
    """The `data` of one answer, and its `requestId`."""
    response = client.get(f"{base_url}/statistics/record?{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    return json.dumps(body["data"], sort_keys=True), body["requestId"]


def worker_pids(parent: int) -> list[int]:
    """uvicorn's worker processes: the parent's children started by multiprocessing's spawn."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])


# The heavy tier (CI, make test-heavy): a multi-worker or draining process, seconds each;
# make test keeps the in-process proof of the same rule.
@pytest.mark.heavy
def test_two_workers_serve_the_data_of_one_worker_with_the_same_seed() -> None:
    # One worker is the app itself: asked in-process, it needs no process of its own.
    with in_process(Settings(seed=1)) as single:
        expected = {query: answer_of(BASE_URL, query, single)[0] for query in QUERIES}
    with mock_server("--seed", "1", "--workers", "2") as pair:
        workers = worker_pids(pair.process.pid)
        assert len(workers) == 2
        before = {pid: cpu_ticks(pid) for pid in workers}
        asked = [query for _ in range(ROUNDS) for query in QUERIES]
        # No connection is kept alive, so that any worker may take each request; one client,
        # not one per request, which would build a TLS context each time (40 ms of CPU).
        fresh = httpx.Limits(max_keepalive_connections=0)
        with (
            httpx.Client(timeout=30.0, limits=fresh) as client,
            ThreadPoolExecutor(max_workers=8) as pool,
        ):
            answers = list(pool.map(lambda query: answer_of(pair.base_url, query, client), asked))
            # One journal (D47): whichever worker answers, it holds every worker's requests,
            # each with a sequence number of its own.
            journals = [client.get(f"{pair.base_url}/__mock/requests").json() for _ in range(4)]
        after = {pid: cpu_ticks(pid) for pid in workers}
    served: dict[str, set[str]] = {}
    for query, (data, _) in zip(asked, answers, strict=True):
        served.setdefault(query, set()).add(data)
    assert served == {query: {data} for query, data in expected.items()}
    assert all(after[pid] > before[pid] for pid in workers), "both workers answered requests"
    # Each worker draws request IDs from its own generator, seeded by the system: never the same.
    request_ids = [request_id for _, request_id in answers]
    assert len(set(request_ids)) == len(request_ids)
    for journal in journals:
        assert (journal["total"], journal["dropped"]) == (len(asked), 0)
        assert sorted(entry["seq"] for entry in journal["requests"]) == list(
            range(1, len(asked) + 1)
        )
        assert sorted(entry["query"] for entry in journal["requests"]) == sorted(asked)
    # Stopped, the parent reads the workers' shared journal for its verdict.
    assert f"Client verdict: {len(asked)} requests" in pair.output()
