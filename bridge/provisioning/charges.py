"""What Otwa charged for the bridge's own calls, booked into the ledger as it happens: a
server's first month when ``POST /servers`` answers, an add-on's prorated price when
``POST /servers/:id/addons`` answers, and the end of a server's renewals at terminate.

Each booking is its own durable commit (``bridge.ledger``: ``BEGIN IMMEDIATE`` ... ``COMMIT``
at ``synchronous=FULL``), made by the action right after Otwa answered and before the
runner commits the action's result. The runner commits a create's result without an
fsync, and the ledger refuses to join a non-durable transaction, so the booking must come
first. A crash in between redoes the action: Otwa replays the create (same
Idempotency-Key) and the booking answers ``already_booked`` (event ``server:<id>``); an
add-on found already active on the redo is booked at its prorated price if the ledger has
no charge for it yet.

Prices are Otwa's, at that moment: the plan's and each add-on's wholesale monthly price
from ``GET /products`` (the reseller's tier in force), the ``charged`` amount of an add-on
purchase. Bad data from Otwa (a price missing) is logged and left to reconciliation, never
a reason to fail the customer's order. The clock is the Bridge's (``ctx.now()``).
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from bridge.ledger import (
    LedgerError,
    book_addon_attached,
    book_server_created,
    mark_server_ended,
)
from bridge.provisioning.context import Context

log = logging.getLogger("bridge.provisioning.charges")


def _on(ctx: Context) -> bool:
    return bool(ctx.bridge.settings.ledger_enabled)


def _price(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _who(ctx: Context) -> dict[str, Any]:
    """The panel, service, client and product the charge belongs to."""
    op, service = ctx.op, ctx.service or {}
    return {
        "panel": op["panel"],
        "service_id": op["service_id"],
        "client_id": service.get("client_id") or op.get("client_id"),
        "product": service.get("product_id") or op.get("product_id"),
    }


def server_created(ctx: Context, server_id: str, product: Any, addon_offers: list[Any]) -> None:
    """Book the first month of ``server_id``: the plan's monthly price plus the full
    monthly price of each add-on ordered with it (``addon_offers``: the plan's offers)."""
    if not _on(ctx):
        return
    plan_price = _price(product.monthly_price)
    addons = {str(o.type): _price(o.monthly_price) for o in addon_offers}
    if plan_price is None or any(p is None for p in addons.values()):
        log.error(
            "create not booked: Otwa's plan list has no price",
            extra={"server_id": server_id, "plan": product.name},
        )
        return
    try:
        booked = book_server_created(
            ctx.db,
            server_id=server_id,
            plan_price=plan_price,
            addons={t: p for t, p in addons.items() if p is not None},
            currency=ctx.bridge.settings.ledger_currency,
            charged_at=ctx.now(),
            plan=str(product.name),
            **_who(ctx),
        )
    except LedgerError:
        log.exception("create not booked", extra={"server_id": server_id})
        return
    log.info("create booked", extra={"server_id": server_id, "status": booked.status})


def addon_attached(
    ctx: Context, server_id: str, offer: Any, charged: Decimal | None, *, recovered: bool = False
) -> None:
    """Book an add-on bought by this operation: ``charged`` (Otwa's answer) now, its
    monthly price from then on. ``recovered``: the purchase of an earlier attempt whose
    booking was lost (the redo found the add-on active): booked at today's prorated price,
    the best estimate left, once per operation like any other."""
    if not _on(ctx) or charged is None or offer.monthly_price is None:
        if _on(ctx):
            log.error("add-on not booked: no price", extra={"server_id": server_id})
        return
    try:
        booked = book_addon_attached(
            ctx.db,
            server_id=server_id,
            addon_type=str(offer.type),
            charged=f"{charged:f}",
            monthly_price=f"{offer.monthly_price:f}",
            currency=ctx.bridge.settings.ledger_currency,
            charged_at=ctx.now(),
            operation_id=str(ctx.op["id"]),
        )
    except LedgerError:
        log.exception("add-on not booked", extra={"server_id": server_id})
        return
    log.info(
        "add-on booked",
        extra={"server_id": server_id, "status": booked.status, "recovered": recovered},
    )


def addon_unbooked(ctx: Context, server_id: str, addon_type: str) -> bool:
    """True when ``addon_type`` is active on ``server_id`` at Otwa but no charge of the
    ledger carries it (neither ordered with the server, renewed, nor bought): an earlier
    attempt of this operation bought it and crashed before booking (only asked on a
    retry: on the first attempt an active add-on was there before)."""
    if not _on(ctx) or int(ctx.job.get("attempts") or 0) <= 1:
        return False  # the first attempt: the add-on was there before this operation
    rows = ctx.db.execute(
        "SELECT kind, metadata FROM ledger_transactions WHERE server_id = ?"
        " AND kind IN ('server', 'renewal', 'addon')"
        " AND NOT EXISTS (SELECT 1 FROM ledger_transactions r"
        "                 WHERE r.reverses = ledger_transactions.id)",
        [server_id],
    ).fetchall()
    if not rows:
        return False  # a server the ledger never saw (adopted): nothing to compare with
    for kind, metadata in rows:
        meta = json.loads(metadata)
        if kind == "addon" and meta.get("addon_type") == addon_type:
            return False
        if kind != "addon" and addon_type in (meta.get("monthly") or {}).get("addons", {}):
            return False
    return True


def server_ended(ctx: Context, server_id: str, reason: str = "terminated") -> None:
    """``server_id`` renews no more: the runway stops counting it."""
    if _on(ctx):
        mark_server_ended(ctx.db, server_id=server_id, ended_at=ctx.now(), reason=reason)
