"""Signing rules, read from the answers of a server that checks signatures (D19).

The mock's outcomes (mockserver/signatures.py): 402 when a header is missing or the access key
is unknown, 401 when the signature is wrong, 403 when `X-TS` is outside the skew window. Only
these answers show that the server checks signatures, so only they are judged: a server that
does not check draws no finding for unsigned requests, nor does an outcome the client forced
with `Prefer: code=...` to test its own error handling.
"""

from __future__ import annotations

from collections.abc import Sequence

from clientjudge.exchanges import header
from clientjudge.findings import ERROR, INFO
from clientjudge.registry import Offence, rule
from conformance.exchange import SUCCESS, Exchange

SIGNING_HEADERS = ("x-stardust-key", "x-ts", "x-sign")
WRONG_SIGNATURE, AUTHENTICATION_FAILED, SIGNATURE_EXPIRED = 401, 402, 403


def forced(exchange: Exchange) -> bool:
    """An outcome the client asked for with `Prefer: code=...`: its test, not its signing."""
    return "code=" in header(exchange, "prefer").lower()


def _missing(exchange: Exchange) -> list[str]:
    return [name for name in SIGNING_HEADERS if not header(exchange, name)]


def skew(exchange: Exchange) -> str:
    """`X-TS` against the request's arrival, as a person reads it."""
    value = header(exchange, "x-ts")
    if not (value.isascii() and value.isdigit()):
        return f"X-TS {value!r} is not milliseconds since the epoch"
    seconds = int(value) / 1000 - exchange.started_at
    side = "ahead of" if seconds > 0 else "behind"
    return f"clock skew {abs(seconds):.1f} s: X-TS {side} the arrival time"


@rule(
    "signing-missing",
    ERROR,
    "send X-STARDUST-KEY, X-TS (milliseconds now) and X-SIGN = md5(ts&secret&key) on every request",
)
def missing(exchanges: Sequence[Exchange]) -> list[Offence]:
    """Requests without the signing headers, refused by a server that checks signatures."""
    return [
        Offence((exchange,), "without " + ", ".join(name.upper() for name in _missing(exchange)))
        for exchange in exchanges
        if exchange.answer_code == AUTHENTICATION_FAILED
        and _missing(exchange)
        and not forced(exchange)
    ]


@rule(
    "signing-invalid",
    ERROR,
    "sign with the secret of your access key and X-TS from a synchronised clock (read the "
    "server's Date header if yours drifts), freshly for every request",
)
def invalid(exchanges: Sequence[Exchange]) -> list[Offence]:
    """Requests signed wrongly: a wrong signature, a stale X-TS or an unknown access key."""
    offences = []
    for exchange in exchanges:
        code = None if forced(exchange) else exchange.answer_code
        if code == WRONG_SIGNATURE:
            offences.append(Offence((exchange,), f"wrong signature; {skew(exchange)}"))
        elif code == SIGNATURE_EXPIRED:
            offences.append(Offence((exchange,), f"stale X-TS; {skew(exchange)}"))
        elif code == AUTHENTICATION_FAILED and not _missing(exchange):
            offences.append(Offence((exchange,), f"access key unknown; {skew(exchange)}"))
    return offences


# A signed request accepted with X-TS this far from its arrival still passes the mock's
# default window (300 s), but a clock drifting this much fails soon (D45).
DRIFT_SECONDS = 60.0


@rule(
    "signing-clock-drift",
    INFO,
    "synchronise the client's clock (NTP), or take X-TS from the server's Date header",
)
def clock_drift(exchanges: Sequence[Exchange]) -> list[Offence]:
    """Signed requests accepted although X-TS was a minute or more off their arrival."""
    offences = []
    for exchange in exchanges:
        value = header(exchange, "x-ts")
        if exchange.answer_code != SUCCESS or not (value.isascii() and value.isdigit()):
            continue
        if abs(int(value) / 1000 - exchange.started_at) >= DRIFT_SECONDS:
            offences.append(Offence((exchange,), skew(exchange)))
    return offences
