"""Signed, expiring link tokens: who may open what, until when, under which one-time id.

A token is ``bsso_`` + an itsdangerous ``URLSafeTimedSerializer`` string with its own salt
(:data:`SALT`: no other signed value of the bridge can pass for a link, nor a link for one).
Its payload names the panel, service, client, target (a server's page or the whole
dashboard, with an optional deep link), a random id (``jti``, spent once: :mod:`.spent`)
and its expiry. The payload is signed, not encrypted: it holds nothing secret.

Secrets are a list, newest first (as the hook secrets are): the newest signs, all verify,
so a rotation is "put the new one first, drop the old one after one TTL".

:meth:`LinkSigner.verify` checks the signature before it decodes anything, and raises only
:class:`LinkInvalid` (garbage, tampered, unknown key, malformed payload) or
:class:`LinkExpired` (genuine but too old; it carries the verified claims so the refusal
page can point at the right client area). Time is always passed in (``now``), never read.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from bridge.sso.deeplinks import deep_link_problem

PREFIX = "bsso_"
SALT = "otwa-bridge.sso-link.v1"
DEFAULT_TTL = 600
MAX_TTL = 86400  # no link outlives a day, whatever its claims say
MIN_SECRET_LENGTH = 32
MAX_TOKEN_LENGTH = 1024
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.]+")
# Panel, service and client ids as the hook schema allows them (letters, digits, _ and -).
_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")


class Target(StrEnum):
    """What the login opens: one server's page or the reseller's whole dashboard, for a
    client's service; or the whole dashboard for the reseller's staff (``account``: no
    service behind it, nothing to re-check at the click; the panel offers it to staff only,
    e.g. WHMCS AdminSingleSignOn)."""

    SERVER = "server"
    DASHBOARD = "dashboard"
    ACCOUNT = "account"


@dataclass(frozen=True)
class LinkClaims:
    """The verified contents of a link. ``expires_at`` is epoch seconds (exclusive)."""

    panel: str
    service_id: str
    client_id: str
    target: Target
    next_path: str | None
    jti: str
    expires_at: int


@dataclass(frozen=True)
class IssuedLink:
    """A fresh token and what it says. The token is a bearer credential: never log it."""

    token: str
    claims: LinkClaims


class LinkError(Exception):
    """A token that does not open anything."""


class LinkInvalid(LinkError):
    """Not a token this bridge signed with a current secret, or not a well-formed one."""


class LinkExpired(LinkError):
    """A genuine token past its expiry; ``claims`` are verified (signature checked)."""

    def __init__(self, claims: LinkClaims) -> None:
        super().__init__("link expired")
        self.claims = claims


def generate_secret() -> str:
    """A new signing secret (43 URL-safe characters, 256 random bits)."""
    return secrets.token_urlsafe(32)


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer on an injected clock, so time can be moved in tests."""

    def __init__(self, *args: Any, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class LinkSigner:
    """Issues and verifies link tokens with ``secrets`` (newest first) and a default ``ttl``.

    Raises ``ValueError`` when there is no secret, a secret is shorter than
    :data:`MIN_SECRET_LENGTH` characters, or ``ttl`` is not within 1..:data:`MAX_TTL`.
    """

    def __init__(self, secrets: Sequence[str], *, ttl: int = DEFAULT_TTL) -> None:
        if isinstance(secrets, str) or not secrets:
            raise ValueError("SSO links need a list of one or more secrets, newest first.")
        if any(len(s) < MIN_SECRET_LENGTH for s in secrets):
            raise ValueError(
                f"Every SSO link secret needs at least {MIN_SECRET_LENGTH} characters "
                "(make one with bridge.sso.tokens.generate_secret())."
            )
        _check_ttl(ttl)
        self._secrets = list(reversed(secrets))  # itsdangerous signs with the last one
        self.ttl = ttl

    def _serializer(self, now: float) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self._secrets,
            salt=SALT,
            signer=_ClockSigner,
            signer_kwargs={"clock": lambda: now},
        )

    def issue(
        self,
        *,
        panel: str,
        service_id: str,
        client_id: str,
        target: Target | str,
        now: float,
        next_path: str | None = None,
        ttl: int | None = None,
    ) -> IssuedLink:
        """Sign a new link valid from ``now`` for ``ttl`` seconds (default: the signer's).

        Raises ``ValueError`` (with a sentence fit for a hook reply) for an id outside
        ``[A-Za-z0-9_-]{1,64}``, an unknown target, a bad deep link or a bad ``ttl``.
        """
        for name, value in (("panel", panel), ("service id", service_id), ("client id", client_id)):
            if not isinstance(value, str) or not _ID.fullmatch(value):
                raise ValueError(f"The {name} must be 1-64 letters, digits, '_' or '-'.")
        try:
            target = Target(target)
        except ValueError:
            raise ValueError("The target must be 'server', 'dashboard' or 'account'.") from None
        if next_path is not None:
            problem = deep_link_problem(next_path)
            if problem:
                raise ValueError(problem)
        ttl = self.ttl if ttl is None else ttl
        _check_ttl(ttl)
        claims = LinkClaims(
            panel=panel,
            service_id=service_id,
            client_id=client_id,
            target=target,
            next_path=next_path,
            jti=secrets.token_urlsafe(16),
            expires_at=math.floor(now) + ttl,
        )
        token = PREFIX + self._serializer(now).dumps(_to_payload(claims))
        return IssuedLink(token, claims)

    def verify(self, token: object, *, now: float) -> LinkClaims:
        """The claims of ``token`` at time ``now``.

        Raises :class:`LinkExpired` when the token is genuine but ``now`` is at or past its
        expiry, :class:`LinkInvalid` for anything else that is not a current link; never
        any other exception, whatever ``token`` is.
        """
        if (
            not isinstance(token, str)
            or len(token) > MAX_TOKEN_LENGTH
            or not token.startswith(PREFIX)
            or not _TOKEN_CHARS.fullmatch(token, len(PREFIX))
        ):
            raise LinkInvalid("not a link token")
        serializer = self._serializer(now)
        try:
            payload = serializer.loads(token[len(PREFIX) :], max_age=MAX_TTL)
        except SignatureExpired as exc:
            # Raised only after the signature checked out: the payload is ours.
            claims = _claims_or_none(_load(serializer, exc.payload))
            if claims is None:
                raise LinkInvalid("malformed link payload") from None
            raise LinkExpired(claims) from None
        except (BadData, ValueError, TypeError):
            raise LinkInvalid("bad signature or payload") from None
        claims = _claims_or_none(payload)
        if claims is None:
            raise LinkInvalid("malformed link payload")
        if now >= claims.expires_at:
            raise LinkExpired(claims)
        return claims


def _check_ttl(ttl: object) -> None:
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 < ttl <= MAX_TTL:
        raise ValueError(f"The link lifetime must be 1-{MAX_TTL} whole seconds.")


def _to_payload(claims: LinkClaims) -> dict[str, Any]:
    # Short keys: the token travels in a URL a panel renders and a customer may copy.
    payload: dict[str, Any] = {
        "p": claims.panel,
        "s": claims.service_id,
        "c": claims.client_id,
        "t": claims.target.value,
        "j": claims.jti,
        "e": claims.expires_at,
    }
    if claims.next_path is not None:
        payload["n"] = claims.next_path
    return payload


def _load(serializer: URLSafeTimedSerializer, payload: Any) -> Any:
    try:
        return serializer.load_payload(payload)
    except (BadData, ValueError, TypeError):
        return None


def _claims_or_none(payload: Any) -> LinkClaims | None:
    """Every field present with its type, nothing else; None otherwise."""
    if not isinstance(payload, dict) or not {"p", "s", "c", "t", "j", "e"} <= payload.keys():
        return None
    if not payload.keys() <= {"p", "s", "c", "t", "j", "e", "n"}:
        return None
    ids = [payload[k] for k in ("p", "s", "c", "j")]
    if not all(isinstance(v, str) and v for v in ids):
        return None
    expires_at, next_path = payload["e"], payload.get("n")
    if not isinstance(expires_at, int) or isinstance(expires_at, bool):
        return None
    if next_path is not None and deep_link_problem(next_path) is not None:
        return None
    if payload["t"] not in {target.value for target in Target}:
        return None
    return LinkClaims(
        panel=payload["p"],
        service_id=payload["s"],
        client_id=payload["c"],
        target=Target(payload["t"]),
        next_path=next_path,
        jti=payload["j"],
        expires_at=expires_at,
    )
