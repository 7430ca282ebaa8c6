"""One function per action: the Otwa calls an operation makes, and what to record after.

Each function gets a :class:`Context` (no transaction open: it may call HTTP) and returns
a :class:`Done` describing the next operation state, or raises :class:`Transient` /
:class:`Refusal` (or lets an ``OtwaError`` through for the runner to classify). Writes
that must precede a call (the replay-window start) go through ``ctx`` in their own short
transaction. Nothing here stores a password or an SSO link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bridge import store
from bridge.logs import register_secret
from bridge.otwa import errors
from bridge.provisioning import charges, crashpoints, keys, logins
from bridge.provisioning import operations as ops
from bridge.provisioning.context import Context
from bridge.provisioning.failures import Refusal, Transient

log = logging.getLogger("bridge.provisioning")


@dataclass
class Done:
    """What an action achieved. ``result`` is stored; ``reply`` (if set) is returned to the
    hook instead and never stored (SSO links). ``build``: a build started (poll later)."""

    state: str | None  # None: leave the operation as it is (notifications)
    result: dict[str, Any] = field(default_factory=dict)
    reply: dict[str, Any] | None = None
    server_id: str | None = None
    service: dict[str, Any] = field(default_factory=dict)
    followups: list[tuple[str, float, dict[str, Any]]] = field(default_factory=list)
    build: bool = False
    crash_before_commit: str | None = None
    reason: str | None = None


# -- helpers -----------------------------------------------------------------------------


def _require_server(ctx: Context) -> str:
    server_id = ctx.server_id
    if server_id:
        return server_id
    if ops.create_pending(ctx.db, ctx.op["panel"], ctx.op["service_id"]):
        raise Transient("the service's server is still being ordered", 1.0)
    raise Refusal(
        "no_server",
        f"Service {ctx.op['service_id']} has no Otwa server (never created, or terminated).",
        404,
    )


def _status(ctx: Context, server_id: str) -> str | None:
    return ctx.client().get_server(server_id).status


def _plan(ctx: Context, plan: str) -> Any:
    product = ctx.bridge.plans.find(plan, ctx.client())
    if product is not None:
        return product
    raise Refusal(
        "unknown_plan",
        f"Otwa has no plan {plan!r}; fix the products map (otwa-bridge check-config).",
        422,
        nothing_created=True,
    )


def _money(value: Any) -> str:
    return f"{Decimal(str(value)):.2f}" if value is not None else "?"


def _wallet_refusal(ctx: Context, what: str, needs: Decimal | None) -> Refusal:
    has = None
    try:
        has = ctx.client().account().balance
    except errors.OtwaError:
        log.info("could not read the Otwa balance for the 402 message")
    return Refusal(
        "otwa_wallet",
        f"Otwa wallet balance too low to {what} (needs {_money(needs)}, has {_money(has)}). "
        "Top up the Otwa wallet, then retry.",
        402,
        nothing_created=True,
    )


def mark_sent(ctx: Context, *, restart: bool = False) -> None:
    """Commit the replay-window start before the first keyed request leaves."""
    if ctx.op.get("first_sent_at") and not restart:
        return
    with store.write(ctx.db):
        ops.mark_sent(ctx.db, ctx.op, now=ctx.now())


def find_by_label(ctx: Context, label: str) -> Any | None:
    """The live (not terminated) server carrying ``label`` (or a rename of it), or None.

    Raises :class:`Refusal` ``adoption_ambiguous`` when more than one does.
    """
    matches = [
        s
        for s in ctx.client().list_servers()
        if keys.label_matches(s.label, label) and s.status != "terminated"
    ]
    if len(matches) > 1:
        # Adopting either could hand a customer someone else's server: park it for a human.
        ids = ", ".join(s.id for s in matches)
        raise Refusal(
            "adoption_ambiguous",
            f"{len(matches)} Otwa servers carry the label {label} ({ids}). Keep the one that "
            "belongs to this service, terminate or rename the others, then run "
            "`otwa-bridge ops retry` on this operation.",
            409,
        )
    return matches[0] if matches else None


def _server_summary(server: Any) -> dict[str, Any]:
    return {
        "server_id": server.id,
        "status": server.status,
        "label": server.label,
        "ip": server.ip_address,
        "additional_ips": [ip.ip for ip in server.additional_ips or []],
    }


# -- actions -----------------------------------------------------------------------------


def create(ctx: Context) -> Done:
    """Order the server with the operation's key; adopt by label past the replay window."""
    op = ctx.op
    placement = op["params"]["placement"]
    if op.get("server_id"):  # ordered before a crash; the build poll takes it from here
        return Done(ops.BUILDING, server_id=op["server_id"], build=True, reason="already ordered")
    window = ctx.bridge.settings.otwa_replay_window
    if op.get("first_sent_at") and ctx.now() - op["first_sent_at"] > window:
        found = find_by_label(ctx, placement["label"])
        if found is not None:
            # Charged by the earlier attempt that ordered it; its booking may be lost.
            product = _plan(ctx, placement["plan"])
            charges.server_created(ctx, found.id, product, _offers(product, placement))
            return Done(
                ops.BUILDING,
                result={**_server_summary(found), "adopted": True},
                server_id=found.id,
                service={"server_id": found.id},
                build=True,
                reason="adopted by label after the replay window",
            )
        mark_sent(ctx, restart=True)  # Otwa forgot the key and holds no such server
    product = _plan(ctx, placement["plan"])
    offers = _offers(product, placement)
    addon_ids = [offer.id for offer in offers]
    addon_prices = [offer.monthly_price or Decimal(0) for offer in offers]
    mark_sent(ctx)
    crashpoints.hit("create.before_call")
    try:
        server = ctx.client().create_server(
            product_id=product.id,
            os=placement["os"],
            os_template=placement["os_template"],
            idempotency_key=op["idempotency_key"],
            region=placement.get("region"),
            label=placement["label"],
            hostname=placement.get("hostname"),
            addons=addon_ids or None,
        )
    except errors.PaymentRequiredError:
        needs = (product.monthly_price or Decimal(0)) + sum(addon_prices, Decimal(0))
        raise _wallet_refusal(ctx, f"deploy plan {product.name}", needs) from None
    crashpoints.hit("create.after_response")
    # Durable, before the runner's non-durable commit of the result (bridge.provisioning.
    # charges); a redo after a crash is answered already_booked.
    charges.server_created(ctx, server.id, product, offers)
    return Done(
        ops.BUILDING,
        result={**_server_summary(server), "replayed": bool(server.replayed)},
        server_id=server.id,
        service={"server_id": server.id},
        build=True,
        crash_before_commit="create.before_local_commit",
        reason="replayed by Otwa" if server.replayed else "ordered",
    )


def _offers(product: Any, placement: dict[str, Any]) -> list[Any]:
    """The plan's add-on offers for the placement's add-on types, in order."""
    offers = []
    for kind in placement.get("addon_types") or []:
        offer = next((a for a in product.addons or [] if a.type == kind), None)
        if offer is None:
            raise Refusal(
                "addon_not_offered",
                f"Otwa plan {product.name} offers no {kind} add-on; fix the products map.",
                422,
                nothing_created=True,
            )
        offers.append(offer)
    return offers


def _power_to(ctx: Context, server_id: str, action: str, settled: tuple[str, ...]) -> str:
    """Power ``action``; a 409 is success when the server is already in a ``settled`` state,
    transient while it is still being built. Returns what happened."""
    try:
        ctx.client().power(server_id, action)  # type: ignore[arg-type]
        return action
    except errors.ConflictError as exc:
        if isinstance(exc, errors.IdempotencyConflict):
            raise
        status = _status(ctx, server_id)
        if status in settled:
            return f"already {status}"
        if status in ("pending", "building"):
            raise Transient(f"the server is still {status}", 2.0) from None
        raise Refusal(
            "otwa_conflict", f"Otwa cannot {action} the server while it is {status}.", 409
        ) from None


def suspend(ctx: Context) -> Done:
    """Stop the server (a server already gone counts as suspended, logged)."""
    server_id = _require_server(ctx)
    try:
        what = _power_to(ctx, server_id, "stop", ("stopped", "suspended", "terminated"))
    except errors.NotFoundError:
        log.warning("suspend: server already gone at Otwa", extra={"server_id": server_id})
        what = "already gone"
    return Done(ops.DONE, result={"server_id": server_id, "power": what, "suspended": True})


def unsuspend(ctx: Context) -> Done:
    """Start the server again."""
    server_id = _require_server(ctx)
    what = _power_to(ctx, server_id, "start", ("running",))
    return Done(
        ops.DONE,
        result={"server_id": server_id, "power": what, "suspended": False},
        service={"state": "active"},
    )


def _destroy(ctx: Context, server_id: str) -> dict[str, Any]:
    try:
        ctx.client(destroy=True).delete_server(server_id)
        gone = False
    except errors.NotFoundError:
        log.warning("terminate: server already gone at Otwa", extra={"server_id": server_id})
        gone = True
    except errors.ConflictError as exc:
        if isinstance(exc, errors.IdempotencyConflict) or _status(ctx, server_id) != "terminated":
            raise
        log.warning("terminate: server already terminated", extra={"server_id": server_id})
        gone = True
    crashpoints.hit("destroy.after_call")
    charges.server_ended(ctx, server_id)
    return {"server_id": server_id, "terminated": True, "already_gone": gone}


def terminate(ctx: Context) -> Done:
    """Destroy now (destroy key), or stop now and destroy after the grace period."""
    server_id = ctx.server_id
    if not server_id:
        try:
            server_id = _require_server(ctx)  # waits for an order still in flight
        except Refusal:
            log.warning("terminate: the service never had a server; nothing to destroy")
            return Done(
                ops.DONE,
                result={"terminated": True, "already_gone": True},
                service={"state": "terminated"},
            )
    grace = float(ctx.op["params"].get("grace_seconds") or 0)
    if grace > 0:
        try:
            what = _power_to(ctx, server_id, "stop", ("stopped", "suspended"))
        except errors.NotFoundError:
            log.warning("terminate: server already gone", extra={"server_id": server_id})
            return Done(
                ops.DONE,
                result={"server_id": server_id, "terminated": True, "already_gone": True},
                service={"state": "terminated"},
            )
        destroy_at = ctx.now() + grace
        return Done(
            ops.SCHEDULED,
            result={"server_id": server_id, "power": what, "destroy_at": destroy_at},
            service={"state": "terminating"},
            followups=[("destroy", grace, {})],
            reason=f"destroy in {grace:g} s unless unsuspended",
        )
    return Done(ops.DONE, result=_destroy(ctx, server_id), service={"state": "terminated"})


def destroy_later(ctx: Context) -> Done:
    """The end of a terminate grace period: destroy (unless unsuspend cancelled it)."""
    server_id = ctx.server_id
    assert server_id
    return Done(ops.DONE, result=_destroy(ctx, server_id), service={"state": "terminated"})


def reinstall(ctx: Context) -> Done:
    """Rebuild from the chosen OS (destroy key, per-operation Idempotency-Key)."""
    server_id = _require_server(ctx)
    placement = ctx.op["params"]["placement"]
    mark_sent(ctx)
    server = ctx.client(destroy=True).reinstall(
        server_id,
        os=placement["os"],
        os_template=placement["os_template"],
        idempotency_key=ctx.op["idempotency_key"],
    )
    return Done(
        ops.BUILDING,
        result={"server_id": server_id, "status": getattr(server, "status", None)},
        server_id=server_id,
        build=True,
    )


def reset_password(ctx: Context) -> Done:
    """Rotate the password; the write-back job re-fetches and writes it (never stored).

    With ``params.reveal`` the new password is also in this hook's reply, once (a client
    area shows it on its own page); it is never stored, and a replay of the hook is a
    refusal (:func:`bridge.provisioning.inbox.kept_for_replay`)."""
    server_id = _require_server(ctx)
    new = ctx.client().reset_password(server_id)
    register_secret(new.password, transient=True)  # dropped here: write-back re-fetches it
    reply = None
    if ctx.op["params"].get("reveal") is True and ctx.inline:
        reply = {"server_id": server_id, "username": new.username, "password": new.password}
    return Done(ops.WRITEBACK, result={"server_id": server_id}, reply=reply, server_id=server_id)


def power(ctx: Context) -> Done:
    """start / stop / reboot (refused while the service is suspended)."""
    _not_suspended(ctx)
    server_id = _require_server(ctx)
    action = str(ctx.op["params"].get("action") or "")
    settled = {"start": ("running",), "stop": ("stopped",), "reboot": ()}[action]
    what = _power_to(ctx, server_id, action, settled)
    return Done(ops.DONE, result={"server_id": server_id, "power": what})


def rename(ctx: Context) -> Done:
    """Set a new label that still ends with the ordered (recognisable) label."""
    server_id = _require_server(ctx)
    label = keys.rename_label(
        str(ctx.op["params"].get("label") or ""), (ctx.service or {}).get("label") or ""
    )
    server = ctx.client().rename_server(server_id, label)
    return Done(ops.DONE, result={"server_id": server_id, "label": server.label or label})


def _buy_types(ctx: Context, server_id: str, types: list[str]) -> dict[str, Any]:
    offers = ctx.client().addons(server_id)
    bought, already = [], []
    for kind in types:
        offer = next((o for o in offers if o.type == kind), None)
        if offer is None:
            raise Refusal(
                "addon_not_offered",
                f"The server's Otwa plan offers no {kind} add-on.",
                422,
                nothing_created=True,
            )
        if offer.active:
            if charges.addon_unbooked(ctx, server_id, kind):
                # An earlier attempt of this operation bought it and lost its booking.
                charges.addon_attached(ctx, server_id, offer, offer.prorated_price, recovered=True)
            already.append(kind)
            continue
        try:
            purchase = ctx.client().buy_addon(server_id, offer.id)
        except errors.PaymentRequiredError:
            raise _wallet_refusal(
                ctx, f"add {offer.name} to the server", offer.prorated_price
            ) from None
        charges.addon_attached(ctx, server_id, offer, purchase.charged)
        bought.append(kind)
    return {"server_id": server_id, "bought": bought, "already_active": already}


def add_addon(ctx: Context) -> Done:
    """Attach one add-on by type (``params.type``); an active one of that type is success."""
    server_id = _require_server(ctx)
    kind = str(ctx.op["params"].get("type") or "")
    return Done(ops.DONE, result=_buy_types(ctx, server_id, [kind]))


def change_package(ctx: Context) -> Done:
    """Same plan: attach the add-on types the new options ask for (one call per type).
    A different plan was already refused at record time (Otwa cannot resize)."""
    server_id = _require_server(ctx)
    placement = ctx.op["params"]["placement"]
    result = _buy_types(ctx, server_id, list(placement.get("addon_types") or []))
    return Done(ops.DONE, result=result)


def _not_suspended(ctx: Context) -> None:
    service = ops.get_service(ctx.db, ctx.op["panel"], ctx.op["service_id"])
    if service and service["suspended"]:
        raise Refusal(
            "service_suspended",
            f"Service {ctx.op['service_id']} is suspended; unsuspend it first.",
            409,
        )


def sso(ctx: Context) -> Done:
    """A one-time login link to the server's Otwa page (handed out once, never stored)."""
    _not_suspended(ctx)
    server_id = _require_server(ctx)
    # The same mint as a click on the bridge's own links (logins.mint: one code path).
    link = logins.mint(ctx.client(), server_id, ctx.op["params"].get("next"))
    return Done(
        ops.DONE,
        result={"server_id": server_id, "issued": True, "expires_in": link.expires_in},
        reply={"server_id": server_id, "url": link.url, "expires_in": link.expires_in},
    )


def adopt(ctx: Context) -> Done:
    """Read the server linked at record time (bridge.provisioning.adoption) and hand over
    to the write-back; a server Otwa does not have (any more) is refused, and the refusal
    undoes the link (runner)."""
    server_id = str(ctx.op["params"]["server_id"])
    try:
        server = ctx.client().get_server(server_id)
    except errors.NotFoundError:
        server = None
    if server is None or server.status == "terminated":
        raise Refusal(
            "server_not_found",
            f"The bridge's Otwa account has no live server {server_id}; the service was not "
            "linked. Copy the id from the Otwa dashboard, or import from the unlinked servers.",
            404,
        )
    plan = _plan_of(ctx, server.product_id)
    return Done(
        ops.WRITEBACK,
        result={**_server_summary(server), "adopted": True},
        server_id=server_id,
        service={"label": server.label or "", "plan": plan, "state": "active"},
        reason="linked to an existing server",
    )


def _plan_of(ctx: Context, product_id: str | None) -> str:
    """The plan as the products map names it (so a later change_package compares like
    with like), else Otwa's plan name, else its id."""
    if not product_id:
        return ""
    try:
        found = ctx.bridge.plans.find(product_id, ctx.client())
    except errors.OtwaError:
        found = None
    table = ctx.bridge.catalog.panels.get(ctx.op["panel"])
    names = {product_id.lower()} | ({found.name.lower()} if found is not None else set())
    for product in table.products.values() if table else ():
        if product.plan.lower() in names:
            return product.plan
    return found.name if found is not None else product_id


RUN_ACTIONS: dict[str, Callable[[Context], Done]] = {
    "create": create,
    "suspend": suspend,
    "unsuspend": unsuspend,
    "terminate": terminate,
    "change_package": change_package,
    "reinstall": reinstall,
    "reset_password": reset_password,
    "power": power,
    "rename": rename,
    "add_addon": add_addon,
    "sso": sso,
    "adopt": adopt,
}
