"""The coverage of a run, from exchanges whose classes and counts are known in advance."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.coverage import (
    COVERED,
    NOT_APPLICABLE,
    NOT_COVERED,
    Scope,
    contract_enums,
    coverage,
    id_classes,
    limit_classes,
    offset_classes,
    summary_lines,
)
from conformance.exchange import Exchange
from tests.support.reports import BASE, envelope


def page(query: str, count: int, records: list[dict[str, Any]]) -> Exchange:
    return Exchange.build(
        "GET", f"{BASE}?{query}", 200, envelope(2000, {"count": count, "data": records})
    )


def answer(query: str, code: int, status: int, method: str = "GET") -> Exchange:
    return Exchange.build(method, f"{BASE}?{query}", status, envelope(code))


def record(n: int, status: int = 1, pool: int = 0, action: int = 0) -> dict[str, Any]:
    return {"id": n, "status": status, "poolType": pool, "actionType": action}


# A request of 25 records, walked with limit 10: pages 1, 2, 3 and 4 (past the end).
WALK = [
    page("annotationRequestId=a&offset=1&limit=10", 25, [record(n) for n in range(1, 11)]),
    page(
        "annotationRequestId=a&offset=2&limit=10", 25, [record(n, status=2) for n in range(11, 21)]
    ),
    page("annotationRequestId=a&offset=3&limit=10", 25, [record(n, pool=5) for n in range(21, 26)]),
    page("annotationRequestId=a&offset=4&limit=10", 25, []),
]
REFUSED = [
    answer("annotationRequestId=a&offset=0", 4005, 400),
    answer("annotationRequestId=a&limit=-3", 4005, 400),
    answer("annotationRequestId=a&limit=1.5", 4005, 400),
    answer("annotationRequestId=a&offset=1&offset=2", 4005, 400),
    answer("offset=1", 4005, 400),
]
UNKNOWN = [
    answer("annotationRequestId=zz", 53003, 404),
    answer("annotationRequestId=a,zz,a", 53003, 404),
]
OTHER_METHOD = Exchange.build("POST", f"{BASE}?annotationRequestId=a", 405, None)
PHASES = {"schemathesis": [*REFUSED, OTHER_METHOD], "semantic": [*WALK, *UNKNOWN]}
SCOPE = Scope(known_ids=("a",), unknown_ids=("zz",))


@pytest.fixture(scope="module")
def rows() -> dict[str, Any]:
    return coverage(PHASES, SCOPE)


def test_requests_are_counted_per_phase_and_in_total(rows: dict[str, Any]) -> None:
    assert rows["requests"] == {"total": 12, "schemathesis": 6, "semantic": 6}


def test_each_documented_outcome_has_a_row_with_status_count_and_remark(
    rows: dict[str, Any],
) -> None:
    outcomes = rows["outcomes"]
    assert list(outcomes) == ["2000", "4005", "53003", "5000", "401", "402", "403", "HTTP 4xx"]
    assert outcomes["2000"] == {"http_status": [200], "count": 4, "remark": COVERED}
    assert outcomes["4005"] == {"http_status": [400], "count": 5, "remark": COVERED}
    assert outcomes["53003"]["count"] == 2
    assert outcomes["HTTP 4xx"] == {"http_status": [405], "count": 1, "remark": COVERED}
    assert outcomes["5000"]["remark"] == NOT_APPLICABLE
    assert "signing not configured" in outcomes["401"]["reason"]


def test_signing_makes_the_signature_outcomes_reachable_but_not_covered() -> None:
    signed = coverage(PHASES, Scope(("a",), ("zz",), signing=True))["outcomes"]
    assert signed["402"]["remark"] == NOT_COVERED
    assert "no check sends a bad signature" in signed["402"]["reason"]


def test_offset_classes_place_each_page_of_the_walk(rows: dict[str, Any]) -> None:
    offset = rows["parameters"]["offset"]
    counts = {name: row["count"] for name, row in offset.items()}
    assert counts["first page"] == 1
    assert counts["middle page"] == 1
    assert counts["last page"] == 1
    assert counts["past the end"] == 1
    assert counts["0"] == 1
    assert counts["repeated"] == 1
    # The GETs naming no offset: the 2 limit refusals and the 2 unknowns (the POST is no GET).
    assert counts["absent (default 1)"] == 4
    assert offset["negative"] == {
        "count": 0,
        "remark": NOT_COVERED,
        "reason": "no request exercised it",
    }


def test_one_page_request_is_both_first_and_last() -> None:
    alone = page("annotationRequestId=a", 3, [record(1), record(2), record(3)])
    assert offset_classes(alone) == ["absent (default 1)", "first page", "last page"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=1", ["1"]),
        ("limit=10", ["10 (the default, sent)"]),
        ("limit=999", ["2 to 999"]),
        ("limit=1000", ["1000"]),
        ("limit=1001", ["over 1000"]),
        ("limit=0", ["0"]),
        ("limit=-1", ["negative"]),
        ("limit=ten", ["not an integer"]),
        ("limit=", ["empty"]),
        ("limit=2147483648", ["over int32"]),
        ("limit=1&limit=2", ["repeated"]),
        ("", ["absent (default 10)"]),
    ],
)
def test_limit_value_classes(query: str, expected: list[str]) -> None:
    assert limit_classes(answer(query, 4005, 400)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("annotationRequestId=a", ["one"]),
        ("annotationRequestId=a,b", ["several", "comma form"]),
        ("annotationRequestId=a&annotationRequestId=b", ["several", "repeated parameter"]),
        ("annotationRequestId=a,zz", ["several", "comma form", "unknown", "known with unknown"]),
        ("annotationRequestId=a,a", ["one", "comma form", "duplicates"]),
        ("annotationRequestId=" + "x" * 255, ["one", "longest (255 bytes)"]),
        ("annotationRequestId=" + "x" * 256, ["one", "over 255 bytes"]),
        (
            "annotationRequestId=" + ",".join(f"i{n}" for n in range(100)),
            ["several", "comma form", "most (100 IDs)"],
        ),
        (
            "annotationRequestId=" + ",".join(f"i{n}" for n in range(101)),
            ["several", "comma form", "over 100 IDs"],
        ),
        ("annotationRequestId=%C3%A9t%C3%A9", ["one", "non-ASCII"]),
        ("annotationRequestId=", ["one", "empty value"]),
        ("annotationRequestId=a,,b", ["several", "comma form", "empty item"]),
        ("annotationRequestId=a%01b", ["one", "comma or control character"]),
        ("offset=1", ["missing"]),
    ],
)
def test_id_value_classes(query: str, expected: list[str]) -> None:
    assert id_classes(answer(query, 4005, 400), {"a"}, {"zz"}) == expected


def test_ids_in_the_fixture_are_classed_and_counted(rows: dict[str, Any]) -> None:
    ids = {name: row["count"] for name, row in rows["parameters"]["annotationRequestId"].items()}
    assert ids["unknown"] == 2
    assert ids["known with unknown"] == 1
    assert ids["duplicates"] == 1
    assert ids["missing"] == 1
    assert ids["one"] == 9  # the walk (4), the refusals with an ID (4), `zz` (1)


def test_enum_values_observed_against_the_contract(rows: dict[str, Any]) -> None:
    status = rows["enums"]["status"]
    assert status["contract"] == contract_enums()["status"]
    assert status["observed"] == {"1": 15, "2": 10}
    assert status["values"]["0"]["remark"] == NOT_COVERED
    assert rows["enums"]["poolType"]["observed"] == {"0": 20, "5": 5}


def test_a_value_outside_the_contract_is_listed() -> None:
    odd = page("annotationRequestId=a", 1, [record(1, status=7)])
    assert coverage({"semantic": [odd]}, SCOPE)["enums"]["status"]["outside_contract"] == ["7"]


def test_records_walked_per_id(rows: dict[str, Any]) -> None:
    assert rows["records_walked"] == {"a": {"count": 25, "records": 25}}


def test_figure_counts_promises_reachable_and_covered(rows: dict[str, Any]) -> None:
    enums = sum(len(values) for values in contract_enums().values())
    parameters = sum(len(classes) for classes in rows["parameters"].values())
    figure = rows["figure"]
    assert figure["promises"] == 8 + parameters + enums
    # Not applicable: 5000, 401, 402, 403.
    assert figure["reachable"] == figure["promises"] - 4
    remarks = [row["remark"] for row in rows["outcomes"].values()]
    remarks += [row["remark"] for p in rows["parameters"].values() for row in p.values()]
    remarks += [row["remark"] for e in rows["enums"].values() for row in e["values"].values()]
    assert figure["covered"] == remarks.count(COVERED)
    assert figure["achieved_percent"] == round(100 * figure["covered"] / figure["promises"], 1)
    assert figure["best_percent"] > figure["achieved_percent"]


def test_without_a_known_id_pages_are_out_of_reach_and_the_best_is_lower(
    rows: dict[str, Any],
) -> None:
    blind = coverage({"schemathesis": REFUSED}, Scope())
    assert blind["outcomes"]["2000"]["remark"] == NOT_APPLICABLE
    assert blind["parameters"]["offset"]["middle page"]["remark"] == NOT_APPLICABLE
    assert blind["enums"]["status"]["values"]["1"]["remark"] == NOT_APPLICABLE
    assert blind["figure"]["best_percent"] < rows["figure"]["best_percent"]


def test_a_proxy_session_has_nothing_out_of_reach() -> None:
    observed = coverage({"proxy": WALK}, Scope(observed=True))
    assert observed["figure"]["reachable"] == observed["figure"]["promises"]
    assert observed["outcomes"]["5000"]["remark"] == NOT_COVERED


def test_coverage_is_json_and_the_summary_says_the_figure(rows: dict[str, Any]) -> None:
    assert json.loads(json.dumps(rows)) == rows
    lines = summary_lines(rows)
    figure = rows["figure"]
    assert lines[0].startswith(f"Coverage: {figure['covered']} of {figure['promises']} promises")
    assert "requests: 12 (schemathesis 6, semantic 6)" in lines[1]
    assert lines[2] == "  outcomes not applicable: 5000, 401, 402, 403"
