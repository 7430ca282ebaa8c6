"""Hook actions answered at once: the reply is the whole work, no operation is recorded and
no job queued (``validate``: the products map only; the reads ``status``, ``usage``,
``unlinked_servers``, ``reconcile``, ``catalog`` and ``test_connection``: an interactive
Otwa call in the shared budget, shared between processes for a few seconds). Each maps to
one function of the area that owns the answer; every one replies ``"operation": null``.
``sso_link``: a signed bridge link, no Otwa call.
``invoice_paid`` / ``invoice_refunded``: ledger bookings, no Otwa call.

Actions in ``DURABLE`` write money: their bookings and the remembered hook commit in one
durable transaction (``inbox.book_answer``), so nothing is booked twice and
nothing booked is lost behind a 2xx.

The reply is still remembered under the hook's ``webhook-id`` (a replay gets it again,
verbatim); actions whose reply is a credential are listed in ``SECRET_REPLIES`` and their
replay is a refusal instead.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from bridge.commands import Command, Outcome
from bridge.provisioning import bookings, checks, fleet_reads, service_reads
from bridge.runtime import Bridge
from bridge.web import sso

Answer = Callable[[Bridge, sqlite_utils.Database, Command], Outcome]

ANSWERS: dict[str, Answer] = {
    "validate": checks.validate,
    "status": service_reads.status,
    "usage": fleet_reads.usage,
    "test_connection": service_reads.test_connection,
    "unlinked_servers": fleet_reads.unlinked_servers,
    "reconcile": fleet_reads.reconcile,
    "catalog": fleet_reads.catalog,
    "sso_link": sso.answer_sso_link,
    "invoice_paid": bookings.invoice_paid,
    "invoice_refunded": bookings.invoice_refunded,
}
DURABLE = frozenset({"invoice_paid", "invoice_refunded"})
