"""Each check names the decisions it comes from, as docs/conformance.md's table says."""

from __future__ import annotations

import re

from conformance.catalog import ALL_CHECKS
from conformance.provenance import SOURCES, sources
from conformance.proxy.checks import PROXY_CHECKS
from tests.support.servers import ROOT

ROW = re.compile(r"^\| (D\d+) \| (.+?) \|$", re.MULTILINE)


def test_every_check_has_a_source() -> None:
    assert set(ALL_CHECKS) | set(PROXY_CHECKS) <= set(SOURCES)


def test_the_d_numbers_are_the_docs_table_read_by_check() -> None:
    text = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    table = text[text.index("### Decisions and the checks that cover them") :]
    expected: dict[str, list[str]] = {}
    for number, cell in ROW.findall(table):
        if not cell.startswith("n/a: "):
            for name in cell.split(","):
                expected.setdefault(name.strip(), []).append(number)
    in_code = {check: [s for s in found if s.startswith("D")] for check, found in SOURCES.items()}
    assert {check: found for check, found in in_code.items() if found} == expected


def test_sources_are_joined_and_a_phase_error_names_c1() -> None:
    assert sources("multiple_ids_ordering") == "D7, D16, D58"
    assert sources("schemathesis") == "C1"
