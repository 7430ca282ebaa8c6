"""Link tokens: what they carry, rotation, tampering, expiry on a moved clock, garbage."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from bridge.sso.tokens import (
    MAX_TOKEN_LENGTH,
    MAX_TTL,
    PREFIX,
    LinkExpired,
    LinkInvalid,
    LinkSigner,
    Target,
    generate_secret,
)
from tests.sso.conftest import SECRET_NEW, SECRET_OLD, T0, sign_raw

LINK = {"panel": "whmcs", "service_id": "1042", "client_id": "77", "target": "server"}


def test_a_link_carries_its_claims_and_a_fresh_id(signer: LinkSigner) -> None:
    first = signer.issue(**LINK, now=T0 + 0.9)
    second = signer.issue(**LINK, now=T0)
    assert first.token.startswith(PREFIX) and first.token != second.token
    claims = signer.verify(first.token, now=T0 + 1)
    assert claims == first.claims
    assert (claims.panel, claims.service_id, claims.client_id) == ("whmcs", "1042", "77")
    assert claims.target is Target.SERVER and claims.next_path is None
    assert claims.expires_at == T0 + 600  # default TTL, from the floor of now
    assert len(claims.jti) >= 22 and claims.jti != second.claims.jti


def test_dashboard_links_carry_their_deep_link(signer: LinkSigner) -> None:
    issued = signer.issue(**{**LINK, "target": "dashboard"}, next_path="/billing", now=T0)
    claims = signer.verify(issued.token, now=T0)
    assert claims.target is Target.DASHBOARD and claims.next_path == "/billing"


def test_staff_account_links_name_no_service_of_their_own(signer: LinkSigner) -> None:
    issued = signer.issue(panel="whmcs", service_id="0", client_id="0", target="account", now=T0)
    assert signer.verify(issued.token, now=T0).target is Target.ACCOUNT


def test_expiry_follows_the_clock_and_keeps_the_claims(signer: LinkSigner) -> None:
    issued = signer.issue(**LINK, now=T0, ttl=60)
    assert signer.verify(issued.token, now=T0 + 59.999).jti == issued.claims.jti
    with pytest.raises(LinkExpired) as caught:
        signer.verify(issued.token, now=T0 + 60)
    assert caught.value.claims == issued.claims  # the refusal page knows the panel


def test_no_link_outlives_the_hard_cap_even_if_its_payload_says_so() -> None:
    payload = {"p": "whmcs", "s": "1", "c": "7", "t": "server", "j": "x" * 22, "e": 2**40}
    token = sign_raw(payload)
    assert LinkSigner([SECRET_NEW]).verify(token, now=T0 + MAX_TTL).expires_at == 2**40
    with pytest.raises(LinkExpired):
        LinkSigner([SECRET_NEW]).verify(token, now=T0 + MAX_TTL + 1)


def test_rotation_the_newest_signs_and_every_listed_secret_verifies() -> None:
    before = LinkSigner([SECRET_OLD]).issue(**LINK, now=T0)
    during = LinkSigner([SECRET_NEW, SECRET_OLD])
    after = LinkSigner([SECRET_NEW])
    assert during.verify(before.token, now=T0).jti == before.claims.jti  # old still verifies
    fresh = during.issue(**LINK, now=T0)
    assert after.verify(fresh.token, now=T0).jti == fresh.claims.jti  # signed with the new
    with pytest.raises(LinkInvalid):
        LinkSigner([SECRET_OLD]).verify(fresh.token, now=T0)
    with pytest.raises(LinkInvalid):
        after.verify(before.token, now=T0)  # the old secret retired: its links stop


def _swap_payload(token: str, **changes: object) -> str:
    """The token with its payload edited and its signature kept (what an attacker can do)."""
    body, timestamp, signature = token[len(PREFIX) :].rsplit(".", 2)
    codec = URLSafeTimedSerializer("unused")  # payload encoding only: nothing is signed
    payload = codec.load_payload(body.encode())
    payload.update(changes)
    forged = codec.dump_payload(payload).decode()
    return f"{PREFIX}{forged}.{timestamp}.{signature}"


@pytest.mark.parametrize(
    "change", [{"s": "1043"}, {"c": "78"}, {"t": "dashboard"}, {"e": 2_000_000_000}]
)
def test_a_tampered_payload_is_invalid_not_expired(signer: LinkSigner, change: dict) -> None:
    issued = signer.issue(**LINK, now=T0)
    forged = _swap_payload(issued.token, **change)
    assert forged != issued.token
    with pytest.raises(LinkInvalid):
        signer.verify(forged, now=T0)
    with pytest.raises(LinkInvalid):  # tampered stays "invalid" even once it would be old
        signer.verify(forged, now=T0 + 10_000)


def test_every_single_character_flip_is_refused(signer: LinkSigner) -> None:
    issued = signer.issue(**LINK, now=T0)
    token = issued.token
    for i in range(len(PREFIX), len(token)):
        if token[i] == ".":
            continue
        for replacement in "AB_-":
            if replacement == token[i]:
                continue
            flipped = token[:i] + replacement + token[i + 1 :]
            if i == len(token) - 1:
                # The signature's last base64 character has spare bits: a flip there may
                # decode to the same signature, then it is the same link (same jti).
                try:
                    assert signer.verify(flipped, now=T0) == issued.claims
                except LinkInvalid:
                    pass
                continue
            with pytest.raises(LinkInvalid):
                signer.verify(flipped, now=T0)


def test_a_value_signed_for_another_purpose_is_not_a_link() -> None:
    payload = {"p": "whmcs", "s": "1", "c": "7", "t": "server", "j": "x" * 22, "e": 2**40}
    assert LinkSigner([SECRET_NEW]).verify(sign_raw(payload), now=T0).panel == "whmcs"
    with pytest.raises(LinkInvalid):
        LinkSigner([SECRET_NEW]).verify(sign_raw(payload, salt="cookie-session"), now=T0)


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2],
        {"p": "whmcs"},
        {"p": "w", "s": "1", "c": "7", "t": "root", "j": "x", "e": 1},
        {"p": "w", "s": "1", "c": "7", "t": "server", "j": "x", "e": "soon"},
        {"p": "w", "s": "1", "c": "7", "t": "server", "j": "x", "e": 2**40, "n": "//evil.test"},
        {"p": "w", "s": "1", "c": "7", "t": "server", "j": "x", "e": 2**40, "admin": True},
    ],
)
def test_a_signed_but_malformed_payload_is_invalid(payload: object) -> None:
    with pytest.raises(LinkInvalid):
        LinkSigner([SECRET_NEW]).verify(sign_raw(payload), now=T0)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        PREFIX,
        "bsso",
        PREFIX + "a.b.c",
        PREFIX + "x" * (MAX_TOKEN_LENGTH + 1),
        PREFIX + "é.ü.ß",
        PREFIX + "\x00\r\n",
        PREFIX + "🙂" * 10,
        "A" * 100_000,
        None,
        42,
        b"bsso_abc",
    ],
)
def test_garbage_is_invalid_and_nothing_else(signer: LinkSigner, garbage: object) -> None:
    with pytest.raises(LinkInvalid):
        signer.verify(garbage, now=T0)


@given(st.text(max_size=2000))
def test_any_text_is_refused_with_link_invalid_only(text: str) -> None:
    signer = LinkSigner([SECRET_NEW])
    for candidate in (text, PREFIX + text):
        with pytest.raises(LinkInvalid):
            signer.verify(candidate, now=T0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"panel": "wh mcs"}, "panel"),
        ({"service_id": ""}, "service id"),
        ({"client_id": "7" * 65}, "client id"),
        ({"target": "root"}, "target"),
        ({"next_path": "//evil.test"}, "single '/'"),
        ({"ttl": 0}, "lifetime"),
        ({"ttl": MAX_TTL + 1}, "lifetime"),
    ],
)
def test_issuing_refuses_bad_input_with_a_sentence(
    signer: LinkSigner, change: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        signer.issue(**{**LINK, **change}, now=T0)


@pytest.mark.parametrize("secrets", [[], "one-long-secret-as-a-plain-string-not-a-list", ["short"]])
def test_a_signer_needs_a_list_of_long_secrets(secrets: object) -> None:
    with pytest.raises(ValueError):
        LinkSigner(secrets)  # type: ignore[arg-type]


def test_generated_secrets_are_long_enough() -> None:
    assert LinkSigner([generate_secret()]).ttl == 600
