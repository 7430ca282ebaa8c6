"""The ledger's one exception type: a stable ``code`` and a message saying what to send instead.

``LedgerError`` is a :class:`bridge.errors.BridgeError`, so the web layer renders it as the
bridge's JSON error shape and the CLI prints its message. Every refusal is raised before
anything is written (or inside the write transaction, which then rolls back): a refused
call changes nothing.

Codes (stable; programs branch on them):

===================== ====== ==============================================================
code                  status meaning
===================== ====== ==============================================================
bad_amount            422    not a decimal string, or out of range
amount_precision      422    more decimals than the currency has (12.345 USD, 5.5 JPY)
unknown_currency      422    not an ISO 4217 code with minor units
bad_field             422    a required text field is missing, empty or too long
bad_date              422    a date/period that is not ISO 8601, or an empty range
bad_dimension         422    ``report(by=...)`` outside product/client/service/panel/month
unbalanced            422    a transaction whose postings do not sum to zero per currency
bad_account           422    an account name Beancount would refuse
event_conflict        409    the event id was booked before with other amounts or accounts
already_reversed      409    that transaction was reversed already
not_reversible        422    a reversal cannot itself be reversed
unknown_event         404    no transaction carries that event id
unknown_invoice       404    a refund for an invoice (or line) the ledger never booked
refund_exceeds_paid   422    a refund larger than what is left of the line(s)
currency_mismatch     422    a refund, renewal or runway input in another currency
missing_rate          422    a converted total asked for without a rate for every currency
===================== ====== ==============================================================
"""

from __future__ import annotations

from typing import Any

from bridge.errors import BridgeError

_STATUS = {
    "event_conflict": 409,
    "already_reversed": 409,
    "unknown_event": 404,
    "unknown_invoice": 404,
}


class LedgerError(BridgeError):
    """Bad input to the ledger, refused before anything changed."""

    status = 422
    code = "ledger_error"

    def __init__(self, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message, code=code, status=_STATUS.get(code, 422), details=details)
