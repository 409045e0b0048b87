"""Stardust request signatures: `X-SIGN` = md5(`ts&secret&key`), checked in constant time.

Secrets never leave this module: errors carry the documentation's messages only, and nothing
here logs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping

from mockserver.errors import AuthenticationFailed, SignatureExpired, WrongSignature

HEADER_KEY = "x-stardust-key"
HEADER_TS = "x-ts"
HEADER_SIGN = "x-sign"
# ASCII digits only: str.isdigit() also accepts characters such as "²" that int() refuses.
_TIMESTAMP = re.compile(r"[0-9]{1,15}")


def sign(timestamp_ms: str, secret_key: str, access_key: str) -> str:
    """The signature the documentation defines."""
    text = f"{timestamp_ms}&{secret_key}&{access_key}".encode()
    return hashlib.md5(text, usedforsecurity=False).hexdigest()


class SignatureVerifier:
    """Checks the three headers against configured key pairs and a clock skew window."""

    def __init__(
        self, keys: Mapping[str, str], skew_seconds: int, now_ms: Callable[[], int]
    ) -> None:
        self._keys = dict(keys)
        self._skew_ms = skew_seconds * 1000
        self._now_ms = now_ms

    def verify(self, headers: Mapping[str, str], now_ms: int | None = None) -> None:
        """Raise the auth failure a request deserves, or return if it is signed correctly.

        `now_ms` is the time to check `X-TS` against, when the caller knows it (a session's
        clock, D70); else the verifier's own clock.
        """
        access_key = headers.get(HEADER_KEY, "")
        timestamp = headers.get(HEADER_TS, "")
        signature = headers.get(HEADER_SIGN, "")
        if not access_key or not timestamp or not signature:
            raise AuthenticationFailed()
        # Unknown keys still pay for a comparison, so timing does not reveal which keys exist.
        secret = self._keys.get(access_key)
        expected = sign(timestamp, secret if secret is not None else "\x00", access_key)
        matches = hmac.compare_digest(expected.encode(), signature.strip().lower().encode())
        if secret is None:
            raise AuthenticationFailed()
        if not matches:
            raise WrongSignature()
        if not _TIMESTAMP.fullmatch(timestamp):
            raise WrongSignature()
        now = self._now_ms() if now_ms is None else now_ms
        if abs(now - int(timestamp)) > self._skew_ms:
            raise SignatureExpired()
