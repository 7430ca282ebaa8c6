"""The worker's ledger duty, once per ``LEDGER_SAMPLE_INTERVAL`` across every worker (the
``schedules`` table): watch the Otwa wallet and book what Otwa charged on its own.

One round (:func:`run_round`):

1. **Sample the wallet**: ``GET /account`` (background priority, inside the shared budget)
   becomes a ``ledger_wallet_samples`` row; the first one opens the wallet
   (``book_opening_from_sample``). Reconciliation and the drift gauge compare samples with
   the journal.
2. **Renewals**: every server the journal says is due (its paid period has ended) is
   looked up (``GET /servers/:id``). Otwa's ``renewsAt`` against its ``createdAt`` says how
   many 30-day periods it was paid for; each one the journal lacks is booked
   (``renewal:<server>:<period start>``), at the prices in force now (``GET /products``,
   fresh: the reseller's tier), plan plus the add-ons attached. Suspended and not paid:
   nothing is booked and the server's panel is told, once. Terminated, failed or gone at
   Otwa: it renews no more (``mark_server_ended``).
3. **Runway**: when the wallet will fail a renewal within ``LEDGER_RUNWAY_ALERT_DAYS``,
   every panel's admins are told, once per date it runs out (``runway:<date>``).
4. **Deliver** the notices not yet delivered, through each panel's ``notify_admins``.

Periods are counted, not dated, so the journal's dates follow the Bridge's clock even if
Otwa's runs elsewhere (the sandbox's can be moved on its own). A round that fails half way
(Otwa unreachable) leaves what it booked and is simply done again next interval: every
booking is idempotent by event id.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlite_utils

from bridge import store
from bridge.ledger import LedgerError, book_renewal, mark_server_ended, record_sample
from bridge.ledger import alerts as ledger_alerts
from bridge.ledger.costs import RENEWAL_PERIOD, attribution_of, charged_periods
from bridge.ledger.money import format_minor
from bridge.ledger.periods import day_of, iso
from bridge.ledger.runway import Runway, active_servers, runway_from_journal
from bridge.ledger.wallet import book_opening_from_sample
from bridge.otwa import OtwaClient, errors
from bridge.panels import Notice, PanelRefused, PanelUnavailable
from bridge.provisioning import jobs
from bridge.runtime import Bridge

log = logging.getLogger("bridge.provisioning.upkeep")
SLOT = "ledger"
ALERT = "ledger.alert"
ENDED = ("terminated", "failed")


@dataclass
class Round:
    """What one round saw and did (for logs, tests and ``otwa-bridge ledger``)."""

    balance: str | None = None
    sampled_at: float | None = None
    renewals: list[str] = field(default_factory=list)  # event ids booked
    suspended: list[str] = field(default_factory=list)  # servers with an unpaid renewal
    ended: list[str] = field(default_factory=list)
    runway: Runway | None = None
    alerts_raised: list[str] = field(default_factory=list)
    alerts_sent: int = 0
    errors: list[str] = field(default_factory=list)


def ledger_if_due(bridge: Bridge, db: sqlite_utils.Database) -> Round | None:
    """One round if this worker's turn has come; None otherwise."""
    if not bridge.settings.ledger_enabled:
        return None
    now = bridge.clock.now()
    row = db.execute("SELECT next_at FROM schedules WHERE name = ?", [SLOT]).fetchone()
    if row is not None and row[0] > now:
        return None  # the common case, answered without taking the write lock
    if jobs.run_due(db, now=now):
        return None  # orders are waiting for Otwa's slots: they go first
    # No fsync: a lost schedule row only means an early round, which books nothing twice.
    with store.write(db, durable=False):
        if not jobs.claim_slot(db, SLOT, now, bridge.settings.ledger_sample_interval):
            return None
    return run_round(bridge, db)


def run_round(bridge: Bridge, db: sqlite_utils.Database) -> Round:
    """Sample, renewals, runway, notices (see the module docstring)."""
    out = Round()
    client = bridge.client().with_options(priority="background", max_retries=0)
    try:
        _sample(bridge, db, client, out)
        _renewals(bridge, db, client, out)
    except errors.OtwaError as exc:
        out.errors.append(str(exc))
        log.info("ledger round stopped: Otwa did not answer (next interval retries): %s", exc)
    _runway(bridge, db, out)
    _deliver(bridge, db, out)
    log.info(
        "ledger round",
        extra={
            "balance": out.balance,
            "renewals": len(out.renewals),
            "suspended": len(out.suspended),
            "ended": len(out.ended),
            "alerts": len(out.alerts_raised),
        },
    )
    return out


def _sample(bridge: Bridge, db: sqlite_utils.Database, client: OtwaClient, out: Round) -> None:
    account = client.account()
    if account.balance is None:
        out.errors.append("GET /account carried no balance")
        return
    currency = bridge.settings.ledger_currency
    sample = record_sample(
        db, balance=f"{account.balance:f}", currency=currency, sampled_at=bridge.clock.now()
    )
    book_opening_from_sample(db, sample)
    out.balance = format_minor(sample.balance, currency)
    out.sampled_at = sample.sampled_at


def _renewals(bridge: Bridge, db: sqlite_utils.Database, client: OtwaClient, out: Round) -> None:
    now = bridge.clock.now()
    currency = bridge.settings.ledger_currency
    due = [s for s in active_servers(db, now=now) if s.next_renewal <= now]
    fresh = False
    for item in due:
        try:
            server = client.get_server(item.server_id)
        except errors.NotFoundError:
            _ended(db, item.server_id, now, "gone at Otwa", out)
            continue
        if server.status in ENDED:
            _ended(db, item.server_id, now, f"{server.status} at Otwa", out)
            continue
        missing = _paid_periods(server) - charged_periods(db, item.server_id)
        if missing <= 0:
            if server.status == "suspended":
                _unpaid(bridge, db, item.server_id, item.next_renewal, now, out)
            continue  # Otwa has not renewed it yet (its clock may lag): next round
        if not fresh:
            bridge.plans.forget()  # the prices in force now: a tier change shows at once
            fresh = True
        prices = _prices(bridge, client, server)
        if prices is None:
            out.errors.append(f"no price for server {item.server_id}")
            continue
        plan_price, addons = prices
        # Paid on the anniversary; or, when it was unpaid, by a top-up since: before this
        # round's sample saw the wallet, so it is booked at that sample's moment and
        # reconciles in the same step.
        late = ledger_alerts.known(db, _unpaid_key(item.server_id, item.next_renewal))
        late_at = out.sampled_at if out.sampled_at is not None else now
        for k in range(missing):
            start = item.next_renewal + k * RENEWAL_PERIOD
            try:
                booked = book_renewal(
                    db,
                    server_id=item.server_id,
                    period_start=start,
                    plan_price=plan_price,
                    addons=addons,
                    currency=currency,
                    charged_at=late_at if late or start > now else start,
                )
            except LedgerError as exc:
                out.errors.append(f"renewal of {item.server_id}: {exc}")
                log.exception("renewal not booked", extra={"server_id": item.server_id})
                break
            if booked.status == "booked":
                out.renewals.append(booked.event_id)


def _paid_periods(server: Any) -> int:
    """How many 30-day periods Otwa's ``renewsAt`` says were paid since ``createdAt``."""
    if server.renews_at is None or server.created_at is None:
        return 0
    span = (server.renews_at - server.created_at).total_seconds()
    return max(0, int(round(span / RENEWAL_PERIOD)))


def _prices(bridge: Bridge, client: OtwaClient, server: Any) -> tuple[str, dict[str, str]] | None:
    """The plan's and the attached add-ons' monthly prices for this account, now."""
    product = bridge.plans.find(str(server.product_id or ""), client)
    if product is None or product.monthly_price is None:
        return None
    offers = {a.id: a for a in product.addons or []}
    addons: dict[str, str] = {}
    for attached in server.addons or []:
        offer = offers.get(attached.id)
        price = offer.monthly_price if offer is not None else attached.monthly_price
        if price is None or not (attached.type or (offer and offer.type)):
            return None
        kind = str(attached.type or (offer.type if offer else ""))
        addons[kind] = f"{Decimal(price):f}"
    return f"{product.monthly_price:f}", addons


def _ended(db: sqlite_utils.Database, server_id: str, now: float, why: str, out: Round) -> None:
    if mark_server_ended(db, server_id=server_id, ended_at=now, reason=why):
        out.ended.append(server_id)


def _unpaid_key(server_id: str, period_start: float) -> str:
    return f"unpaid:{server_id}:{int(period_start)}"


def _unpaid(
    bridge: Bridge,
    db: sqlite_utils.Database,
    server_id: str,
    period_start: float,
    now: float,
    out: Round,
) -> None:
    """Otwa suspended the server for a renewal it could not charge: book nothing, tell the
    panel that sold it (every panel when the ledger cannot tell which)."""
    out.suspended.append(server_id)
    who = attribution_of(db, server_id)
    panels = [who.panel] if who.panel and bridge.panel(who.panel) else sorted(bridge.panels)
    service = f"service {who.service_id} of panel {who.panel}" if who.service_id else "a server"
    raised = ledger_alerts.raise_alert(
        db,
        key=_unpaid_key(server_id, period_start),
        panels=panels,
        subject=f"otwa-bridge: Otwa suspended server {server_id} (renewal not paid)",
        message=(
            f"Otwa could not charge the renewal of server {server_id} ({service}) due on"
            f" {iso(period_start)}: the Otwa wallet was short, so Otwa suspended the server."
            " Nothing was booked for that renewal. Top up the Otwa wallet to reactivate it;"
            " Otwa terminates it when its grace period ends. See `otwa-bridge ledger runway`."
        ),
        raised_at=now,
    )
    if raised:
        out.alerts_raised.append(_unpaid_key(server_id, period_start))


def _runway(bridge: Bridge, db: sqlite_utils.Database, out: Round) -> None:
    settings = bridge.settings
    now = bridge.clock.now()
    try:
        way = runway_from_journal(db, settings.ledger_currency, now=now)
    except LedgerError as exc:
        out.errors.append(f"runway: {exc}")
        return
    out.runway = way
    days = settings.ledger_runway_alert_days
    if days <= 0 or not way.alert(days) or way.runs_out_at is None or not bridge.panels:
        return
    # The runway takes an overdue renewal as due now, so its date moves on each day it
    # stays unpaid; the alert is keyed by the renewal's own date, and an overdue one whose
    # suspension the panel was told about is not announced again.
    failing = next(s for s in way.servers if s.server_id == way.unpaid_server)
    shift = max(0.0, float(int(now)) - round(failing.next_renewal))
    if shift and ledger_alerts.known(db, _unpaid_key(failing.server_id, failing.next_renewal)):
        return
    runs_out_on = day_of(way.runs_out_at - shift)
    c = way.currency
    key = f"runway:{runs_out_on.isoformat()}"
    topup = format_minor(way.topup_for(settings.ledger_topup_days), c)
    raised = ledger_alerts.raise_alert(
        db,
        key=key,
        panels=sorted(bridge.panels),
        subject=f"otwa-bridge: the Otwa wallet runs out on {runs_out_on.isoformat()}",
        message=(
            f"The Otwa wallet ({format_minor(way.balance, c)} {c}) cannot pay the renewal of"
            f" server {way.unpaid_server} due {iso(way.runs_out_at - shift)}, in"
            f" {way.days_left} day(s). Otwa suspends servers whose renewal it cannot charge."
            f" A top-up of {topup} {c} covers every renewal of the next"
            f" {settings.ledger_topup_days} days. See `otwa-bridge ledger runway`."
        ),
        raised_at=now,
    )
    if raised:
        out.alerts_raised.append(key)


def _notice_id(key: str) -> str:
    return "ledger_" + re.sub(r"[^A-Za-z0-9_-]", "_", key)


def _deliver(bridge: Bridge, db: sqlite_utils.Database, out: Round) -> None:
    settings = bridge.settings
    for alert in ledger_alerts.pending(db, max_attempts=settings.job_max_attempts):
        panel = bridge.panel(alert.panel)
        notice = Notice(
            operation_id=_notice_id(alert.key),
            action=alert.key.split(":", 1)[0],
            service_id="",
            code=f"ledger_{alert.key.split(':', 1)[0]}",
            subject=alert.subject,
            message=alert.message,
            occurred_at=alert.raised_at,
            event=ALERT,
        )
        try:
            told = panel is not None and panel.notify_admins(
                notice, timeout=settings.writeback_timeout
            )
        except (PanelUnavailable, PanelRefused) as exc:
            ledger_alerts.failed(db, alert, str(exc))
            log.warning("ledger notice not delivered", extra={"key": alert.key, "error": str(exc)})
            continue
        ledger_alerts.delivered(db, alert, at=bridge.clock.now())
        if told:
            out.alerts_sent += 1
        else:
            log.warning(
                "ledger notice: panel admins not notified (not configured)",
                extra={"key": alert.key, "panel": alert.panel},
            )
