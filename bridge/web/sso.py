"""The SSO links wired to the Bridge: the ``sso_link`` hook's answer and ``GET /sso/<token>``.

:mod:`bridge.sso` takes every value and collaborator as a parameter; this module is where
they come from: the settings (secrets, TTL, public base URL, brand), the panels (their
client areas), provisioning (the service lookup and the one mint,
:mod:`bridge.provisioning.logins`), the Bridge's Otwa client, budget and clock.

With no ``SSO_SECRETS`` (or no ``PUBLIC_BASE_URL``) the ``sso_link`` hook answers 503
``sso_not_configured``, and with no secrets every click gets the "invalid link" page.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import sqlite_utils
from flask import Blueprint

from bridge.commands import Command, Outcome
from bridge.errors import BridgeError
from bridge.logs import register_secret
from bridge.otwa import OtwaClient
from bridge.provisioning import logins
from bridge.runtime import Bridge
from bridge.settings import Settings, env_var
from bridge.sso import links
from bridge.sso.blueprint import create_blueprint
from bridge.sso.branding import Branding
from bridge.sso.collaborators import ServiceRecord, mint_with
from bridge.sso.deeplinks import deep_link_problem
from bridge.sso.redirects import RedirectPolicy
from bridge.sso.tokens import LinkClaims, LinkInvalid, LinkSigner, Target, generate_secret
from bridge.web import get_db

log = logging.getLogger("bridge.web.sso")

# How long a click may wait for a slot in the shared budget. The customer is looking at a
# loading tab: past a second, "try again in a minute" (504) is the kinder answer. Interactive
# calls may use the reserve and background work yields to them, so this wait is rare.
CLICK_BUDGET_WAIT = 1.0


class _NoLinks(LinkSigner):
    """No SSO secrets configured: nothing verifies, so every click is the invalid page."""

    def __init__(self) -> None:
        super().__init__([generate_secret()])  # never used to sign: issue() is not called

    def verify(self, token: object, *, now: float) -> LinkClaims:
        raise LinkInvalid("SSO links are not configured on this bridge")


def signer_for(settings: Settings) -> LinkSigner | None:
    """The link signer for these settings, or None when ``SSO_SECRETS`` is empty."""
    secrets = settings.sso_secret_list()
    return LinkSigner(secrets, ttl=settings.sso_link_ttl) if secrets else None


def branding_for(settings: Settings) -> Branding:
    """The reseller's brand from the ``BRAND_*`` settings (validated when they loaded)."""
    return Branding(
        name=settings.brand_name,
        logo_url=settings.brand_logo_url or None,
        color=settings.brand_color,
        show_provider_name=settings.brand_show_provider,
    )


def click_client(bridge: Bridge) -> OtwaClient:
    """The Otwa client a click mints with: interactive in the shared budget (ahead of
    background work, allowed the reserve), one try, ``INLINE_DEADLINE`` to answer and
    :data:`CLICK_BUDGET_WAIT` for a budget slot; anything slower is the "slow" page."""
    return bridge.client().with_options(
        priority="interactive",
        max_retries=0,
        timeout=bridge.settings.inline_deadline,
        budget_wait=CLICK_BUDGET_WAIT,
    )


# -- the sso_link hook ------------------------------------------------------------------------


def answer_sso_link(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """The ``sso_link`` hook, answered at once (no operation, no Otwa call): check the
    service (exists, that client's, active; a server for ``target`` ``server``; nothing for
    a staff ``account`` link), sign a link and reply ``{"url", "expires_at", "expires_in",
    "target"[, "next"]}``. Refusals raise :class:`~bridge.errors.BridgeError`
    (docs/sso.md, "The sso_link hook") and change nothing."""
    settings = bridge.settings
    signer = _configured_signer(settings)
    target, next_path = _target_of(command)
    client_id = command.client_id
    if not client_id:  # both schemas require it; a Command built by hand might not have it
        raise BridgeError("sso_link needs the client's id.", code="bad_request")
    if target is not Target.ACCOUNT:
        _check_service(bridge, db, command, client_id, target)
    try:
        issued = signer.issue(
            panel=command.panel,
            service_id=command.service_id,
            client_id=client_id,
            target=target,
            next_path=next_path,
            now=bridge.clock.now(),
        )
    except ValueError as exc:  # an id the schema let through but a link cannot carry
        raise BridgeError(f"sso_link: {exc} No link was issued.", code="bad_request") from None
    register_secret(issued.token, transient=True)
    result: dict[str, Any] = {**links.reply(issued, settings.public_base_url)}
    register_secret(result["url"], transient=True)
    result["expires_in"] = signer.ttl
    result["target"] = target.value
    if next_path is not None:
        result["next"] = next_path
    log.info(
        "sso link issued",
        extra={
            "panel": command.panel,
            "service_id": command.service_id,
            "link_id": issued.claims.jti,  # not a credential: the signature is
            "target": target.value,
            "expires_at": result["expires_at"],
            "request_id": command.request_id,
        },
    )
    return Outcome(200, {"ok": True, "operation": None, "result": result})


def _check_service(
    bridge: Bridge, db: sqlite_utils.Database, command: Command, client_id: str, target: Target
) -> None:
    """Refuse unless the service may be opened for ``client_id`` now (see
    :func:`bridge.sso.links.issue_refusal`); record the owner of an ownerless one."""
    record = logins.lookup(db, command.panel, command.service_id)
    adopt = record is not None and record.client_id is None
    if adopt:
        # A service recorded before owners were (m004): the panel's signed hook names its
        # client, as a create hook would have. Checked as if it were theirs, recorded only
        # when the checks pass, never replacing an owner (docs/sso.md).
        assert record is not None
        record = dataclasses.replace(record, client_id=client_id)
    _refuse_unless_open(record, command, client_id, target)
    if adopt and not logins.adopt_owner(
        db, command.panel, command.service_id, client_id, now=bridge.clock.now()
    ):
        # Another hook recorded an owner first: check against what was recorded.
        record = logins.lookup(db, command.panel, command.service_id)
        _refuse_unless_open(record, command, client_id, target)


def _configured_signer(settings: Settings) -> LinkSigner:
    """The signer, or 503 ``sso_not_configured`` naming every setting still missing."""
    signer = signer_for(settings)
    missing = [
        env_var(name)
        for name, unset in (
            ("sso_secrets", signer is None),
            ("public_base_url", not settings.public_base_url),
        )
        if unset
    ]
    if signer is None or missing:
        raise BridgeError(
            f"SSO links are not set up on this bridge: set {' and '.join(missing)} "
            "(docs/sso.md). No link was issued.",
            code="sso_not_configured",
            status=503,
        )
    return signer


def _target_of(command: Command) -> tuple[Target, str | None]:
    """``params.target`` (default ``server``) and ``params.next``, or a 400."""
    raw_target = command.params.get("target", Target.SERVER.value)
    try:
        target = Target(raw_target)
    except ValueError:
        raise BridgeError(
            f"sso_link: params.target must be 'server', 'dashboard' or 'account', not "
            f"{raw_target!r}. "
            "No link was issued.",
            code="bad_request",
        ) from None
    next_path = command.params.get("next")
    if next_path is not None:
        problem = deep_link_problem(next_path)
        if problem:
            raise BridgeError(f"sso_link: {problem} No link was issued.", code="bad_request")
    return target, next_path


def _refuse_unless_open(
    record: ServiceRecord | None, command: Command, client_id: str, target: Target
) -> None:
    refusal = links.issue_refusal(
        record, service_id=command.service_id, client_id=client_id, target=target
    )
    if refusal is not None:
        raise BridgeError(refusal.message, code=refusal.code, status=refusal.status)


# -- the click --------------------------------------------------------------------------------


def client_areas(bridge: Bridge) -> tuple[dict[str, str], str | None]:
    """Each panel's ``client_area_url``, and the fallback for a link that names no panel
    (an invalid one): the client area when every panel that has one agrees, else None."""
    areas = {
        name: panel.config.client_area_url
        for name, panel in bridge.panels.items()
        if panel.config.client_area_url
    }
    distinct = set(areas.values())
    return areas, (distinct.pop() if len(distinct) == 1 else None)


def blueprint(bridge: Bridge) -> Blueprint:
    """``GET /sso/<token>`` with this Bridge's collaborators (see the module docstring)."""
    settings = bridge.settings
    areas, fallback = client_areas(bridge)
    return create_blueprint(
        signer=signer_for(settings) or _NoLinks(),
        db=get_db,
        lookup=lambda panel, service_id: logins.lookup(get_db(), panel, service_id),
        mint=mint_with(click_client(bridge)),
        policy=RedirectPolicy.for_otwa(settings.otwa_base_url),
        branding=branding_for(settings),
        client_areas=areas,
        fallback_client_area=fallback,
        clock=bridge.clock.now,
    )
