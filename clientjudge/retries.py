"""Retry rules: which answers a client may send again, and how fast.

A 5000 is the documented service hiccup: retry it, with growing back-off. 4005 (invalid
parameter), 53003 (unknown request) and the signature outcomes 401/402/403 answer the same to
the same request: sending it again unchanged cannot succeed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise

from clientjudge.exchanges import client_of, header
from clientjudge.findings import ERROR
from clientjudge.registry import Offence, rule
from conformance.exchange import Exchange

HICCUP = 5000
NOT_RETRYABLE = frozenset({4005, 53003, 401, 402, 403})
SIGNATURE_CODES = frozenset({401, 402, 403})
# A retry sooner than this after the 5000 arrived hammers the server (issue 20).
MIN_GAP_SECONDS = 0.1
# Gaps "grow" when a later one is at least this many times the first: jitter shrinks some
# gaps of a correct exponential back-off, a fixed interval never reaches it (D45).
GROWTH = 1.5
# A client that waits this long between attempts is not hammering, whatever its rhythm: a
# dashboard polling every 10 s through two 5000s is not a retry loop (D45).
PATIENT_SECONDS = 10.0


def _request(exchange: Exchange) -> tuple[str, ...]:
    """What makes two requests the same: another `Prefer` asks another outcome of the mock."""
    query = exchange.raw_query
    return client_of(exchange), exchange.method, exchange.path, query, header(exchange, "prefer")


def _after(exchange: Exchange, earlier: Exchange) -> bool:
    """Sent once the earlier answer was out: a retry of it, not a concurrent twin."""
    return exchange.started_at >= earlier.received_at


def _signed_request(exchange: Exchange) -> tuple[str, ...]:
    """The request with its signing headers: re-signing with a fresh X-TS changes it."""
    return (*_request(exchange), header(exchange, "x-stardust-key"), header(exchange, "x-ts"))


@rule(
    "retry-not-retryable",
    ERROR,
    "do not resend a request answered 4005, 53003, 401, 402 or 403: fix the parameter, the "
    "IDs or the signature first",
)
def not_retryable(exchanges: Sequence[Exchange]) -> list[Offence]:
    """A request sent again unchanged after an answer that cannot change."""
    refused: dict[tuple[str, ...], Exchange] = {}
    offences = []
    for exchange in exchanges:
        key = _signed_request(exchange)
        first = refused.get(key)
        if first is not None and _after(exchange, first):
            offences.append(
                Offence((exchange, first), f"answered {first.answer_code} as #{first.seq}")
            )
        if exchange.answer_code in NOT_RETRYABLE:
            refused.setdefault(key, exchange)
        else:
            refused.pop(key, None)
    return offences


def _gaps(attempts: list[Exchange]) -> list[float]:
    """Seconds from each answer's arrival to the next attempt."""
    return [after.started_at - before.received_at for before, after in pairwise(attempts)]


def _hammering(gaps: list[float]) -> str:
    """Why these gaps are no back-off, or "" when they are one."""
    if not gaps:
        return ""
    quick = min(gaps)
    if quick < MIN_GAP_SECONDS:
        return f"retried {quick * 1000:.0f} ms after the 5000"
    if len(gaps) >= 2 and gaps[0] < PATIENT_SECONDS and max(gaps[1:]) < GROWTH * gaps[0]:
        shown = ", ".join(f"{gap:.2f}" for gap in gaps[:5])
        return f"gaps that do not grow: {shown} s"
    return ""


@rule(
    "retry-no-backoff",
    ERROR,
    "retry a 5000 after a growing, jittered delay (e.g. 0.2 s, 0.4 s, 0.8 s ...), never "
    "sooner than 100 ms",
)
def no_backoff(exchanges: Sequence[Exchange]) -> list[Offence]:
    """A 5000 retried within 100 ms, or with gaps between attempts that do not grow."""
    chains: dict[tuple[str, ...], list[Exchange]] = defaultdict(list)
    finished: list[list[Exchange]] = []
    for exchange in exchanges:
        key = _request(exchange)
        chain = chains.get(key)
        if chain and not _after(exchange, chain[-1]):
            continue
        if chain:
            chain.append(exchange)
        if exchange.answer_code == HICCUP:
            if not chain:
                chains[key] = [exchange]
        elif chain:
            finished.append(chains.pop(key))
    finished += [chain for chain in chains.values() if len(chain) > 1]
    offences = []
    for chain in sorted(finished, key=lambda attempts: attempts[0].seq or 0):
        reason = _hammering(_gaps(chain))
        if reason:
            offences.append(Offence((chain[1], chain[0]), reason))
    return offences
