"""Standard Webhooks v1 (symmetric) signing and verification, stdlib only.

Signed content is ``<webhook-id>.<webhook-timestamp>.<raw body>``; the signature header is a
space-separated list of ``v1,<base64 HMAC-SHA256>`` entries and any one matching any
accepted secret passes (rotation: the sender signs with old and new secrets at once).
Secrets are ``whsec_<base64>``. Verification works on the raw bytes, before any parsing,
and compares in constant time. We do not use the ``standardwebhooks`` package: it
hard-codes the tolerance and the clock, has no multi-secret verify, and pulls in httpx,
attrs and python-dateutil for ~60 lines of logic.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets as _secrets
import time
from collections.abc import Iterable, Mapping

from bridge.errors import BridgeError

TOLERANCE_SECONDS = 300
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds for the next 30 000 years
_TIMESTAMP = re.compile(rf"[0-9]{{1,{MAX_TIMESTAMP_DIGITS}}}")
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


class SignatureError(BridgeError):
    """The hook is not proven to come from the panel; always 401, never says which secret."""

    status = 401


def decode_secret(secret: str) -> bytes:
    """The key bytes of a ``whsec_<base64>`` secret (padding tolerated). ValueError if malformed."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("webhook secrets look like whsec_<base64>")
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not valid base64 after whsec_") from None
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def generate_secret(nbytes: int = 32) -> str:
    """A fresh ``whsec_`` secret (the spec wants 24 to 64 random bytes)."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(nbytes)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64>`` signature of ``body`` for this id and timestamp."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(decode_secret(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_headers(
    secrets: Iterable[str], body: bytes, *, msg_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """The three ``webhook-*`` headers for ``body``, signed with every secret given."""
    msg_id = msg_id or "msg_" + _secrets.token_urlsafe(18)
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    signatures = " ".join(sign(s, msg_id, timestamp, body) for s in secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Iterable[str],
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Return the ``webhook-id`` when a ``v1`` signature of ``body`` matches an accepted secret.

    Raises :class:`SignatureError` (401) with code ``missing_signature_headers``,
    ``stale_timestamp`` (outside ±``tolerance`` seconds of ``now``) or ``invalid_signature``.
    ``headers``: names in lower case (or a case-insensitive mapping).
    """
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signature = headers.get("webhook-signature", "")
    if not (msg_id and stamp and signature):
        raise SignatureError(
            "Send the webhook-id, webhook-timestamp and webhook-signature headers "
            "(Standard Webhooks v1).",
            code="missing_signature_headers",
        )
    # The id is part of the signed content: a '.' would make the content ambiguous. The
    # timestamp is ASCII digits only (str.isdigit() takes '²' and int() refuses it) and
    # short (int() refuses more than 4 300 digits): anything else is a 401, never a 500.
    if "." in msg_id or len(msg_id) > 200 or not _TIMESTAMP.fullmatch(stamp):
        raise SignatureError(
            "webhook-id must not contain '.' and webhook-timestamp must be integer Unix seconds.",
            code="invalid_signature",
        )
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > tolerance:
        raise SignatureError(
            f"webhook-timestamp is more than {tolerance} s away from the bridge's clock; "
            "check the panel server's clock (NTP) and re-send.",
            code="stale_timestamp",
        )
    offered = [p[3:] for p in signature.split() if p.startswith("v1,")]
    for secret in secrets:
        expected = sign(secret, msg_id, int(stamp), body)[3:]
        for candidate in offered:
            if hmac.compare_digest(expected.encode(), candidate.encode()):
                return msg_id
    raise SignatureError(
        "No webhook-signature matches a secret configured for this panel; check that the "
        "panel and the bridge share the same whsec_ secret and that the raw body is signed.",
        code="invalid_signature",
    )
