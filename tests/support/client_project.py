"""A client's project that tests its code against the mock through the pytest plugin.

Its files are the README's example, taken from the README itself (so the example is what is
tested), and a test of every option of the plugin. It is run as a client runs its tests:
`python -m pytest` in its own folder, the plugin found through the installed package.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conformance.launch import ROOT

README = ROOT / "README.md"
# The client page's pytest-asyncio example and the configuration it needs.
CLIENT_PAGE = ROOT / "docs" / "client-developers.md"
# A code block whose first line names the file it is, e.g. `# conftest.py`.
_NAMED_BLOCK = re.compile(r"```python\n# (\S+\.py)\b[^\n]*\n(.*?)```", re.DOTALL)
_NAMED_CONFIG = re.compile(r"```toml\n# (\S+\.toml)\n(.*?)```", re.DOTALL)

OPTIONS_TEST = """
import asyncio

import httpx
import pytest

from conformance.pytest_plugin import IN_PROCESS_URL, MockOptions
from conformance.signing import signature_headers

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"


def test_the_options_of_conftest_are_its_settings(stardust_mock):
    assert stardust_mock.settings.seed == 7
    assert stardust_mock.settings.http_200_errors
    assert stardust_mock.url.startswith("http://127.0.0.1:")
    assert stardust_mock.prefix_url == stardust_mock.url + "/rosetta-open"


def test_the_mock_runs_with_them(stardust_mock):
    # HTTP-200 mode: an unknown ID of the fixtures is 53003 with HTTP 200.
    response = httpx.get(
        f"{stardust_mock.prefix_url}/statistics/record",
        params={"annotationRequestId": "does-not-exist"},
    )
    assert response.status_code == 200 and response.json()["code"] == 53003


def test_a_factory_mock_has_its_own_options(stardust_mock_factory, stardust_mock):
    options = MockOptions(seed=3, fixtures=None, signature_keys={"ak": "sk"}, fault_rate=1.0)
    other = stardust_mock_factory(options)
    assert other.url != stardust_mock.url and other.settings.seed == 3
    assert other.settings.fixtures is None and other.settings.fault_rate == 1.0
    url = f"{other.url}/statistics/record"
    unsigned = httpx.get(url, params={"annotationRequestId": DOC_ID})
    assert unsigned.status_code == 401 and unsigned.json()["code"] == 402
    signed = httpx.get(
        url, params={"annotationRequestId": DOC_ID}, headers=signature_headers("ak", "sk")
    )
    assert signed.status_code == 500 and signed.json()["code"] == 5000
    assert stardust_mock_factory(options) is other


def test_the_transport_outlives_a_client_closed_on_it(
    stardust_mock_transport, stardust_mock_client
):
    with httpx.Client(transport=stardust_mock_transport, base_url=IN_PROCESS_URL) as mine:
        assert mine.get("/statistics/record", params={"annotationRequestId": DOC_ID}).is_success
    # HTTP-200 mode (conftest): the unknown ID's 53003 comes with HTTP 200.
    answer = stardust_mock_client.get(
        "/statistics/record", params={"annotationRequestId": "does-not-exist"}
    )
    assert answer.status_code == 200 and answer.json()["code"] == 53003


def test_the_app_in_process(stardust_mock_app):
    async def ask():
        transport = httpx.ASGITransport(app=stardust_mock_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.get(
                "/rosetta-open/statistics/record", params={"annotationRequestId": DOC_ID}
            )

    response = asyncio.run(ask())
    assert response.status_code == 200 and response.json()["data"]["count"] == 1930
"""


# A client project's tests that judge its client (D47, D48, C43): a bad client, whose test must
# fail naming the rule it broke, and a good one (the factory's mocks: OPTIONS_TEST).
# A client of the exam (D72): reads one request to the end, reports any failure with exit 1.
# The project's test runs it through `stardust-exam`; tests/test_install.py's heavy test too.
EXAMINED_CLIENT = """
import sys, httpx
offset = 1
while True:
    body = httpx.get(sys.argv[1] + "/statistics/record",
                     params={"annotationRequestId": "helix-39", "offset": offset}).json()
    if body["code"] != 2000:
        sys.exit(1)
    if offset * 10 >= body["data"]["count"]:
        break
    offset += 1
"""

JUDGED_FAILURE = "test_judged_client.py::test_a_client_that_takes_a_capped_page_for_the_last"
JUDGED_TEST = (
    """
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conformance.pytest_plugin import MockOptions

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"  # 1930 records


def page(url, **query):
    answer = httpx.get(f"{url}/statistics/record", params={"annotationRequestId": DOC_ID, **query})
    return answer.json()["data"]["data"]


@pytest.fixture(autouse=True)
def fresh_journal(stardust_mock):
    stardust_mock.reset()


def test_a_client_that_takes_a_capped_page_for_the_last(stardust_mock):
    records = page(stardust_mock.url, limit=5000)
    assert len(records) == 1000
    stardust_mock.assert_client_behaved()


def test_a_client_that_reads_every_page(stardust_mock):
    records, offset = [], 1
    while True:
        got = page(stardust_mock.url, limit=1000, offset=offset)
        records += got
        if len(got) < 1000:
            break
        offset += 1
    assert len(records) == 1930
    assert [entry["query"][-17:] for entry in stardust_mock.requests] == [
        "limit=1000&offset=1"[-17:], "limit=1000&offset=2"[-17:]
    ]
    assert stardust_mock.verdict() == {"verdict": "PASS", "requests": 2, "findings": []}
    stardust_mock.assert_client_behaved()


@pytest.fixture(scope="session")
def session_client_url(stardust_mock):
    # A session-scoped fixture of the client's: made outside any test, the whole mock's URL.
    return stardust_mock.url


def test_each_test_gets_a_session_of_its_own(stardust_mock, stardust_session):
    # C73: without asking, stardust_mock inside a test is the test's own session.
    assert stardust_mock.url.startswith(stardust_mock.whole.url + "/__session/t")
    assert stardust_session.url == stardust_mock.url
    neighbour = stardust_mock.session("neighbour")
    page(neighbour.url, offset=1)
    stardust_mock.add_scenario({"name": "hiccup", "answer": 5000, "first": 1})
    first = httpx.get(
        f"{stardust_mock.url}/statistics/record", params={"annotationRequestId": DOC_ID}
    )
    assert first.json()["code"] == 5000
    assert len(page(stardust_mock.url, limit=5000)) == 1000
    assert [e["scenario"] for e in stardust_mock.requests] == ["hiccup", None]
    with pytest.raises(AssertionError, match="paging-short-page-as-end"):
        stardust_mock.assert_client_behaved()
    neighbour.assert_client_behaved()
    assert [e["session"] for e in neighbour.requests] == ["neighbour"]
    stardust_mock.reset()
    assert stardust_mock.requests == [] and stardust_mock.verdict()["requests"] == 0


def test_a_session_scoped_client_is_judged_in_each_test(session_client_url, stardust_mock):
    assert session_client_url == stardust_mock.whole.url
    page(session_client_url, offset=1, limit=1000)
    page(session_client_url, offset=2, limit=1000)
    assert [e["session"] for e in stardust_mock.requests] == [None, None]
    stardust_mock.assert_client_behaved()


def read_all(url):
    offset = 1
    while True:
        params = {"annotationRequestId": DOC_ID, "offset": offset, "limit": 1000}
        body = httpx.get(f"{url}/statistics/record", params=params).json()
        if body["code"] != 2000:
            raise RuntimeError(f"could not read page {offset}: {body['code']}")
        if offset * 1000 >= body["data"]["count"]:
            return
        offset += 1


EXAMINED = '''"""
    + EXAMINED_CLIENT
    + """'''


def test_stardust_exam_from_the_project(stardust_mock, tmp_path):
    # The console script of the install this project uses, on the suite's mock (--mock): no
    # mock of its own to start, a client process per lesson.
    client = tmp_path / "client.py"
    client.write_text(EXAMINED)
    script = Path(sys.executable).parent / "stardust-exam"
    done = subprocess.run(
        [str(script), "--mock", stardust_mock.whole.url, "--lessons", "walk,unknown-id",
         "--report-dir", str(tmp_path / "exam"), "--", sys.executable, str(client), "{url}"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # "(2" and not "(2)": the project's mock may hold helix-39 in one page (D74 says so).
    assert done.stdout.startswith("Exam: passed every lesson (2")
    assert '<section id="failures">' in (tmp_path / "exam" / "exam.html").read_text()


def test_the_exam_in_a_test(stardust_mock):
    report = stardust_mock.exam(read_all, lessons=["walk", "unknown-id", "new-values"])
    assert (report["passed"], report["failed"]) == (3, 0)
    with pytest.raises(AssertionError, match="unknown-id +FAILED +0"):
        stardust_mock.exam(lambda url: None, lessons=["unknown-id"])
"""
)


def readme_files() -> dict[str, str]:
    """The README's named example files, by name."""
    return {name: body for name, body in _NAMED_BLOCK.findall(README.read_text())}


def page_files() -> dict[str, str]:
    """The client page's named files: the pytest-asyncio test and its configuration."""
    text = CLIENT_PAGE.read_text()
    files = {name: body for name, body in _NAMED_BLOCK.findall(text)}
    files.update(_NAMED_CONFIG.findall(text))
    # The paging loop is the page's too, tested in tests/test_client_developers.py.
    files.pop("stardust_paging.py", None)
    return files


def write(project: Path) -> Path:
    """The client's project: the README's and the client page's files, the options test, and
    the tests that judge a bad and a good client (the bad one's test must fail: JUDGED_FAILURE)."""
    project.mkdir(parents=True, exist_ok=True)
    for name, body in {**readme_files(), **page_files()}.items():
        (project / name).write_text(body)
    (project / "test_options.py").write_text(OPTIONS_TEST)
    (project / "test_judged_client.py").write_text(JUDGED_TEST)
    return project


def run_pytest(python: str | Path, project: Path) -> subprocess.CompletedProcess[str]:
    """`python -m pytest` in the project, as its developers run it.

    Under `-W error`, as a strict client team runs: a warning of ours or of our dependencies
    fails it (issue 28). anyio's plugin stays (the async example needs it); the other plugins
    of the packages this one depends on, when installed (Schemathesis's, Hypothesis's,
    Faker's), are left out: the run is about ours, and pytest rewrites every module of a
    package that declares a plugin, which with PYTHONDONTWRITEBYTECODE set (as on our
    machines) costs a few seconds of CPU on every run.
    """
    others = ("schemathesis", "hypothesispytest", "faker")
    return subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]
        + [argument for name in others for argument in ("-p", f"no:{name}")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
