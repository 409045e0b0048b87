"""Fixture files: the shipped ones load, and every kind of mistake names its file and place."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract import load_spec
from mockserver.config import DEFAULT_FIXTURES
from mockserver.fixtures import FixtureError, load_folder
from tests.support.fixture_text import GOOD_RECORD


def test_shipped_fixtures_load() -> None:
    fixtures = load_folder(DEFAULT_FIXTURES)
    documentation = fixtures.pinned["7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"]
    assert documentation.count == 1930
    # Record 1 is the contract's 2000 example: the two are kept in step.
    example = load_spec()["components"]["examples"]["Success"]["value"]["data"]["data"][0]
    assert documentation.records[0] == example
    assert fixtures.pinned["large-annotation-request"].count > 1_000_000
    assert "does-not-exist" in fixtures.unknown


def test_a_good_record_loads(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(
        f"annotationRequests:\n  - id: a\n    count: 3\n    records:{GOOD_RECORD}"
    )
    assert load_folder(tmp_path).pinned["a"].records[0]["id"] == 5


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        # The file, line and column (1-based), never PyYAML's "<unicode string>" (C49).
        (
            "syntax.yaml",
            "annotationRequests:\n  - id: [a\n    count: 3\n",
            "syntax.yaml:3:10: not valid YAML: expected ',' or ']', but got ':' (while parsing "
            "a flow sequence at line 2, column 9)",
        ),
        ("list.yaml", "- a\n- b\n", "list.yaml: top level must be a mapping"),
        ("key.yaml", "annotationRequest: []\n", "key.yaml: annotationRequest: unknown key"),
        (
            "count.yaml",
            "annotationRequests:\n  - id: a\n    count: -1\n",
            "annotationRequests[0].count: must be an integer",
        ),
        (
            "huge.yaml",
            "annotationRequests:\n  - id: a\n    count: 99999999\n",
            "annotationRequests[0].count",
        ),
        (
            "noid.yaml",
            "annotationRequests:\n  - count: 1\n",
            "annotationRequests[0].id: must be a non-empty string",
        ),
        (
            "long.yaml",
            f"annotationRequests:\n  - id: {'é' * 128}\n    count: 1\n",
            "annotationRequests[0].id: longer than 255 bytes",
        ),
        (
            "comma.yaml",
            "annotationRequests:\n  - id: 'a,b'\n    count: 1\n",
            "cannot contain a comma",
        ),
        (
            "type.yaml",
            "annotationRequests:\n  - id: a\n    count: 3\n    records:"
            + GOOD_RECORD.replace("campaignId: c-1", "campaignId: 1001"),
            "type.yaml: annotationRequests[0].records[0].campaignId: 1001 is not of type 'string'",
        ),
        (
            "enum.yaml",
            "annotationRequests:\n  - id: a\n    count: 3\n    records:"
            + GOOD_RECORD.replace("status: 1", "status: 7"),
            "annotationRequests[0].records[0].status: 7 is not one of",
        ),
        (
            "missing.yaml",
            "annotationRequests:\n  - id: a\n    count: 3\n    records:"
            + GOOD_RECORD.replace("        aliceName: someone\n", ""),
            "annotationRequests[0].records[0]: 'aliceName' is a required property",
        ),
        (
            "toomany.yaml",
            "annotationRequests:\n  - id: a\n    count: 0\n    records:" + GOOD_RECORD,
            "annotationRequests[0].records: 1 records but count is 0",
        ),
        (
            "order.yaml",
            "annotationRequests:\n  - id: a\n    count: 3\n    records:"
            + GOOD_RECORD
            + GOOD_RECORD,
            "annotationRequests[0].records[1].id: ids must be strictly ascending",
        ),
        (
            "date.yaml",
            "annotationRequests:\n  - id: a\n    count: 3\n    records:"
            + GOOD_RECORD.replace("'2025-04-01 10:00:00'", "'2025-02-30 10:00:00'"),
            "records[0].createdTime: '2025-02-30 10:00:00' is not a real date",
        ),
        (
            "unknown.yaml",
            "unknownAnnotationRequests:\n  - ''\n",
            "unknownAnnotationRequests[0]: must be a non-empty string",
        ),
        (
            "clash.yaml",
            "annotationRequests:\n  - id: a\n    count: 1\nunknownAnnotationRequests: [a]\n",
            "'a' is pinned and listed as unknown",
        ),
        ("bad.json", '{"a": \n', "bad.json:2:1: not valid JSON: Expecting value"),
    ],
)
def test_a_bad_fixture_is_named_with_its_place(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(FixtureError) as error:
        load_folder(tmp_path)
    assert str(tmp_path / name) in str(error.value)
    assert expected in str(error.value)
    assert "\n" not in str(error.value) and "<unicode string>" not in str(error.value)


def test_the_same_id_pinned_in_two_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("annotationRequests:\n  - id: x\n    count: 1\n")
    (tmp_path / "b.yaml").write_text("annotationRequests:\n  - id: x\n    count: 2\n")
    with pytest.raises(FixtureError, match=r"'x' is also pinned in .*a\.yaml"):
        load_folder(tmp_path)


def test_a_missing_fixture_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="does not exist"):
        load_folder(tmp_path / "nowhere")
