"""docs/client-developers.md: its paging loops run as written, and its anchors stay.

The Python loop runs in-process against the mock (`make_client`); the JavaScript one runs
with `node` against a real mock process (slow; skipped, saying why, where `node` is missing).
The client verdict's fix lines link to the page's sections by anchor: renaming a heading
breaks them, so the anchors are pinned here.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.launch import ROOT
from mockserver.app import create_app
from tests.support.inprocess import BASE_URL, InProcessTransport, settings_with
from tests.support.required import missing

PAGE = ROOT / "docs" / "client-developers.md"
DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"  # 1930 records
ANCHORS = (
    "offset-is-a-page-number",
    "the-1000-cap-and-the-last-page",
    "retries",
    "signing",
    "unknown-enum-values",
)


def named_block(language: str, name: str) -> str:
    """The page's code block whose first line names the file it is."""
    comment = "#" if language == "python" else "//"
    pattern = rf"```{language}\n{re.escape(comment)} {re.escape(name)}\n(.*?)```"
    (body,) = re.findall(pattern, PAGE.read_text(encoding="utf-8"), re.DOTALL)
    return body


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def test_the_sections_the_client_verdict_links_to_keep_their_anchors() -> None:
    headings = re.findall(r"^#{2,3} (.+)$", PAGE.read_text(encoding="utf-8"), re.MULTILINE)
    anchors = {github_anchor(heading) for heading in headings}
    assert set(ANCHORS) <= anchors, sorted(anchors)


@pytest.fixture(scope="module")
def paging() -> types.ModuleType:
    module = types.ModuleType("stardust_paging")
    code = compile(named_block("python", "stardust_paging.py"), "stardust_paging.py", "exec")
    exec(code, module.__dict__)
    return module


class Forcing(httpx.BaseTransport):
    """The in-process mock, with `Prefer: code=N` on the first requests: outcomes on demand."""

    def __init__(self, inner: httpx.BaseTransport, codes: list[int]) -> None:
        self.inner, self.codes, self.sent = inner, list(codes), 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.codes:
            request.headers["Prefer"] = f"code={self.codes.pop(0)}"
        return self.inner.handle_request(request)


@pytest.fixture
def client_with() -> Iterator[Callable[..., tuple[httpx.Client, Forcing]]]:
    """A client of the mock in-process with these Settings, forcing these codes first."""
    made: list[httpx.Client] = []

    def make(codes: tuple[int, ...] = (), **options: Any) -> tuple[httpx.Client, Forcing]:
        app = create_app(settings_with(**options))
        forcing = Forcing(InProcessTransport(app), list(codes))
        client = httpx.Client(transport=forcing, base_url=BASE_URL)
        made.append(client)
        return client, forcing

    yield make
    for client in made:
        client.close()


def test_the_python_loop_reads_every_record_in_two_requests(
    paging: types.ModuleType, client_with: Callable[..., Any]
) -> None:
    client, sent = client_with()
    records = paging.fetch_all(client, [DOC_ID])
    ids = [record["id"] for record in records]
    assert len(records) == 1930 and sent.sent == 2  # 1000 + 930: no extra empty page
    assert ids == sorted(set(ids))


def test_the_python_loop_asks_no_empty_page_when_count_is_a_multiple_of_1000(
    paging: types.ModuleType, client_with: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "two-pages.yaml").write_text(
        "annotationRequests:\n  - id: two-full-pages\n    count: 2000\n"
    )
    client, sent = client_with(fixtures=tmp_path)
    assert len(paging.fetch_all(client, ["two-full-pages"])) == 2000 and sent.sent == 2


def test_the_python_loop_stops_on_an_empty_request(
    paging: types.ModuleType, client_with: Callable[..., Any]
) -> None:
    client, sent = client_with()
    assert paging.fetch_all(client, ["empty-annotation-request"]) == [] and sent.sent == 1


def test_the_python_loop_retries_5000_with_a_growing_back_off(
    paging: types.ModuleType, client_with: Callable[..., Any]
) -> None:
    client, sent = client_with((5000, 5000, 5000))
    waits: list[float] = []
    records = paging.fetch_all(client, [DOC_ID], sleep=waits.append)
    assert len(records) == 1930 and waits == [0.5, 1, 2] and sent.sent == 5


def test_the_python_loop_gives_up_after_its_last_retry(
    paging: types.ModuleType, client_with: Callable[..., Any]
) -> None:
    client, sent = client_with((5000,) * 10)
    waits: list[float] = []
    with pytest.raises(paging.StardustError) as raised:
        paging.fetch_all(client, [DOC_ID], sleep=waits.append)
    assert raised.value.code == 5000 and waits == [0.5, 1, 2, 4, 8] and sent.sent == 6


@pytest.mark.parametrize("code", [4005, 53003, 401, 402, 403])
def test_the_python_loop_never_retries_the_others(
    paging: types.ModuleType, client_with: Callable[..., Any], code: int
) -> None:
    client, sent = client_with((code,) * 3)
    with pytest.raises(paging.StardustError) as raised:
        paging.fetch_all(client, [DOC_ID], sleep=lambda _: None)
    assert raised.value.code == code and sent.sent == 1


def test_the_python_loop_signs_for_a_server_that_checks(
    paging: types.ModuleType, client_with: Callable[..., Any]
) -> None:
    client, _ = client_with(signature_keys={"my-key": "my-secret"})
    with pytest.raises(paging.StardustError) as unsigned:
        paging.fetch_all(client, [DOC_ID])
    assert unsigned.value.code == 402
    with pytest.raises(paging.StardustError) as wrong:
        paging.fetch_all(client, [DOC_ID], keys=("my-key", "not-my-secret"))
    assert wrong.value.code == 401
    assert len(paging.fetch_all(client, [DOC_ID], keys=("my-key", "my-secret"))) == 1930


def test_offset_is_a_page_number_as_the_page_says(client: httpx.Client) -> None:
    # "offset=11&limit=10 is records 101 to 110": the 101st to 110th of the request's order.
    everything = client.get(
        "/statistics/record", params={"annotationRequestId": DOC_ID, "limit": 1000}
    ).json()["data"]["data"]
    page = client.get(
        "/statistics/record", params={"annotationRequestId": DOC_ID, "offset": 11, "limit": 10}
    ).json()["data"]["data"]
    assert page == everything[100:110]
    capped = client.get(
        "/statistics/record", params={"annotationRequestId": DOC_ID, "limit": 5000}
    ).json()["data"]
    assert len(capped["data"]) == 1000 and capped["count"] == 1930


# The JavaScript loop, driven from Node: outcomes forced with `Prefer` through an injected
# fetch, back-off recorded by an injected sleep, as the Python tests do.
NODE_DRIVER = """
import { fetchAll, signatureHeaders } from "./stardust_paging.mjs";

const [baseUrl, id] = process.argv.slice(2);
const forcing = (codes) => {
  const sent = { count: 0 };
  const send = (url, init) => {
    sent.count += 1;
    const code = codes.shift();
    const headers = code ? { ...init.headers, Prefer: `code=${code}` } : init.headers;
    return fetch(url, { ...init, headers });
  };
  return { send, sent };
};
const waits = [];
const retried = forcing([5000, 5000]);
const record = async (ms) => { waits.push(ms); };
const records = await fetchAll(baseUrl, [id], { fetch: retried.send, sleep: record });
const refused = forcing([53003, 53003]);
let code = null;
try {
  await fetchAll(baseUrl, [id], { fetch: refused.send, sleep: async () => {} });
} catch (error) {
  code = error.code;
}
console.log(JSON.stringify({
  ids: records.map((record) => record.id),
  sent: retried.sent.count,
  waits,
  code,
  refusedSent: refused.sent.count,
  headers: signatureHeaders("my-key", "my-secret"),
}));
"""


@pytest.mark.slow
def test_the_javascript_loop_reads_every_record_against_a_real_mock(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        missing(
            "`node` is not on the PATH: the JavaScript loop of docs/client-developers.md "
            "needs Node 18 or later"
        )
    mock = request.getfixturevalue("mock")  # started only where node can use it
    (tmp_path / "stardust_paging.mjs").write_text(named_block("js", "stardust_paging.mjs"))
    (tmp_path / "driver.mjs").write_text(NODE_DRIVER)
    done = subprocess.run(
        [node, "driver.mjs", mock.base_url, DOC_ID],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    everything = httpx.get(
        f"{mock.base_url}/statistics/record",
        params={"annotationRequestId": DOC_ID, "limit": 1000, "offset": 1},
    ).json()["data"]
    assert len(result["ids"]) == 1930 and result["ids"][:1000] == [
        r["id"] for r in everything["data"]
    ]
    assert result["ids"] == sorted(set(result["ids"]))
    # Two 5000s retried after 500 and 1000 ms, then the two pages: four requests.
    assert result["waits"] == [500, 1000] and result["sent"] == 4
    assert result["code"] == 53003 and result["refusedSent"] == 1
    headers = result["headers"]
    expected = hashlib.md5(f"{headers['X-TS']}&my-secret&my-key".encode()).hexdigest()
    assert headers["X-SIGN"] == expected and headers["X-STARDUST-KEY"] == "my-key"
    assert abs(int(headers["X-TS"]) - time.time() * 1000) < 60_000  # milliseconds, now
