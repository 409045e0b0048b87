"""The files a run leaves: coverage.json and exchanges.har agree; a folder that cannot take
them stops the run before it starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import har
from conformance.__main__ import main
from conformance.artifacts import (
    COVERAGE_NAME,
    HAR_NAME,
    REPORT_NAME,
    ReportDirError,
    check_writable,
)
from tests.support import reports


def test_the_har_holds_every_exchange_coverage_counts(tmp_path: Path) -> None:
    rows = reports.write(tmp_path)
    har = json.loads((tmp_path / HAR_NAME).read_text(encoding="utf-8"))
    on_disk = json.loads((tmp_path / COVERAGE_NAME).read_text(encoding="utf-8"))
    assert on_disk == rows
    assert len(har["log"]["entries"]) == rows["requests"]["total"] == 2
    assert har["log"]["version"] == "1.2"
    assert {"outcomes", "parameters", "enums", "requests"} <= set(on_disk)
    assert (tmp_path / REPORT_NAME).is_file()


def test_signature_values_are_redacted_in_the_har(tmp_path: Path) -> None:
    reports.write(tmp_path)
    text = (tmp_path / HAR_NAME).read_text(encoding="utf-8")
    assert "0123456789abcdef0123456789abcdef" not in text
    headers = json.loads(text)["log"]["entries"][1]["request"]["headers"]
    assert {"name": "X-SIGN", "value": har.REDACTED} in headers


def test_a_folder_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(ReportDirError, match=f"{blocker / 'reports'}: cannot write reports there"):
        check_writable(blocker / "reports")


def test_a_writable_folder_is_created_and_left_clean(tmp_path: Path) -> None:
    check_writable(tmp_path / "new" / "reports")
    assert list((tmp_path / "new" / "reports").iterdir()) == []


def test_the_command_line_stops_at_once_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before any mock starts or request is sent: no --base-url, yet it ends in-process."""
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        main(["--report-dir", str(blocker / "r")], {})
    assert stopped.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.endswith(
        f"error: --report-dir: {blocker / 'r'}: cannot write reports there (Not a directory)"
    )
