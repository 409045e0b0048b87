"""Signatures: the verifier with an injected clock, then the app with keys configured."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from contract import schema
from mockserver.errors import (
    AuthenticationFailed,
    BusinessError,
    SignatureExpired,
    WrongSignature,
)
from mockserver.signatures import HEADER_KEY, HEADER_SIGN, HEADER_TS, SignatureVerifier, sign
from tests.support.inprocess import in_process, settings_with
from tests.support.servers import mock_server

ACCESS_KEY = "team-ci"
SECRET = "s3cr3t-Zq8W-never-print-me"
KEYS = {ACCESS_KEY: SECRET, "other-team": "another-secret-Xy1"}
NOW_MS = 1_764_000_000_000
SKEW_SECONDS = 300


def signed(
    timestamp_ms: int | str = NOW_MS, access_key: str = ACCESS_KEY, secret: str = SECRET
) -> dict[str, str]:
    return {
        "x-stardust-key": access_key,
        "x-ts": str(timestamp_ms),
        "x-sign": sign(str(timestamp_ms), secret, access_key),
    }


@pytest.fixture
def verifier() -> SignatureVerifier:
    return SignatureVerifier(KEYS, SKEW_SECONDS, lambda: NOW_MS)


def test_the_signature_is_the_documented_md5() -> None:
    expected = hashlib.md5(b"1700000000000&secret&key").hexdigest()
    assert sign("1700000000000", "secret", "key") == expected


@pytest.mark.parametrize(
    "timestamp_ms",
    [NOW_MS, NOW_MS - SKEW_SECONDS * 1000, NOW_MS + SKEW_SECONDS * 1000],
    ids=["now", "oldest-accepted", "newest-accepted"],
)
def test_a_correct_signature_within_the_window_passes(
    verifier: SignatureVerifier, timestamp_ms: int
) -> None:
    verifier.verify(signed(timestamp_ms))


@pytest.mark.parametrize(
    ("headers", "outcome"),
    [
        ({}, AuthenticationFailed),
        ({k: v for k, v in signed().items() if k != "x-stardust-key"}, AuthenticationFailed),
        ({k: v for k, v in signed().items() if k != "x-ts"}, AuthenticationFailed),
        ({k: v for k, v in signed().items() if k != "x-sign"}, AuthenticationFailed),
        ({**signed(), "x-sign": ""}, AuthenticationFailed),
        (signed(access_key="nobody", secret=SECRET), AuthenticationFailed),
        ({**signed(), "x-sign": "0" * 32}, WrongSignature),
        (signed(secret="not-the-secret"), WrongSignature),
        (signed(access_key="other-team", secret=SECRET), WrongSignature),
        ({**signed(), "x-ts": str(NOW_MS + 1)}, WrongSignature),
        (signed(timestamp_ms="soon"), WrongSignature),
        # "²" passes str.isdigit() but not int(): it used to escape as a 500.
        (signed(timestamp_ms="\u00b2"), WrongSignature),
        (signed(timestamp_ms="1" * 16), WrongSignature),
        (signed(NOW_MS - SKEW_SECONDS * 1000 - 1), SignatureExpired),
        (signed(NOW_MS + SKEW_SECONDS * 1000 + 1), SignatureExpired),
        (signed(NOW_MS // 1000), SignatureExpired),
    ],
    ids=[
        "no-headers",
        "no-key",
        "no-ts",
        "no-sign",
        "empty-sign",
        "unknown-key",
        "zero-sign",
        "wrong-secret",
        "another-teams-key",
        "ts-changed-after-signing",
        "ts-not-a-number",
        "ts-superscript-digit",
        "ts-too-long",
        "expired",
        "from-the-future",
        "ts-in-seconds",
    ],
)
def test_a_bad_signature_gets_its_auth_failure(
    verifier: SignatureVerifier, headers: dict[str, str], outcome: type[BusinessError]
) -> None:
    with pytest.raises(BusinessError) as raised:
        verifier.verify(headers)
    assert type(raised.value) is outcome
    assert SECRET not in str(raised.value) and SECRET not in raised.value.message


def test_the_comparison_is_constant_time(
    verifier: SignatureVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    compare_digest = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return compare_digest(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    verifier.verify(signed())
    with pytest.raises(WrongSignature):
        verifier.verify(signed(secret="wrong"))
    # An unknown key pays for a comparison too, so timing does not tell which keys exist.
    with pytest.raises(AuthenticationFailed):
        verifier.verify(signed(access_key="nobody"))
    assert len(compared) == 3
    assert compared[0] == (signed()["x-sign"].encode(), signed()["x-sign"].encode())


# The app with keys configured, in-process, its clock at NOW_MS.

AUTH_FAILURE = OAS30Validator(schema("AuthFailureEnvelope"))


@pytest.fixture(scope="module")
def signed_client() -> Iterator[httpx.Client]:
    # One app for the module: building one costs a few hundred milliseconds.
    settings = settings_with(signature_keys=KEYS, signature_skew_seconds=60)
    with in_process(settings, now_ms=lambda: NOW_MS) as client:
        yield client


@pytest.mark.parametrize("prefix", ["", "/rosetta-open"])
@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        (signed(NOW_MS), 200, 2000),
        ({}, 401, 402),
        ({"X-STARDUST-KEY": ACCESS_KEY}, 401, 402),
        (signed(NOW_MS, secret="guess"), 401, 401),
        (signed(NOW_MS - 61_000), 401, 403),
        (signed(NOW_MS - 60_000), 200, 2000),
        (signed(NOW_MS, access_key="nobody"), 401, 402),
        (signed("\u00b2"), 401, 401),
    ],
    ids=[
        "signed",
        "missing",
        "key-only",
        "wrong",
        "expired",
        "oldest-accepted",
        "unknown-key",
        "superscript-ts",
    ],
)
def test_the_server_verifies_signatures(
    signed_client: httpx.Client,
    prefix: str,
    headers: dict[str, str],
    status: int,
    code: int,
) -> None:
    response = signed_client.get(
        f"{prefix}/statistics/record",
        params={"annotationRequestId": "x", "limit": 1},
        headers={name: value.encode("latin-1") for name, value in headers.items()},
    )
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    if status == 401:
        assert list(AUTH_FAILURE.iter_errors(body)) == []
    assert SECRET not in response.text


def test_swagger_ui_needs_no_signature(signed_client: httpx.Client) -> None:
    assert signed_client.get("/ui/").status_code == 200


# The real server: what the process prints is the point.


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@pytest.mark.slow
def test_secrets_never_reach_the_output_even_at_debug_level() -> None:
    # Keys from the environment this time: the other way to configure them.
    environment = {"MOCKSERVER_SIGNATURE_KEYS": json.dumps(KEYS)}
    with (
        mock_server("--log-level", "debug", environment=environment) as server,
        httpx.Client() as http,
    ):
        url = f"{server.base_url}/statistics/record"
        for headers in (
            signed(now_ms()),
            signed(now_ms(), secret=SECRET + "x"),
            signed(now_ms() - 10_000_000),
            {"X-STARDUST-KEY": ACCESS_KEY, "X-TS": str(now_ms()), "X-SIGN": SECRET},
            signed(now_ms(), access_key=SECRET),
        ):
            response = http.get(url, params={"annotationRequestId": "x"}, headers=headers)
            assert response.status_code in {200, 401}
            assert SECRET not in response.text
        assert http.get(url, params={"annotationRequestId": "x"}).json()["code"] == 402
    output = server.output()
    assert "signatures verified" in output
    assert SECRET not in output
    assert KEYS["other-team"] not in output


@pytest.mark.parametrize(
    "written",
    ["upper", "padded", "upper and padded"],
)
def test_the_signature_is_read_whatever_its_case_and_surrounding_blanks(written: str) -> None:
    # X-SIGN is hexadecimal: clients write it in upper case, proxies and hand-written curl
    # lines add blanks around it. Both are the same signature, never a 401.
    now = 1_733_400_000_000
    verifier = SignatureVerifier({"my-key": "my-secret"}, skew_seconds=300, now_ms=lambda: now)
    digest = sign(str(now), "my-secret", "my-key")
    value = {
        "upper": digest.upper(),
        "padded": f"  {digest}\t",
        "upper and padded": f" {digest.upper()} ",
    }
    verifier.verify({HEADER_KEY: "my-key", HEADER_TS: str(now), HEADER_SIGN: value[written]})


def test_a_signature_of_other_hex_digits_is_still_wrong() -> None:
    now = 1_733_400_000_000
    verifier = SignatureVerifier({"my-key": "my-secret"}, skew_seconds=300, now_ms=lambda: now)
    digest = sign(str(now), "my-secret", "my-key")
    wrong = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    with pytest.raises(WrongSignature):
        verifier.verify({HEADER_KEY: "my-key", HEADER_TS: str(now), HEADER_SIGN: wrong.upper()})


def test_a_time_given_by_the_caller_is_the_one_x_ts_is_judged_against() -> None:
    # A session's clock (D70) judges X-TS, not the verifier's own.
    verifier = SignatureVerifier(KEYS, SKEW_SECONDS, now_ms=lambda: NOW_MS + 3_600_000)
    with pytest.raises(SignatureExpired):
        verifier.verify(signed(NOW_MS))
    verifier.verify(signed(NOW_MS), now_ms=NOW_MS + 1000)
    with pytest.raises(SignatureExpired):
        verifier.verify(signed(NOW_MS + 3_600_000), now_ms=NOW_MS)
