"""Event ids: what makes each transaction unique, so a replayed event books nothing twice.

Every id is ``<kind>:<part>:<part>...`` with each part percent-encoded (a ``:`` inside an
id cannot make two events collide). They name the fact, not the message that carried it:
a panel that re-sends "invoice paid" under a new webhook-id still books the line once.

================================ ===================================================
event id                         one per
================================ ===================================================
``sale:<panel>:<invoice>:<line>`` paid invoice line
``refund:<panel>:<refund>:<line>`` refund (or credit note) per invoice line it covers
``server:<server>``               Otwa server created (its first month is charged once)
``addon:<server>:<type>:<op>``    add-on bought by one bridge operation
``renewal:<server>:<start>``      monthly renewal, by the period's start (UTC seconds)
``topup:<reference>``             wallet deposit (the payment's reference)
``opening:<currency>``            the wallet's balance when the ledger started
================================ ===================================================
"""

from __future__ import annotations

from urllib.parse import quote

from bridge.ledger.periods import iso


def _id(kind: str, *parts: str) -> str:
    return ":".join([kind, *(quote(str(p), safe="") for p in parts)])


def sale(panel: str, invoice_id: str, line_id: str) -> str:
    """A paid invoice line."""
    return _id("sale", panel, invoice_id, line_id)


def refund(panel: str, refund_id: str, line_id: str) -> str:
    """The part of refund ``refund_id`` that falls on one invoice line."""
    return _id("refund", panel, refund_id, line_id)


def refund_prefix(panel: str, refund_id: str) -> str:
    """Every line of one refund starts with this (for finding a replayed refund)."""
    return _id("refund", panel, refund_id) + ":"


def server(server_id: str) -> str:
    """An Otwa server's create charge."""
    return _id("server", server_id)


def addon(server_id: str, addon_type: str, operation_id: str) -> str:
    """An add-on charge, by the bridge operation that bought it (Otwa gives no charge id)."""
    return _id("addon", server_id, addon_type, operation_id)


def renewal(server_id: str, period_start: float) -> str:
    """A monthly renewal, by the start of the period it pays (to the second)."""
    return _id("renewal", server_id, iso(period_start))


def topup(reference: str) -> str:
    """A wallet top-up."""
    return _id("topup", reference)


def opening(currency: str) -> str:
    """The wallet's opening balance in ``currency`` (booked once)."""
    return _id("opening", currency)
