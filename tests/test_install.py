"""The package as its users get it: a wheel, installed outside the checkout (D40, D42).

The wheel is built from a copy of the files a build needs, with this venv's setuptools and no
network (`--no-build-isolation`), and installed with `--no-deps` into a fresh virtual
environment in a temporary folder. The dependencies are this venv's: a `.pth` file, written
after the install so that pip never sees this venv's own editable copy, puts its
site-packages behind the new environment's. Everything then runs from another folder, with
the new environment's own console scripts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import yaml

from conformance.catalog import ALL_CHECKS
from conformance.launch import HOST, ROOT, free_port, stop, wait_until_serving
from conformance.signing import signature_headers
from mockserver.record_json import COMPILED, loop_status
from tests.support.client_project import EXAMINED_CLIENT, JUDGED_FAILURE, run_pytest, write
from tests.support.dependencies import link_site, resolve
from tests.support.required import missing

# All of it in the heavy tier (CI, make test-heavy): every test here stands on a wheel built
# with its compiled record loop (D81) and a fresh environment, some 10 s of processes before the
# first assertion, and make test had no room left in its minute for them.
pytestmark = [pytest.mark.slow, pytest.mark.heavy]

# What a build reads: setup.py copies openapi.yaml and fixtures/ into the package.
BUILD_INPUTS = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "openapi.yaml",
    "fixtures",
    "contract",
    "mockserver",
    "conformance",
    "clientjudge",
)
DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Installed:
    wheel: Path
    bin: Path
    # A folder that is neither the checkout nor the environment.
    elsewhere: Path

    def environment(self) -> dict[str, str]:
        """The environment of a shell in which the installed scripts come first."""
        variables = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
        variables["PATH"] = f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"
        return variables


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def copy_sources(source: Path) -> Path:
    """What a build reads, copied: a build writes its egg-info and build folders beside it."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    return source


def install(base: Path, build_environment: dict[str, str] | None = None) -> Installed:
    """A wheel built from a copy of the sources (with `build_environment`, if given) and
    installed in a fresh environment under `base`."""
    source = copy_sources(base / "source")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", "dist", str(source)],
        base,
        env=build_environment,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (base / "dist").glob("*.whl")
    venv = base / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    done = run(
        [*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)], base
    )
    assert done.returncode == 0, done.stdout + done.stderr
    site = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base
    )
    (Path(site.stdout.strip()) / "project-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return Installed(wheel, venv / "bin", elsewhere)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install(tmp_path_factory.mktemp("install"))


@contextmanager
def installed_mock(installed: Installed, *arguments: str) -> Iterator[str]:
    """The installed `stardust-mock`, run from another folder; its URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(installed.bin / "stardust-mock"), "--port", str(port), *arguments],
        cwd=installed.elsewhere,
        env=installed.environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://{HOST}:{port}"
    try:
        wait_until_serving(url + "/statistics/record", process)
        yield url
    finally:
        if process.poll() is None:
            assert stop(process) == 0


def test_the_wheel_carries_the_root_contract_and_fixtures_byte_for_byte(
    installed: Installed,
) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        assert wheel.read("contract/data/openapi.yaml") == (ROOT / "openapi.yaml").read_bytes()
        fixtures = sorted(p for p in (ROOT / "fixtures").iterdir() if p.is_file())
        for path in fixtures:
            assert wheel.read(f"contract/data/fixtures/{path.name}") == path.read_bytes()
    packaged = {n for n in names if n.startswith("contract/data/")}
    assert packaged == {"contract/data/openapi.yaml"} | {
        f"contract/data/fixtures/{p.name}" for p in fixtures
    }
    # Checkout tools stay out of the wheel (D40).
    assert not {n for n in names if n.startswith(("bench/", "soak/", "tests/"))}


def test_the_installed_package_reads_its_own_copies(installed: Installed) -> None:
    done = run(
        [str(installed.bin / "python"), "-c", "import contract; print(contract.SPEC_PATH)"],
        installed.elsewhere,
        env=installed.environment(),
    )
    spec = Path(done.stdout.strip())
    assert spec.is_file() and spec.parent.parent.name == "contract", done.stderr
    assert ROOT not in spec.parents and installed.bin.parent in spec.parents
    # The wheel carries the compiled record loop (D81), built where the wheel was, and the
    # installed package uses it: a wheel without it would write records at a tenth the speed.
    if COMPILED is None:
        missing(f"no compiled record loop in this checkout either: {loop_status()}")
    status = "from mockserver import record_json as r; print(r.loop_status(), r.COMPILED.__file__)"
    loop = run([str(installed.bin / "python"), "-c", status], installed.elsewhere)
    assert loop.stdout.startswith("compiled"), loop.stdout + loop.stderr
    assert installed.bin.parent in Path(loop.stdout.split()[-1]).parents


def test_both_scripts_run_from_another_folder(installed: Installed) -> None:
    # Every subcommand too: a subpackage left out of the wheel (conformance/proxy once was)
    # only fails when its command is run.
    commands = (
        ["stardust-mock"],
        ["stardust-conformance"],
        ["stardust-conformance", "proxy"],
        ["stardust-conformance", "client-verdict"],
        ["stardust-client-verdict"],
        ["stardust-exam"],
    )
    for command in commands:
        helped = run([str(installed.bin / command[0]), *command[1:], "--help"], installed.elsewhere)
        assert helped.returncode == 0 and "usage:" in helped.stdout, helped.stderr
    # The client verdict's page template is package data: a wheel without it fails here.
    page = "from clientjudge.verdict import Verdict, render_html; print(render_html(Verdict(3)))"
    rendered = run([str(installed.bin / "python"), "-c", page], installed.elsewhere)
    assert "Client verdict: 3 requests" in rendered.stdout, rendered.stderr
    # (`stardust-mock` serving the packaged fixtures: the CI recipe's test below.)
    # Without --base-url, the installed suite starts the installed mock with its fixtures.
    checked = run(
        [str(installed.bin / "stardust-conformance"), "--phase", "semantic"],
        installed.elsewhere,
        env=installed.environment(),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (installed.elsewhere / "reports" / "conformance" / "junit.xml").is_file()
    # The page's template travels in the wheel as package data.
    page = installed.elsewhere / "reports" / "conformance" / "report.html"
    assert "<title>" in page.read_text(encoding="utf-8")


# Seven lessons of a real client, some seconds each; the lessons themselves are proven both
# ways in-process (tests/test_clientjudge_exam.py).
def test_the_exam_runs_from_another_folder(installed: Installed) -> None:
    # `stardust-exam` starts the installed mock of its own and writes its page (package data).
    client = installed.elsewhere / "examined_client.py"
    client.write_text(EXAMINED_CLIENT)
    report = installed.elsewhere / "exam-report"
    done = run(
        [str(installed.bin / "stardust-exam"), "--lessons", "walk,unknown-id,new-values",
         "--report-dir", str(report), "--", str(installed.bin / "python"), str(client), "{url}"],
        installed.elsewhere,
        env=installed.environment(),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Exam: passed every lesson (3)" in done.stdout
    assert "unknown-id" in (report / "exam.html").read_text()


def ci_job() -> list[dict[str, Any]]:
    """The steps of the job in docs/ci.md."""
    text = (ROOT / "docs" / "ci.md").read_text()
    (block,) = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    workflow = yaml.safe_load(block)
    (job,) = workflow["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def substitute(value: str, context: dict[str, str]) -> str:
    """GitHub's `${{ secrets.X }}` and `${{ vars.X }}`, from the test's own values."""
    return re.sub(r"\$\{\{\s*(\w+\.\w+)\s*\}\}", lambda m: context[m.group(1)], value)


def test_the_ci_recipe_runs_against_a_mock_with_signature_keys(
    installed: Installed, tmp_path: Path
) -> None:
    steps = ci_job()
    install, *commands = [step for step in steps if "run" in step]
    # The install step installs this package; here it is the wheel installed above.
    # With the extra: the suite is not in the light install (D54).
    assert re.search(
        r"pip install \"stardust-statistics-mock\[conformance\] @ git\+https://",
        str(install["run"]),
    )
    assert commands, "the job runs the suite"
    keys = tmp_path / "keys.json"
    keys.write_text('{"ci-key": "ci-secret"}')
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    with installed_mock(installed, "--signature-keys", str(keys), "--no-access-log") as url:
        page = httpx.get(
            f"{url}/rosetta-open/statistics/record",
            params={"annotationRequestId": DOC_ID},
            headers=signature_headers("ci-key", "ci-secret"),
        ).json()
        # The packaged fixtures are loaded: the documentation's request has its 1930 records.
        assert page["code"] == 2000 and page["data"]["count"] == 1930
        context = {
            "secrets.STARDUST_ACCESS_KEY": "ci-key",
            "secrets.STARDUST_SECRET_KEY": "ci-secret",
            "vars.STARDUST_STAGING_URL": f"{url}/rosetta-open",
            # Two with records, as every check needs (README: what a deployment must provide).
            "vars.STARDUST_KNOWN_IDS": f"{DOC_ID},empty-annotation-request,ci-generated",
        }
        for step in commands:
            env = installed.environment()
            env.update({k: substitute(str(v), context) for k, v in step.get("env", {}).items()})
            done = run(["bash", "-e", "-c", str(step["run"])], workspace, env=env)
            assert done.returncode == 0, f"{step.get('name')}:\n{done.stdout}{done.stderr}"
    (upload,) = [step for step in steps if str(step.get("uses", "")).startswith("actions/upload")]
    uploaded = workspace / upload["with"]["path"]
    suite = ElementTree.parse(uploaded / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == set(ALL_CHECKS)
    assert suite.get("failures") == "0" and suite.get("skipped") == "0"
    assert not [name for name, case in cases.items() if len(case)], "every check passed"
    base_url = suite.find("properties/property")
    assert base_url is not None and base_url.get("value") == f"{url}/rosetta-open"


@pytest.fixture(scope="module")
def light(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel installed as a client team installs it: without the `conformance` extra.

    Its dependencies are only those the wheel's metadata requires (no extra), resolved over
    this venv's distributions, plus pytest and pytest-asyncio, the client's own: a folder of
    links to them is the new environment's only other site (D54).
    """
    with zipfile.ZipFile(installed.wheel) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        requires = Parser().parsestr(wheel.read(name).decode()).get_all("Requires-Dist") or []
    distributions = resolve([*requires, "pytest", "pytest-asyncio"])
    assert not set(distributions) & {"schemathesis", "hypothesis"}, sorted(distributions)
    base = tmp_path_factory.mktemp("light")
    link_site(distributions.values(), base / "site")
    venv = base / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    done = run(
        [*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(installed.wheel)],
        base,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    site = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base
    )
    (Path(site.stdout.strip()) / "light-dependencies.pth").write_text(f"{base / 'site'}\n")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return Installed(installed.wheel, venv / "bin", elsewhere)


def test_the_light_install_has_the_mock_but_not_the_suite(light: Installed) -> None:
    python = str(light.bin / "python")
    probe = "import importlib.util as u; print([u.find_spec(m) is None for m in ('schemathesis', 'hypothesis', 'jsonschema_rs', 'connexion')])"  # noqa: E501
    found = run([python, "-c", probe], light.elsewhere, env=light.environment())
    assert found.stdout.strip() == "[True, True, True, False]", found.stdout + found.stderr
    helped = run([str(light.bin / "stardust-mock"), "--help"], light.elsewhere)
    assert helped.returncode == 0 and "usage:" in helped.stdout, helped.stderr
    # The suite's script says, in one line, how to get it (C51).
    for command in (["stardust-conformance"], ["stardust-conformance", "proxy", "--help"]):
        refused = run([str(light.bin / command[0]), *command[1:]], light.elsewhere)
        assert refused.returncode == 2 and refused.stdout == "", refused.stdout
        (line,) = refused.stderr.splitlines()
        assert "pip install 'stardust-statistics-mock[conformance]'" in line, line


def test_a_client_project_uses_the_installed_plugin(light: Installed, tmp_path: Path) -> None:
    # In the light install, under -W error: the plugin needs nothing of the extra, and neither
    # it nor its dependencies add a warning to the client's run (D53, D54).
    # Every test passes but the bad client's: assert_client_behaved() fails it, naming the
    # rule it broke and its fix, and pointing at the client's test, not the plugin (C43).
    project = write(tmp_path / "client")
    done = run_pytest(light.bin / "python", project)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "1 failed, 14 passed" in done.stdout, output
    assert re.findall(r"^FAILED (\S+)", done.stdout, re.MULTILINE) == [JUDGED_FAILURE]
    assert "AssertionError: the client misused the API (1 request(s) judged;" in output
    assert re.search(r"^E +error paging-short-page-as-end: .+\n^E +fix: \S", output, re.M)
    assert "def assert_client_behaved" not in output


def test_an_editable_install_ends_without_setuptools_notice(tmp_path: Path) -> None:
    # What `make install` runs (pip install -e), through the build backend's own hook, with
    # every warning shown: setuptools' notice about folders named like the package was the
    # first thing a new user read (issue 28); setup.py silences it, and only it.
    source = copy_sources(tmp_path / "source")
    hook = "import sys, setuptools.build_meta as b; print(b.build_editable(sys.argv[1]))"
    done = run([sys.executable, "-W", "always", "-c", hook, str(tmp_path)], source)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / done.stdout.strip().splitlines()[-1]).is_file()
    assert "Editable install will be performed" in done.stderr, "the hook ran its strategy"
    assert not re.search(r"same\s+name as your package", done.stderr), done.stderr


# A page of the default fixtures' large request, as a digest: the same on any install.
PAGE_DIGEST = (
    "import hashlib; from contract import DEFAULT_FIXTURES; "
    "from mockserver.fixtures import load_folder; from mockserver.generator import Vocabulary; "
    "from mockserver.store import RecordStore; from mockserver.record_json import loop_status; "
    "s = RecordStore(1, Vocabulary.from_faker(1), load_folder(DEFAULT_FIXTURES)); "
    "p = s.page(['large-annotation-request'], 3001, 300); "
    "print(loop_status().split(':')[0], hashlib.sha256(b','.join(p.records)).hexdigest())"
)


def test_a_machine_without_a_c_compiler_installs_and_writes_the_same_records(
    tmp_path: Path,
) -> None:
    # D81: the compiled loop is optional. A build whose compiler fails (CC=false) still makes a
    # wheel; the installed mock writes with the Python loop, the same records as this checkout.
    without = install(tmp_path, {**os.environ, "CC": "false"})
    with zipfile.ZipFile(without.wheel) as wheel:
        assert not [name for name in wheel.namelist() if name.endswith(".so")]
    there = run([str(without.bin / "python"), "-c", PAGE_DIGEST], without.elsewhere)
    here = run([sys.executable, "-c", PAGE_DIGEST], ROOT)
    assert there.stdout.startswith("Python only "), there.stdout + there.stderr
    assert here.stdout.split()[-1] == there.stdout.split()[-1], here.stderr + there.stderr
