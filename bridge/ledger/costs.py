"""Cost, as Otwa charged it: a server's first month, add-ons, monthly renewals.

Every charge debits an expense (``Expenses:Otwa:Servers``, ``Expenses:Otwa:Addons:<Type>``)
and credits ``Assets:Otwa:Wallet``. Book the price Otwa charged at that moment (the plan's
wholesale price for the reseller's tier when the create was charged; the prorated price an
add-on purchase answered with), never a price looked up later.

Each charge transaction also records, in its metadata, the full monthly price of the server
and of each add-on it carries, so the wallet runway (``bridge.ledger.runway``) knows what
the next renewal will cost without asking Otwa.

Renewals and add-ons may omit the panel, service, client and product: they are taken from
the server's earlier charges, so a renewal noticed by the worker (which only knows the
server) is still attributed to the service that sold it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import sqlite_utils

from bridge import store
from bridge.ledger import accounts, events, fields, journal
from bridge.ledger.errors import LedgerError
from bridge.ledger.journal import Attribution, Booking, Draft, Posting
from bridge.ledger.money import to_minor
from bridge.ledger.periods import iso

RENEWAL_PERIOD = 30 * 86400.0  # Otwa renews every 30 days from creation (sandbox: PERIOD)


def book_server_created(
    db: sqlite_utils.Database,
    *,
    server_id: str,
    plan_price: str | Decimal,
    currency: str,
    charged_at: float,
    addons: Mapping[str, str | Decimal] | None = None,
    renews_at: float | None = None,
    plan: str | None = None,
    panel: str | None = None,
    service_id: str | None = None,
    client_id: str | None = None,
    product: str | None = None,
) -> Booking:
    """Book the charge of a ``POST /servers``: the plan's monthly price plus the full
    monthly price of each add-on type ordered with it (``addons``: type -> price).

    Event id ``server:<server_id>`` (a server is charged at creation once, whatever the
    retries). ``renews_at`` is the end of the first period (default ``charged_at`` + 30
    days). A total of zero books nothing.
    """
    server_id = fields.text(server_id, "server_id")
    fields.moment(charged_at, "charged_at")
    end = fields.moment(renews_at, "renews_at") if renews_at is not None else None
    _check_period(charged_at, end, "renews_at")
    plan_minor = to_minor(plan_price, currency, field="plan_price")
    addon_minor = _addon_prices(addons or {}, currency)
    who = Attribution(
        panel=fields.optional_text(panel, "panel"),
        service_id=fields.optional_text(service_id, "service_id"),
        client_id=fields.optional_text(client_id, "client_id"),
        product=fields.optional_text(product, "product"),
        server_id=server_id,
    )
    draft = _charge(
        event_id=events.server(server_id),
        kind="server",
        charged_at=charged_at,
        description=f"Otwa server {server_id} created: {plan or 'plan'} first month",
        plan_minor=plan_minor,
        addon_minor=addon_minor,
        currency=currency,
        who=who,
        period=(charged_at, end or charged_at + RENEWAL_PERIOD),
        metadata={"plan": plan} if plan else {},
    )
    if draft is None:
        return Booking(events.server(server_id), "nothing_to_book", None)
    return journal.post(db, draft)


def book_addon_attached(
    db: sqlite_utils.Database,
    *,
    server_id: str,
    addon_type: str,
    charged: str | Decimal,
    monthly_price: str | Decimal,
    currency: str,
    charged_at: float,
    operation_id: str,
    panel: str | None = None,
    service_id: str | None = None,
    client_id: str | None = None,
    product: str | None = None,
) -> Booking:
    """Book a ``POST /servers/:id/addons``: ``charged`` (the prorated price Otwa answered
    with) now; ``monthly_price`` is what the add-on adds to each renewal.

    Event id ``addon:<server>:<type>:<operation_id>`` (Otwa's answer carries no charge id;
    the bridge operation that bought it does). Attribution defaults to the server's.
    """
    server_id = fields.text(server_id, "server_id")
    addon_type = fields.text(addon_type, "addon_type")
    operation_id = fields.text(operation_id, "operation_id")
    fields.moment(charged_at, "charged_at")
    charged_minor = to_minor(charged, currency, field="charged")
    monthly_minor = to_minor(monthly_price, currency, field="monthly_price")
    event_id = events.addon(server_id, addon_type, operation_id)
    if charged_minor == 0:
        return Booking(event_id, "nothing_to_book", None)
    with store.write(db):
        who = _attribution(db, server_id, panel, service_id, client_id, product)
        return journal.post(
            db,
            Draft(
                event_id=event_id,
                kind="addon",
                occurred_at=charged_at,
                description=f"Otwa add-on {addon_type} on server {server_id} (prorated)",
                postings=(
                    Posting(accounts.addon(addon_type), charged_minor, currency),
                    Posting(accounts.WALLET, -charged_minor, currency),
                ),
                who=who,
                metadata={"addon_type": addon_type, "monthly": monthly_minor},
            ),
        )


def book_renewal(
    db: sqlite_utils.Database,
    *,
    server_id: str,
    period_start: float,
    plan_price: str | Decimal,
    currency: str,
    charged_at: float,
    addons: Mapping[str, str | Decimal] | None = None,
    period_end: float | None = None,
    panel: str | None = None,
    service_id: str | None = None,
    client_id: str | None = None,
    product: str | None = None,
) -> Booking:
    """Book a monthly renewal: the plan's monthly price and each active add-on's (type ->
    price), as Otwa charged them for the period starting ``period_start``.

    Event id ``renewal:<server>:<period start, UTC seconds>``: one per server and period.
    ``period_end`` defaults to ``period_start`` + 30 days. Attribution defaults to the
    server's. Book only a renewal Otwa charged: one the wallet could not pay is not booked.
    """
    server_id = fields.text(server_id, "server_id")
    start = fields.moment(period_start, "period_start")
    end = fields.moment(period_end, "period_end") if period_end is not None else None
    _check_period(start, end, "period_end")
    fields.moment(charged_at, "charged_at")
    plan_minor = to_minor(plan_price, currency, field="plan_price")
    addon_minor = _addon_prices(addons or {}, currency)
    event_id = events.renewal(server_id, start)
    with store.write(db):
        who = _attribution(db, server_id, panel, service_id, client_id, product)
        draft = _charge(
            event_id=event_id,
            kind="renewal",
            charged_at=charged_at,
            description=f"Otwa server {server_id} renewed for {iso(start)[:10]}",
            plan_minor=plan_minor,
            addon_minor=addon_minor,
            currency=currency,
            who=who,
            period=(start, end or start + RENEWAL_PERIOD),
            metadata={},
        )
        if draft is None:
            return Booking(event_id, "nothing_to_book", None)
        return journal.post(db, draft)


def mark_server_ended(
    db: sqlite_utils.Database, *, server_id: str, ended_at: float, reason: str = "terminated"
) -> bool:
    """Record that ``server_id`` renews no more (terminated, or gone at Otwa), so the
    runway stops counting it. Idempotent: True when recorded now, False if it was already.
    """
    server_id = fields.text(server_id, "server_id")
    fields.moment(ended_at, "ended_at")
    reason = fields.text(reason, "reason")
    with store.write(db):
        cursor = db.execute(
            "INSERT OR IGNORE INTO ledger_server_ends (server_id, ended_at, reason)"
            " VALUES (?, ?, ?)",
            [server_id, ended_at, reason],
        )
        return cursor.rowcount == 1


def charged_periods(db: sqlite_utils.Database, server_id: str) -> int:
    """How many monthly periods of ``server_id`` the journal holds as charged: its create
    and every renewal, less any reversed. Compare with what Otwa says it was paid for."""
    row = db.execute(
        "SELECT count(*) FROM ledger_transactions t WHERE t.server_id = ?"
        " AND t.kind IN ('server', 'renewal')"
        " AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.reverses = t.id)",
        [server_id],
    ).fetchone()
    return int(row[0])


def attribution_of(db: sqlite_utils.Database, server_id: str) -> Attribution:
    """The panel, service, client and product of ``server_id``'s latest charge."""
    return _attribution(db, server_id, None, None, None, None)


def _check_period(start: float, end: float | None, field: str) -> None:
    if end is not None and end <= start:
        raise LedgerError("bad_date", f"{field} must come after the period's start")


def _addon_prices(addons: Mapping[str, str | Decimal], currency: str) -> dict[str, int]:
    return {
        fields.text(t, "addon type"): to_minor(p, currency, field=f"addons[{t!r}]")
        for t, p in addons.items()
    }


def _charge(
    *,
    event_id: str,
    kind: str,
    charged_at: float,
    description: str,
    plan_minor: int,
    addon_minor: dict[str, int],
    currency: str,
    who: Attribution,
    period: tuple[float, float],
    metadata: dict[str, object],
) -> Draft | None:
    """A server charge (create or renewal) as a draft; None when it is all zero."""
    debits = [(accounts.SERVERS, plan_minor)] + [
        (accounts.addon(t), m) for t, m in sorted(addon_minor.items())
    ]
    total = sum(m for _, m in debits)
    if total == 0:
        return None
    postings = [Posting(a, m, currency) for a, m in debits if m]
    return Draft(
        event_id=event_id,
        kind=kind,
        occurred_at=charged_at,
        description=description,
        postings=(*postings, Posting(accounts.WALLET, -total, currency)),
        who=who,
        period_start=iso(period[0]),
        period_end=iso(period[1]),
        metadata={**metadata, "monthly": {"server": plan_minor, "addons": addon_minor}},
    )


def _attribution(
    db: sqlite_utils.Database,
    server_id: str,
    panel: str | None,
    service_id: str | None,
    client_id: str | None,
    product: str | None,
) -> Attribution:
    """The attribution given, or, when none is, the one of the server's latest charge."""
    given = (panel, service_id, client_id, product)
    if any(v is not None for v in given):
        return Attribution(
            panel=fields.optional_text(panel, "panel"),
            service_id=fields.optional_text(service_id, "service_id"),
            client_id=fields.optional_text(client_id, "client_id"),
            product=fields.optional_text(product, "product"),
            server_id=server_id,
        )
    row = db.execute(
        "SELECT panel, service_id, client_id, product FROM ledger_transactions"
        " WHERE server_id = ? AND kind IN ('server', 'renewal', 'addon') ORDER BY id DESC",
        [server_id],
    ).fetchone()
    if row is None:
        return Attribution(server_id=server_id)
    return Attribution(
        panel=row[0], service_id=row[1], client_id=row[2], product=row[3], server_id=server_id
    )
