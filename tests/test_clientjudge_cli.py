"""`client-verdict`: HAR files judged, exit 0/1/2, text or JSON, one line when a file is bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clientjudge.cli import main
from clientjudge.exchanges import from_entry
from conformance.__main__ import main as conformance_main
from conformance.har import to_har
from tests.support.journal import entry


def har(path: Path, offsets: list[int], limit: int = 10) -> Path:
    exchanges = [
        from_entry(entry(n, f"annotationRequestId=a&offset={offset}&limit={limit}", count=25,
                         returned=10, limit=min(limit, 1000)))
        for n, offset in enumerate(offsets, 1)
    ]  # fmt: skip
    path.write_text(json.dumps(to_har(exchanges)), encoding="utf-8")
    return path


def test_a_clean_client_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(har(tmp_path / "a.har", [1, 2, 3]))]) == 0
    assert "3 requests; no finding" in capsys.readouterr().out


def test_a_recording_without_a_request_to_the_operation_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nothing judged is no PASS (C45): a HAR of other traffic must not turn a CI job green.
    empty = har(tmp_path / "empty.har", [])
    assert main([str(empty)]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith("Client verdict: INCONCLUSIVE: judged 0 requests")
    assert captured.err == (
        f"stardust-client-verdict: nothing judged: no request to the operation in {empty}\n"
    )


def test_a_client_with_a_mistake_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(har(tmp_path / "a.har", [1, 11, 21]))]) == 1
    out = capsys.readouterr().out
    assert "paging-offset-as-index" in out and "#2 ?annotationRequestId=a&offset=11" in out


def test_only_infos_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(har(tmp_path / "a.har", [1, 2], limit=1000))]) == 0
    assert main([str(har(tmp_path / "b.har", [1, 2, 3], limit=5000))]) == 0
    assert "limit-over-max" in capsys.readouterr().out


def test_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(har(tmp_path / "a.har", [1, 2, 2])), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["requests"] == 3
    assert [(f["rule"], f["requests"]) for f in document["findings"]] == [
        ("paging-refetch", [2, 3])
    ]


def test_several_files_are_one_traffic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Each file alone is one page; together, page 2 read twice after page 1.
    first = har(tmp_path / "a.har", [1, 2])
    second = tmp_path / "b.har"
    later = from_entry(entry(9, "annotationRequestId=a&offset=2&limit=10", count=25,
                             returned=10, limit=10))  # fmt: skip
    second.write_text(json.dumps(to_har([later])), encoding="utf-8")
    assert main([str(second)]) == 0
    assert main([str(first)]) == 0
    capsys.readouterr()
    # The order of the files does not matter: the union is ordered by time.
    for files in ([first, second], [second, first]):
        assert main([*map(str, files), "--json"]) == 1
        (found,) = json.loads(capsys.readouterr().out)["findings"]
        assert (found["rule"], found["requests"]) == ("paging-refetch", [2, 9])


def test_an_unreadable_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.har"
    bad.write_text("{}", encoding="utf-8")
    assert main([str(har(tmp_path / "ok.har", [1])), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err
        == f"stardust-client-verdict: error: {bad}: no log.entries list, so not a HAR file\n"
    )


def test_the_suites_command_dispatches_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert conformance_main(["client-verdict", str(har(tmp_path / "a.har", [1, 11]))]) == 1
    assert "paging-offset-as-index" in capsys.readouterr().out
    assert conformance_main(["client-verdict", str(tmp_path / "missing.har")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m conformance client-verdict: error: ")
    assert "missing.har: No such file or directory" in err


def test_the_page_is_written_as_well(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "verdict.html"
    assert main([str(har(tmp_path / "a.har", [1, 11])), "--html", str(page)]) == 1
    text = page.read_text(encoding="utf-8")
    assert "paging-offset-as-index" in text and text.startswith("<!doctype html>")
    assert "paging-offset-as-index" in capsys.readouterr().out
    nowhere = tmp_path / "missing" / "verdict.html"
    assert main([str(har(tmp_path / "a.har", [1])), "--html", str(nowhere)]) == 2
    assert capsys.readouterr().err == (
        f"stardust-client-verdict: error: --html {nowhere}: No such file or directory\n"
    )
