"""Revenue hooks: ``invoice_paid`` and ``invoice_refunded`` become ledger transactions.

Booking money needs no Otwa call, so these actions are answered at once (``bridge.web.
answers``): no operation, no job. Each function runs inside the hook's one durable write
transaction (``inbox.book_answer``): the ledger's transactions and the
remembered hook row commit together, or nothing does. So a replay of the same
``webhook-id`` gets the first reply and books nothing; a re-send under a new
``webhook-id`` meets the ledger's event ids (``sale:<panel>:<invoice>:<line>``,
``refund:<panel>:<refund>:<line>``) and is answered ``already_booked``; the same event
with other amounts is refused (409 ``event_conflict``) and changes nothing.

The hook bodies (``params.invoice``, docs/hooks.md) are the same for every panel; the
adapters only resolve the action's name. A line's service and product default to the
envelope's; a product or client the hook leaves out is taken from the service the bridge
provisioned (``services``), so a panel may send the invoice before the server exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlite_utils

from bridge.commands import Command, Outcome
from bridge.errors import BridgeError
from bridge.ledger import InvoiceLine, RefundLine, book_invoice_paid, book_refund
from bridge.ledger.journal import Booking
from bridge.ledger.periods import parse_moment
from bridge.provisioning import operations as ops
from bridge.runtime import Bridge

# Moments WHMCS sends for "never paid": the hook's arrival stands in for them.
_NO_MOMENT = ("", "0000-00-00 00:00:00", "0000-00-00")


def _text(value: Any) -> str:
    return str(value)


def _disabled(bridge: Bridge, action: str) -> None:
    if not bridge.settings.ledger_enabled:
        raise BridgeError(
            f"{action} cannot be booked: the ledger is switched off (BRIDGE_LEDGER_ENABLED="
            "false). Nothing was recorded; switch it on and let the panel send the hook again.",
            code="ledger_disabled",
            status=503,
        )


def _moment(bridge: Bridge, value: Any, field: str) -> float:
    if value is None or (isinstance(value, str) and value.strip() in _NO_MOMENT):
        return bridge.clock.now()
    return parse_moment(str(value), field=field)


def _service(db: sqlite_utils.Database, panel: str, service_id: str) -> Mapping[str, Any]:
    return ops.get_service(db, panel, service_id) or {}


def _product(
    db: sqlite_utils.Database, command: Command, service_id: str, given: Any, where: str
) -> str:
    """The line's product: given on the line, else the hook's, else the service's."""
    if given is not None:
        return _text(given)
    if service_id == command.service_id and command.product_id:
        return command.product_id
    known = _service(db, command.panel, service_id).get("product_id")
    if known:
        return str(known)
    raise BridgeError(
        f"{where}: no product for service {service_id}; send product_id on the line (or "
        "service.product_id / pid). Nothing was booked.",
        code="bad_request",
        status=422,
    )


def _client(db: sqlite_utils.Database, command: Command) -> str:
    if command.client_id:
        return command.client_id
    known = _service(db, command.panel, command.service_id).get("client_id")
    if known:
        return str(known)
    raise BridgeError(
        "invoice_paid needs the client (client.id / userid). Nothing was booked.",
        code="bad_request",
        status=422,
    )


def _reply(invoice: Mapping[str, Any], bookings: list[Booking], extra: dict[str, Any]) -> Outcome:
    lines = [{"event_id": b.event_id, "status": b.status} for b in bookings]
    counts = {s: sum(1 for b in bookings if b.status == s) for s in ("booked", "already_booked")}
    return Outcome(
        200,
        {
            "ok": True,
            "operation": None,
            "result": {
                "invoice_id": _text(invoice["id"]),
                "currency": invoice["currency"],
                **extra,
                "lines": lines,
                **counts,
            },
        },
    )


def invoice_paid(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """Book the revenue of ``params.invoice`` (one line, or ``lines``): one transaction per
    line, all or none. Call inside the hook's durable write transaction."""
    _disabled(bridge, "invoice_paid")
    invoice = command.params["invoice"]
    raw_lines = invoice.get("lines")
    if raw_lines is None:
        raw_lines = [
            {
                "id": invoice.get("line_id", command.service_id),
                "amount": invoice["amount"],
                "description": invoice.get("description"),
                "period_start": invoice.get("period_start"),
                "period_end": invoice.get("period_end"),
            }
        ]
    lines = []
    for i, raw in enumerate(raw_lines):
        service_id = _text(raw.get("service_id", command.service_id))
        lines.append(
            InvoiceLine(
                line_id=_text(raw["id"]),
                service_id=service_id,
                product=_product(db, command, service_id, raw.get("product_id"), f"line {i}"),
                amount=str(raw["amount"]),
                period_start=raw.get("period_start"),
                period_end=raw.get("period_end"),
                description=raw.get("description") or None,
            )
        )
    bookings = book_invoice_paid(
        db,
        panel=command.panel,
        invoice_id=_text(invoice["id"]),
        client_id=_client(db, command),
        currency=str(invoice["currency"]),
        paid_at=_moment(bridge, invoice.get("paid_at"), "params.invoice.paid_at"),
        lines=lines,
        webhook_id=command.webhook_id,
    )
    return _reply(invoice, bookings, {})


def invoice_refunded(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """Book a refund or credit note against an invoice the ledger booked as paid:
    ``lines`` (each line's amount, or all that is left), ``line_id`` (+ ``amount``), or
    ``amount`` alone (spread over the lines). Refund id: ``refund_id``, default the
    invoice id. Call inside the hook's durable write transaction."""
    _disabled(bridge, "invoice_refunded")
    invoice = command.params["invoice"]
    refund_id = _text(invoice.get("refund_id", invoice["id"]))
    lines: list[RefundLine] | None = None
    amount: str | None = None
    if invoice.get("lines") is not None:
        lines = [
            RefundLine(_text(r["id"]), str(r["amount"]) if "amount" in r else None)
            for r in invoice["lines"]
        ]
    elif invoice.get("line_id") is not None:
        given = invoice.get("amount")
        lines = [RefundLine(_text(invoice["line_id"]), str(given) if given is not None else None)]
    else:
        amount = str(invoice["amount"])
    bookings = book_refund(
        db,
        panel=command.panel,
        refund_id=refund_id,
        invoice_id=_text(invoice["id"]),
        currency=str(invoice["currency"]),
        refunded_at=_moment(bridge, invoice.get("refunded_at"), "params.invoice.refunded_at"),
        lines=lines,
        amount=amount,
        reason=invoice.get("reason") or None,
        webhook_id=command.webhook_id,
    )
    return _reply(invoice, bookings, {"refund_id": refund_id})
