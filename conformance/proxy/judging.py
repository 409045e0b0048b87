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


@dataclass
class Judged:
    """The checks an exchange exercised, the rules it broke, and whether it was a 5000."""

    judged: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    hiccup: bool = False


def _is_hiccup(exchange: Exchange, request: Request | None) -> bool:
    """The documented 5000 to a valid (or forced) request: retryable, not a violation (C34)."""
    valid = request is not None and (request.problem is None or forced(exchange))
    return exchange.method == "GET" and exchange.code == SERVICE_HICCUP and valid


def judge(exchange: Exchange, request: Request | None, traffic: Traffic, http_200: bool) -> Judged:
    result = Judged(judged=exercised(exchange, request), hiccup=_is_hiccup(exchange, request))
    multi = len(exchange.ids) > 1
    for name, judgement in JUDGEMENTS.items():
        message = judgement(exchange, http_200)
        if not message or (name == "not_a_server_error" and result.hiccup):
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
