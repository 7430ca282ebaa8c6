"""One click on a link, start to end, without Flask: verify → spend → re-check → mint →
guard. :func:`follow` returns where to send the browser or which page to show.

A click spends the link before anything else happens, so of two racing clicks exactly one
can reach Otwa. A refusal that asks the customer to try again (``Refusal.retryable``: Otwa
down or slow, server not ready, our own error) gives the link back, because nothing was
opened; every other outcome leaves it spent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from bridge.logs import register_secret
from bridge.sso import spent
from bridge.sso.collaborators import Lookup, Mint, mint_refusal, service_refusal
from bridge.sso.pages import Refusal
from bridge.sso.redirects import RedirectPolicy, UnsafeRedirect
from bridge.sso.tokens import LinkClaims, LinkExpired, LinkInvalid, LinkSigner, Target

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Click:
    """The outcome: ``location`` to redirect to, or the ``refusal`` to show. ``panel`` is
    known once the token verified (for the right client-area link), else None."""

    location: str | None = None
    refusal: Refusal | None = None
    panel: str | None = None


@dataclass(frozen=True)
class Collaborators:
    """Everything a click needs. ``db`` returns this thread's bridge connection."""

    signer: LinkSigner
    db: Callable[[], sqlite_utils.Database]
    lookup: Lookup
    mint: Mint
    policy: RedirectPolicy


def follow(token: str, *, now: float, parts: Collaborators) -> Click:
    """Decide what one click on ``token`` at time ``now`` gets. Never raises."""
    try:
        claims = parts.signer.verify(token, now=now)
    except LinkExpired as exc:
        return _refuse(Refusal.EXPIRED, exc.claims)
    except LinkInvalid:
        log.info("sso link refused", extra={"outcome": "invalid"})
        return Click(refusal=Refusal.INVALID)
    # Genuine from here on: mask it in every later log line, whatever logs it.
    register_secret(token, transient=True)
    try:
        won = spent.consume(
            parts.db(),
            claims.jti,
            expires_at=claims.expires_at,
            now=now,
            panel=claims.panel,
            service_id=claims.service_id,
        )
    except Exception:
        log.exception("sso link could not be spent", extra=_fields(claims))
        return Click(refusal=Refusal.ERROR, panel=claims.panel)
    if not won:
        return _refuse(Refusal.USED, claims)
    click = _open(claims, parts)
    if click.refusal is not None and click.refusal.retryable:
        _give_back(claims, parts)
    return click


def _open(claims: LinkClaims, parts: Collaborators) -> Click:
    """Re-check the service, mint the Otwa URL and guard it (the link is already spent).
    A staff link (``account``) has no service to re-check: it opens the whole dashboard."""
    server_id: str | None = None
    if claims.target is not Target.ACCOUNT:
        try:
            record = parts.lookup(claims.panel, claims.service_id)
        except Exception:
            log.exception("sso service lookup failed", extra=_fields(claims))
            return Click(refusal=Refusal.ERROR, panel=claims.panel)
        refusal = service_refusal(record, client_id=claims.client_id, target=claims.target)
        if refusal is not None:
            return _refuse(refusal, claims)
        assert record is not None  # service_refusal() refused None
        server_id = record.server_id if claims.target is Target.SERVER else None
    try:
        url = parts.mint(server_id, claims.next_path)
    except Exception as exc:
        refusal = mint_refusal(exc)
        if refusal is Refusal.ERROR:
            log.exception("sso mint failed", extra=_fields(claims))
        else:
            log.warning(
                "sso mint failed: %s", type(exc).__name__, extra=_fields(claims)
            )  # the message may be Otwa's; the type says enough for a refusal we expected
        return _refuse(refusal, claims)
    if isinstance(url, str):
        register_secret(url, transient=True)
    try:
        location = parts.policy.check(url)
    except UnsafeRedirect as exc:
        log.error("sso mint answer refused: %s", exc, extra=_fields(claims))
        return _refuse(Refusal.BAD_TARGET, claims)
    log.info("sso link followed", extra={**_fields(claims), "outcome": "redirected"})
    return Click(location=location, panel=claims.panel)


def _give_back(claims: LinkClaims, parts: Collaborators) -> None:
    try:
        spent.release(parts.db(), claims.jti)
    except Exception:
        # The link stays spent: the customer asks the client area for a new one.
        log.exception("sso link could not be given back", extra=_fields(claims))


def _refuse(refusal: Refusal, claims: LinkClaims) -> Click:
    log.info("sso link refused", extra={**_fields(claims), "outcome": refusal.kind})
    return Click(refusal=refusal, panel=claims.panel)


def _fields(claims: LinkClaims) -> dict[str, str]:
    # The jti is not a credential (the signature is): it ties a log line to its sso_spent row.
    return {
        "panel": claims.panel,
        "service_id": claims.service_id,
        "link_id": claims.jti,
        "target": claims.target.value,
    }
