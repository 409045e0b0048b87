"""The exchanges a proxy session keeps for its reports at exit, in bounded memory.

A session may last days; the reports at exit (`report.html`, `coverage.json`,
`exchanges.har`; C59) need what each exchange was, not every byte of it. Each kept exchange is
a light copy: the envelope with, per record, only its id and the fields the coverage reads
(the enums), and the body's text cut to 64 KiB for the HAR. Beyond `MAX_EXCHANGES` exchanges
or `MAX_RECORDS` records, later exchanges are counted, not kept: the reports then cover the
first ones and say how many more there were.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from conformance.coverage import contract_enums
from conformance.exchange import Exchange, Summary

MAX_EXCHANGES = 10_000
MAX_RECORDS = 200_000
MAX_TEXT = 64 * 1024
_KEPT_FIELDS = ("id", *contract_enums())


def light(exchange: Exchange) -> Exchange:
    """`exchange` with only what the coverage and the HAR read."""
    records = exchange.records
    body = exchange.body
    if records is not None and isinstance(body, dict) and exchange.page is not None:
        slim = [{k: record[k] for k in _KEPT_FIELDS if k in record} for record in records]
        body = {**body, "data": {**exchange.page, "data": slim}}
    return replace(exchange, body=body, text=exchange.text[:MAX_TEXT])


def as_sent(exchange: Exchange) -> Exchange:
    """For the HAR: the answer's own text when it was kept whole, not the light body.

    The HAR writes a body when there is one; a light copy's is slimmed. When the text was kept
    whole, the body goes and a summary of it stays (what `_stardust` reports)."""
    if exchange.body is None or len(exchange.text) >= MAX_TEXT or not exchange.text:
        return exchange
    returned = None if exchange.records is None else len(exchange.records)
    summary = Summary(exchange.code, exchange.count, returned, exchange.served_limit)
    return replace(exchange, body=None, summary=summary)


@dataclass
class Recorded:
    exchanges: list[Exchange] = field(default_factory=list)
    records: int = 0
    dropped: int = 0

    def add(self, exchange: Exchange) -> None:
        size = len(exchange.records or ())
        if len(self.exchanges) >= MAX_EXCHANGES or self.records + size > MAX_RECORDS:
            self.dropped += 1
            return
        self.records += size
        self.exchanges.append(light(exchange))

    def note(self) -> str | None:
        if not self.dropped:
            return None
        return (
            f"the reports cover the first {len(self.exchanges)} exchanges; "
            f"{self.dropped} later ones were judged but not kept (memory bound)"
        )
