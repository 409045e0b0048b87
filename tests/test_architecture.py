"""The import rules of ARCHITECTURE.md, read from the source with `ast`: a broken rule fails here.

Every `import` counts, at module level or inside a function, since a lazy import is a
dependency all the same. The Connexion rule (only `mockserver/connexion_door.py` imports it)
is tests/test_connexion_door.py's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

from tests.support.servers import ROOT

PACKAGES = ("contract", "mockserver", "conformance", "clientjudge", "bench", "soak")
WEB_STACK = {"connexion", "starlette", "uvicorn", "httpx", "schemathesis", "httptools"}
# The data model: records as a pure function of (seed, request, position).
DATA_MODEL = {"mockserver.rng", "mockserver.enums", "mockserver.workflow", "mockserver.generator"}
# What serves HTTP or reads the outside world; the data model never reaches any of it.
SERVING = {
    "mockserver.__main__",
    "mockserver.app",
    "mockserver.cli",
    "mockserver.config",
    "mockserver.connexion_door",
    "mockserver.envelope",
    "mockserver.fixtures",
    "mockserver.handlers",
    "mockserver.http_limits",
    "mockserver.scenarios",
    "mockserver.signatures",
    "mockserver.store",
}
# The objects a running mock is made of: composed in mockserver/app.py and nowhere else.
COMPOSED = {"RecordStore", "FaultInjector", "SignatureVerifier", "DateStamp", "ContractApp"}
# Modules of the suite that start the project's own mock (for `make conformance`, and the
# pytest plugin's fixtures); the rest check any server by URL.
LOCAL_MOCK_STARTERS = {"conformance.local_mock", "conformance.pytest_plugin"}
# Names the rest of the suite may borrow: the console-script name helper and the one-line
# argument parser (C49), shared by the CLIs.
BORROWED = {"mockserver.cli.program", "mockserver.arguments.OneLineParser"}
# bench/profile.py drives the app in-process; bench/ceiling.py borrows the mock's serve() so
# that both servers run under the same uvicorn options and protocol.
BENCH_INTO_MOCKSERVER = {"bench.profile", "bench.ceiling"}
# The suite's pure modules the client rules read (recorded exchanges, HAR); the mock may reach
# them through clientjudge to serve /__mock/verdict and its journal as HAR, and nothing else of
# the suite.
PURE_SUITE = {
    "conformance.exchange",
    "conformance.failures",
    "conformance.har",
    # The one rule of evidence every verdict applies (C45).
    "conformance.evidence",
    # The one look of every page (C74): Jinja2 only.
    "conformance.page",
}
# The exam (issue 26) examines a client through a running mock: it talks HTTP to the admin API
# and may start a mock of its own (conformance.launch); the rules never import it.
EXAMINING = {"clientjudge.exam", "clientjudge.exam_cli"}
EXAM_MAY_REACH = PURE_SUITE | {"conformance.launch"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def sources() -> dict[str, ast.Module]:
    return {
        module_name(path): ast.parse(path.read_text(encoding="utf-8"), str(path))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def imports_of(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from package import module` imports the module.
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@cache
def graph() -> dict[str, frozenset[str]]:
    """Each first-party module and the first-party modules it imports."""
    modules = set(sources())
    return {
        name: frozenset(target for target in imports_of(tree) if target in modules)
        for name, tree in sources().items()
    }


def third_party(name: str) -> set[str]:
    return {target.split(".")[0] for target in imports_of(sources()[name])} & WEB_STACK


def reachable(start: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(start)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(graph()[name])
    return seen


def of(package: str) -> list[str]:
    return sorted(name for name in graph() if name.split(".")[0] == package)


def test_the_data_model_never_reaches_the_web_stack_or_the_serving_modules() -> None:
    assert set(graph()) >= DATA_MODEL, "a data-model module was renamed: update ARCHITECTURE.md"
    closure = reachable(DATA_MODEL)
    assert closure & SERVING == set(), "the data model imports a serving module"
    web = {name: third_party(name) for name in closure if third_party(name)}
    assert web == {}, "the data model imports the web stack"
    assert {name.split(".")[0] for name in closure} == {"mockserver"}


def test_app_is_the_only_composition_root() -> None:
    built = {
        name
        for name in of("mockserver")
        for node in ast.walk(sources()[name])
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name | ast.Attribute)
        and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) in COMPOSED
    }
    assert built == {"mockserver.app"}
    importers = {name for name in of("mockserver") if "mockserver.app" in graph()[name]}
    assert importers == {"mockserver.__main__"}, "only the entry point uses the composition root"


def test_the_server_imports_none_of_its_testers() -> None:
    for name in of("mockserver"):
        testers = {t for t in graph()[name] if t.split(".")[0] in {"conformance", "bench", "soak"}}
        assert testers <= PURE_SUITE, name


def test_the_server_reaches_only_the_pure_suite_through_the_client_judge() -> None:
    # mockserver may import clientjudge (for /__mock/verdict): all that reaches must stay pure.
    reached = reachable(of("mockserver"))
    suite = {name for name in reached if name.split(".")[0] == "conformance"}
    assert suite <= PURE_SUITE


def test_the_exam_reaches_the_mock_only_over_http() -> None:
    assert set(of("clientjudge")) >= EXAMINING, "an exam module was renamed: update this test"
    for name in EXAMINING:
        ours = {target.split(".")[0] for target in graph()[name]}
        assert ours <= {"clientjudge", "conformance", "contract"}, name
        suite = {target for target in graph()[name] if target.split(".")[0] == "conformance"}
        assert suite <= EXAM_MAY_REACH, name
        assert third_party(name) <= {"httpx"}, name
    assert not any(
        name in graph()[pure]
        for pure in of("clientjudge")
        for name in EXAMINING
        if pure not in EXAMINING
    )


def test_the_client_judge_is_pure() -> None:
    modules = [name for name in of("clientjudge") if name not in EXAMINING]
    assert "clientjudge.verdict" in modules, "the package was renamed: update ARCHITECTURE.md"
    for name in modules:
        ours = {target.split(".")[0] for target in graph()[name]}
        assert ours <= {"clientjudge", "conformance", "contract"}, name
        suite = {target for target in graph()[name] if target.split(".")[0] == "conformance"}
        assert suite <= PURE_SUITE, name
        assert third_party(name) == set(), f"{name} imports the web stack"
    closure = reachable(modules)
    assert {name for name in closure if third_party(name)} == set()
    assert {name.split(".")[0] for name in closure} <= {"clientjudge", "conformance", "contract"}


def test_the_contract_depends_on_no_other_package() -> None:
    for name in of("contract"):
        assert {target.split(".")[0] for target in graph()[name]} <= {"contract"}, name


def names_from_mockserver(tree: ast.Module) -> set[str]:
    """`mockserver.cli.program` for `from mockserver.cli import program`, and so on."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mockserver"):
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("mockserver")}
    return names


def test_the_suite_imports_the_mock_only_to_start_a_local_one() -> None:
    wrong = {
        name: names_from_mockserver(sources()[name]) - BORROWED
        for name in of("conformance")
        if name not in LOCAL_MOCK_STARTERS
    }
    assert {name: names for name, names in wrong.items() if names} == {}, (
        "the suite checks any server over HTTP"
    )


@pytest.mark.parametrize(
    ("package", "allowed"),
    [("soak", set()), ("bench", BENCH_INTO_MOCKSERVER)],
    ids=["soak", "bench"],
)
def test_bench_and_soak_drive_the_mock_from_outside(package: str, allowed: set[str]) -> None:
    importers = {
        name
        for name in of(package)
        if any(target.startswith("mockserver") for target in graph()[name])
    }
    assert importers <= allowed


def test_uvicorn_is_imported_only_by_the_entry_point_and_the_protocol() -> None:
    importers = {name for name in of("mockserver") if "uvicorn" in third_party(name)}
    # The access log writes uvicorn's lines, coloured by uvicorn's own formatter on a terminal.
    assert importers <= {"mockserver.__main__", "mockserver.http_limits", "mockserver.access_log"}


def test_no_import_cycle() -> None:
    # Depth-first search; a module met again while still on the path closes a cycle.
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph()[name]):
            # A package's __init__ is imported by its own modules' imports: not a cycle.
            if target == name.rpartition(".")[0]:
                continue
            if state.get(target) == "open":
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = "done"

    for name in sorted(graph()):
        if name not in state:
            visit(name, [name])
    assert cycles == []


# What a client team installs runs these; the `conformance` extra's modules are not there (D54).
LIGHT_ENTRY_POINTS = {
    "mockserver.__main__",
    "conformance.pytest_plugin",
    "conformance.extra",
    "clientjudge.cli",
}
EXTRA_ONLY = {"schemathesis", "hypothesis", "jsonschema_rs"}
# `stardust-conformance` checks for the extra before it imports the suite (C51).
EXTRA_GATE = ("conformance.extra", "conformance.__main__")


def test_the_light_install_never_imports_the_conformance_extra() -> None:
    edges = {name: set(targets) for name, targets in graph().items()}
    edges[EXTRA_GATE[0]].discard(EXTRA_GATE[1])
    seen: set[str] = set()
    stack = list(LIGHT_ENTRY_POINTS)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(edges[name])
    assert "mockserver.app" in seen and "conformance.sync_asgi" in seen
    heavy = {
        name: found
        for name in seen
        if (found := {target.split(".")[0] for target in imports_of(sources()[name])} & EXTRA_ONLY)
    }
    assert heavy == {}, "a module of the light install imports the conformance extra"
    # And the suite does need it: the rule would pass vacuously otherwise.
    assert "jsonschema_rs" in {
        m.split(".")[0] for m in imports_of(sources()["conformance.per_exchange"])
    }


def test_the_rules_see_the_imports_they_judge() -> None:
    # The graph is not empty by mistake: known edges are in it.
    assert "mockserver.generator" in graph()["mockserver.store"]
    assert "mockserver.workflow" in graph()["mockserver.generator"]
    assert "conformance.launch" in graph()["soak.__main__"]
    assert third_party("mockserver.http_limits") == {"uvicorn", "httptools"}


def test_every_module_is_on_the_architecture_map() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    # A package's __init__.py holding only its docstring says nothing worth a line.
    missing = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if len(ast.parse(path.read_text(encoding="utf-8")).body) > 1
        and f"`{path.relative_to(ROOT)}`" not in text
    ]
    assert missing == [], f"give each a line in ARCHITECTURE.md's module map: {missing}"
