"""One exchange judged: the suite's per-exchange judgements, the proxy's observed ones, then
the traffic's cross-exchange ones. The only place that puts the three together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.exchange import Exchange
from conformance.failures import Failure
from conformance.per_exchange import JUDGEMENTS, SERVICE_HICCUP, clock_and_zone
from conformance.proxy.checks import exercised
from conformance.proxy.observed import OBSERVED, forced, judgeable
from conformance.proxy.repeats import RECORD_LEVEL, Repeats, envelope_only
from conformance.proxy.request import Request
from conformance.proxy.traffic import MULTI_ID_NAMES, Traffic

PHASE = "proxy"
SCHEMA = "response_schema_conformance"
# The judgements of a request the contract refuses: the answer must be 4005. Not held against a
# hiccup (the server failed before judging), a forced outcome, or a signature refusal (a server
# may check signatures first). When one of them fails, it names the cause, and the generic
# negative_data_rejection stays silent.
REJECTIONS = frozenset(
    {
        "repeated_offset_limit_rejected",
        "invalid_offset_limit_rejected",
        "too_many_ids_rejected",
        "id_characters_rejected",
        "bad_encoding_rejected",
        "id_byte_length",
    }
)


@dataclass
class Judged:
    """The checks an exchange exercised, the rules it broke, and whether it was a 5000."""

    judged: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    hiccup: bool = False


class Hiccups:
    """Which 5000 answers are the documented, retryable hiccup (decision C34).

    A 5000 to a valid request is one: counted and noted, not a violation. A 5000 to an invalid
    request may be one too (a server may fail before it validates), once; a second one to a
    request invalid in the same parameter persists, and is a server error, as a 5000 that a
    retry does not get past is for the suite. Keyed by parameter name: a handful, bounded.
    """

    def __init__(self) -> None:
        self.invalid: dict[str, int] = {}

    def is_hiccup(self, exchange: Exchange, request: Request | None) -> bool:
        if exchange.method != "GET" or exchange.code != SERVICE_HICCUP or request is None:
            return False
        if request.problem is None or forced(exchange):
            return True
        parameter = request.problem.parameter
        self.invalid[parameter] = self.invalid.get(parameter, 0) + 1
        return self.invalid[parameter] == 1


def judge(
    exchange: Exchange,
    request: Request | None,
    traffic: Traffic,
    hiccups: Hiccups,
    http_200: bool,
    zone: str = "UTC",
    repeats: Repeats | None = None,
) -> Judged:
    hiccup = hiccups.is_hiccup(exchange, request)
    result = Judged(judged=exercised(exchange, request), hiccup=hiccup)
    multi = len(exchange.ids) > 1
    again = repeats.lookup(exchange) if repeats is not None else None
    seen = again.seen if again is not None else None
    on_records: dict[str, str] = {}
    schema_met = False
    for name, judgement in JUDGEMENTS.items():
        if seen is not None and name in RECORD_LEVEL:
            message = seen.messages.get(name)  # the same records, the same message (C65)
        elif seen is not None and seen.records_valid and name == SCHEMA:
            message = judgement(envelope_only(exchange), http_200)
        else:
            message = judgement(exchange, http_200)
        if message and name in RECORD_LEVEL:
            on_records[name] = message
        schema_met = schema_met or (name == SCHEMA and not message)
        if not message or (name == "not_a_server_error" and result.hiccup):
            continue
        if name in REJECTIONS and not judgeable(exchange):
            continue
        name = MULTI_ID_NAMES.get(name, name) if multi else name
        result.failures.append(Failure(name, message, exchange.curl, PHASE))
    if request is not None and exchange.method == "GET":
        message = clock_and_zone(exchange, zone)
        if message:
            result.failures.append(Failure("clock_and_zone", message, exchange.curl, PHASE))
    specific = any(failure.check in REJECTIONS for failure in result.failures)
    if request is not None:
        for name, observed in OBSERVED.items():
            message = observed(exchange, request)
            if message and not (name == "negative_data_rejection" and specific):
                result.failures.append(Failure(name, message, exchange.curl, PHASE))
    if repeats is not None and again is not None:
        repeats.remember(again, on_records, schema_met)
    across = traffic.judge(exchange, request)
    result.judged |= across.judged
    result.failures += across.failures
    return result
