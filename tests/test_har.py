"""conformance/har.py: exchanges to HAR 1.2 and back, secrets redacted, files as one traffic."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from clientjudge.exchanges import from_entry
from clientjudge.verdict import judge
from conformance.exchange import Exchange
from conformance.har import REDACTED, HarError, read_har, to_har
from tests.support.journal import T0, entry

PAGE = {"code": 2000, "message": "ok", "data": {"count": 3, "data": [{"id": 1}, {"id": 2}]}}


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def har_entry(url: str, started: str, body: Any = None, method: str = "GET", **more: Any) -> Any:
    content: dict[str, Any] = {"size": 0, "mimeType": "application/json"}
    if body is not None:
        content["text"] = json.dumps(body)
    return {
        "startedDateTime": started,
        "time": 12.5,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/2",
                    "headers": [{"name": ":authority", "value": "api.test"},
                                {"name": "X-TS", "value": "1"}],
                    "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": more.get("status", 200), "statusText": "", "httpVersion": "HTTP/2",
                     "headers": [], "cookies": [], "content": content, "redirectURL": "",
                     "headersSize": -1, "bodySize": -1},
        "cache": {}, "timings": {"send": 0, "wait": 12.5, "receive": 0},
    }  # fmt: skip


def journal() -> list[Exchange]:
    headers = [["host", "mock.test"], ["x-sign", "abc123"], ["authorization", "Bearer t"],
               ["cookie", "s=1"], ["x-ts", "1800000000000"]]  # fmt: skip
    return [
        from_entry(entry(n, f"annotationRequestId=a&offset={1 + (n - 1) * 10}&limit=10",
                         count=25, returned=10 if n < 3 else 5, limit=10, headers=headers))
        for n in (1, 2, 3)
    ]  # fmt: skip


def test_an_export_is_har_1_2_with_secrets_redacted(tmp_path: Path) -> None:
    document = to_har(journal(), creator={"name": "test", "version": "1"})
    log = document["log"]
    assert (log["version"], log["creator"]) == ("1.2", {"name": "test", "version": "1"})
    first = log["entries"][0]
    headers = {h["name"]: h["value"] for h in first["request"]["headers"]}
    assert headers == {"host": "mock.test", "x-sign": REDACTED, "authorization": REDACTED,
                       "cookie": REDACTED, "x-ts": "1800000000000"}  # fmt: skip
    assert first["_seq"] == 1
    assert first["startedDateTime"] == "2027-01-15T08:00:01.000Z"
    assert first["request"]["queryString"][1] == {"name": "offset", "value": "1"}
    assert first["response"]["status"] == 200
    assert first["_stardust"] == {"client": "127.0.0.1:50000", "code": 2000, "count": 25,
                                  "returned": 10, "limit": 10}  # fmt: skip
    assert "text" not in first["response"]["content"]
    assert "abc123" not in json.dumps(document) and "Bearer t" not in json.dumps(document)


def test_an_export_read_back_is_judged_the_same(tmp_path: Path) -> None:
    exchanges = journal()
    path = write(tmp_path / "mock.har", to_har(exchanges))
    again = read_har([path])
    assert [(e.seq, e.raw_query, e.answer_code, e.answer_count, e.answer_returned, e.client)
            for e in again] == [(e.seq, e.raw_query, 2000, 25, e.answer_returned, e.client)
                                for e in exchanges]  # fmt: skip
    assert again[0].started_at == pytest.approx(exchanges[0].started_at)
    assert again[0].elapsed == pytest.approx(exchanges[0].elapsed)
    verdict = judge(again)
    assert verdict == judge(exchanges)
    assert [f.rule for f in verdict.findings] == ["paging-offset-as-index"]


def test_a_body_is_exported_and_read_back(tmp_path: Path) -> None:
    exchange = Exchange.build("GET", "http://h/statistics/record?annotationRequestId=a", 200,
                              PAGE, received_at=T0)  # fmt: skip
    document = to_har([exchange])
    assert json.loads(document["log"]["entries"][0]["response"]["content"]["text"]) == PAGE
    (back,) = read_har([write(tmp_path / "b.har", document)])
    assert back.body == PAGE and back.answer_returned == 2 and back.answer_count == 3


def test_a_browser_export_keeps_only_the_operations_requests(tmp_path: Path) -> None:
    base = "https://api.test/rosetta-open/statistics/record?annotationRequestId=a"
    encoded = har_entry(base + "&offset=2", "2026-12-06T10:00:01.500+01:00")
    text = base64.b64encode(json.dumps(PAGE).encode()).decode()
    encoded["response"]["content"] = {"mimeType": "application/json", "encoding": "base64",
                                      "text": text, "size": 1}  # fmt: skip
    entries = [
        har_entry("https://api.test/favicon.ico", "2026-12-06T09:00:00Z"),
        har_entry(base, "2026-12-06T09:00:00.250Z", method="OPTIONS"),
        encoded,
        har_entry(base, "2026-12-06T09:00:00.500Z", PAGE),
    ]
    exchanges = read_har([write(tmp_path / "chrome.har", {"log": {"entries": entries}})])
    assert [e.raw_query for e in exchanges] == ["annotationRequestId=a",
                                                "annotationRequestId=a&offset=2"]  # fmt: skip
    assert [e.answer_returned for e in exchanges] == [2, 2]
    # Pseudo-headers dropped, names lowercased; no `_seq`: the judge numbers them by time.
    assert exchanges[0].request_headers == {"x-ts": "1"}
    assert [e.seq for e in exchanges] == [None, None]
    assert exchanges[0].elapsed == pytest.approx(0.0125)


def test_several_files_are_one_traffic_in_time_order(tmp_path: Path) -> None:
    # Two mock instances behind a load balancer: their numbers collide, their times interleave.
    one = [from_entry(entry(1, "annotationRequestId=a&offset=1", at=T0, count=25, returned=10,
                            limit=10))]  # fmt: skip
    two = [from_entry(entry(1, "annotationRequestId=a&offset=2", at=T0 + 1, count=25,
                            returned=10, limit=10))]  # fmt: skip
    paths = [write(tmp_path / "b.har", to_har(two)), write(tmp_path / "a.har", to_har(one))]
    union = read_har(paths)
    assert [e.offset for e in union] == [1, 2]
    assert [e.seq for e in union] == [None, None]
    assert judge(union).requests == 2


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file or directory"),
        ("{not json", "not JSON (Expecting property name enclosed in double quotes, line 1)"),
        ('{"log": {}}', "no log.entries list, so not a HAR file"),
        ('[1, 2]', "no log.entries list, so not a HAR file"),
        ('{"log": {"entries": [3]}}', "entry 1: the entry is not an object"),
        ('{"log": {"entries": [{"request": {"method": "GET", "url": "/statistics/record"},'
         ' "response": {"status": "200"}}]}}', "entry 1: response.status is not an integer"),
        ('{"log": {"entries": [{"request": {"method": "GET", "url": "/statistics/record"},'
         ' "response": {"status": 200}, "startedDateTime": "yesterday"}]}}',
         "entry 1: startedDateTime 'yesterday' is not an ISO 8601 date"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_read_is_named_with_the_reason(
    tmp_path: Path, content: str | None, reason: str
) -> None:
    path = tmp_path / "broken.har"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(HarError) as caught:
        read_har([path])
    assert str(caught.value) == f"{path}: {reason}"


def test_binary_is_not_a_har_file(tmp_path: Path) -> None:
    path = tmp_path / "x.har"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(HarError, match="not UTF-8 text"):
        read_har([path])
