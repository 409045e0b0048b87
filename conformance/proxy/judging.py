"""One exchange judged: the suite's per-exchange judgements, the proxy's observed ones, then
the traffic's cross-exchange ones. The only place that puts the three together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.exchange import Exchange
from conformance.failures import Failure
from conformance.per_exchange import JUDGEMENTS, SERVICE_HICCUP
from conformance.proxy.checks import exercised
from conformance.proxy.observed import OBSERVED, forced
from conformance.proxy.request import Request
from conformance.proxy.traffic import MULTI_ID_NAMES, Traffic

PHASE = "proxy"
# A hiccup is not a violation of these: the server failed, it did not judge the request.
HICCUP_ALSO_FAILS = frozenset(
    {"not_a_server_error", "id_byte_length", "repeated_offset_limit_rejected"}
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
) -> Judged:
    hiccup = hiccups.is_hiccup(exchange, request)
    result = Judged(judged=exercised(exchange, request), hiccup=hiccup)
    multi = len(exchange.ids) > 1
    for name, judgement in JUDGEMENTS.items():
        message = judgement(exchange, http_200)
        if not message or (result.hiccup and name in HICCUP_ALSO_FAILS):
            continue
        name = MULTI_ID_NAMES.get(name, name) if multi else name
        result.failures.append(Failure(name, message, exchange.curl, PHASE))
    if request is not None:
        for name, observed in OBSERVED.items():
            message = observed(exchange, request)
            if message:
                result.failures.append(Failure(name, message, exchange.curl, PHASE))
    across = traffic.judge(exchange, request)
    result.judged |= across.judged
    result.failures += across.failures
    return result
