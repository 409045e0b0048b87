"""Stardust request signing: the three headers the platform's documentation defines."""

from __future__ import annotations

import hashlib
import time

ACCESS_KEY_HEADER = "X-STARDUST-KEY"
TIMESTAMP_HEADER = "X-TS"
SIGNATURE_HEADER = "X-SIGN"


def signature(timestamp_ms: str, access_key: str, secret_key: str) -> str:
    """Lowercase hex MD5 of `ts&secretKey&accessKey`, as the documentation defines X-SIGN."""
    text = f"{timestamp_ms}&{secret_key}&{access_key}"
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def signature_headers(
    access_key: str, secret_key: str, now_ms: int | None = None
) -> dict[str, str]:
    """Fresh headers for one request; `now_ms` is the clock, passed in by tests."""
    timestamp = str(now_ms if now_ms is not None else time.time_ns() // 1_000_000)
    return {
        ACCESS_KEY_HEADER: access_key,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(timestamp, access_key, secret_key),
    }
