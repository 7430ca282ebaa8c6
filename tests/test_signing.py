"""Standard Webhooks v1 signing: the spec's published vector, rotation, tampering, clock skew."""

from __future__ import annotations

import pytest

from bridge import signing

# The reference vector published with the Standard Webhooks spec (and Svix's docs).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _headers(sig: str, msg_id: str = VECTOR_ID, ts: int = VECTOR_TS) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sig}


def test_sign_reproduces_the_published_vector() -> None:
    assert signing.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIG


def test_verify_accepts_the_published_vector() -> None:
    got = signing.verify(_headers(VECTOR_SIG), VECTOR_BODY, [VECTOR_SECRET], now=VECTOR_TS)
    assert got == VECTOR_ID


def test_any_of_several_signatures_and_secrets_passes_during_rotation() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    body = b'{"action":"create"}'
    # Sender signs with the new secret only; receiver still lists the old one too.
    h = signing.sign_headers([new], body, msg_id="msg_1", timestamp=1000)
    assert signing.verify(h, body, [old, new], now=1000) == "msg_1"
    # Sender signs with both while the receiver only knows the old one.
    h = signing.sign_headers([new, old], body, msg_id="msg_2", timestamp=1000)
    assert len(h["webhook-signature"].split()) == 2
    assert signing.verify(h, body, [old], now=1000) == "msg_2"
    # Neither secret the receiver knows.
    with pytest.raises(signing.SignatureError) as exc:
        signing.verify(h, body, [signing.generate_secret()], now=1000)
    assert exc.value.code == "invalid_signature" and exc.value.status == 401


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b + b" "),  # one byte of body
        lambda h, b: ({**h, "webhook-id": "msg_other"}, b),
        lambda h, b: ({**h, "webhook-timestamp": str(VECTOR_TS + 1)}, b),
        lambda h, b: ({**h, "webhook-signature": "v1," + "A" * 44}, b),
        lambda h, b: ({**h, "webhook-signature": h["webhook-signature"].replace("v1,", "v2,")}, b),
        lambda h, b: ({**h, "webhook-id": "msg.dotted"}, b),
    ],
)
def test_tampering_is_invalid_signature(tamper) -> None:
    headers, body = tamper(_headers(VECTOR_SIG), VECTOR_BODY)
    with pytest.raises(signing.SignatureError) as exc:
        signing.verify(headers, body, [VECTOR_SECRET], now=VECTOR_TS)
    assert exc.value.code == "invalid_signature"


@pytest.mark.parametrize(("skew", "ok"), [(-300, True), (300, True), (-301, False), (301, False)])
def test_timestamp_tolerance_is_300_seconds_both_ways(skew: int, ok: bool) -> None:
    headers = _headers(VECTOR_SIG)
    now = VECTOR_TS - skew  # skew > 0: timestamp in the future
    if ok:
        assert signing.verify(headers, VECTOR_BODY, [VECTOR_SECRET], now=now) == VECTOR_ID
    else:
        with pytest.raises(signing.SignatureError) as exc:
            signing.verify(headers, VECTOR_BODY, [VECTOR_SECRET], now=now)
        assert exc.value.code == "stale_timestamp"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_has_its_own_code(missing: str) -> None:
    headers = _headers(VECTOR_SIG)
    del headers[missing]
    with pytest.raises(signing.SignatureError) as exc:
        signing.verify(headers, VECTOR_BODY, [VECTOR_SECRET], now=VECTOR_TS)
    assert exc.value.code == "missing_signature_headers"


@pytest.mark.parametrize("bad", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!notbase64"])
def test_malformed_secrets_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        signing.decode_secret(bad)


def test_secret_without_padding_is_tolerated() -> None:
    secret = signing.generate_secret(25)
    assert secret.endswith("=")
    assert signing.decode_secret(secret.rstrip("=")) == signing.decode_secret(secret)
