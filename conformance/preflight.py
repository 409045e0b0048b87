"""One request before the phases: is there a server of this API to judge at all?

Nothing listening, a TLS failure, a wrong prefix (a 404 without the API's envelope on the
operation's path) or refused signatures (401/402/403 envelopes) would make every check fail or
pass for no reason; the run stops instead with one message saying what to fix, and the command
exits 2, not 1 (C16).
"""

from __future__ import annotations

import ssl

import httpx

from conformance.client import Target, http_client
from conformance.config import Options
from conformance.envelope import is_envelope

AUTH_CODES = {401: "wrong signature", 402: "authentication failed", 403: "signature expired"}
PREFLIGHT_ID = "conformance-preflight"


class Unusable(Exception):
    """The server cannot be judged; the message says why and what to do."""


def _is_tls(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, ssl.SSLError) or "SSL" in str(error) or "CERTIFICATE" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def preflight(options: Options) -> None:
    """Raises `Unusable` when the server at `options.base_url` cannot be judged."""
    item = options.known_ids[0] if options.known_ids else PREFLIGHT_ID
    with http_client(options) as http:
        target = Target(options, http)
        url = target.url([("annotationRequestId", item), ("offset", 1), ("limit", 1)])
        try:
            exchange = target.get([item], 1, 1)
        except httpx.TimeoutException as error:
            raise Unusable(
                f"no answer from {url} within {options.timeout_seconds:g} s "
                f"({type(error).__name__}); is the server up? (--timeout)"
            ) from None
        except httpx.HTTPError as error:
            if _is_tls(error):
                raise Unusable(f"TLS error talking to {options.base_url}: {error}") from None
            if isinstance(error, httpx.ConnectError):
                raise Unusable(
                    f"nothing is listening at {options.base_url}: {error} "
                    "(connection refused?); check --base-url"
                ) from None
            raise Unusable(f"{url}: {type(error).__name__}: {error}") from None
    code = exchange.code if is_envelope(exchange.body) else None
    if code in AUTH_CODES:
        what = f"code {code} ({AUTH_CODES[code]}, HTTP {exchange.status})"
        if not options.signing:
            raise Unusable(
                f"the server requires signed requests: it answered {what}. Pass "
                "--access-key and --secret-key (or STARDUST_ACCESS_KEY and STARDUST_SECRET_KEY)"
            )
        raise Unusable(
            f"the server refused the signature: it answered {what}. Check the access and "
            "secret keys, and that this machine's clock is right (X-TS is checked)"
        )
    if code is None and exchange.status == 404:
        raise Unusable(
            f"HTTP 404 without the API's envelope at {url}: the operation is not at this path. "
            "Is the prefix of --base-url right (e.g. https://host/rosetta-open)?"
        )
    if code is None:
        raise Unusable(
            f"{url} answered HTTP {exchange.status} without the API's envelope "
            f"({exchange.text[:120]!r}): this does not look like the API; check --base-url"
        )
