"""The chart of accounts, in Beancount's names (docs/ledger.md has the table).

Signs follow Beancount: a posting's amount is positive for a debit, negative for a credit.
Income accounts therefore carry negative balances, expenses and assets positive ones.

=========================================== ============================================
account                                     what moves it
=========================================== ============================================
``Assets:Receivable:<Panel>``               money the panel collected for the reseller
                                            (debited by a paid line, credited by a refund)
``Income:Sales:<Panel>:<Product>``          revenue of a paid invoice line
``Income:Refunds:<Panel>:<Product>``        contra-revenue: refunds and credit notes
``Assets:Otwa:Wallet``                      the prepaid Otwa wallet; every charge credits it
``Expenses:Otwa:Servers``                   a server's first month (create) and renewals
``Expenses:Otwa:Addons:<Type>``             add-ons: prorated on attach, full at renewal
``Equity:Owner:WalletTopUps``               the owner's deposits into the Otwa wallet
``Equity:Opening-Balances``                 the wallet's balance when the ledger started
=========================================== ============================================

Panel, product and add-on type become account components by :func:`component`
(``"vps-2gb"`` -> ``"Vps-2gb"``). Two products that differ only in punctuation share an
account in the export; the report groups by the product id itself and keeps them apart.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from bridge.ledger.errors import LedgerError

WALLET = "Assets:Otwa:Wallet"
SERVERS = "Expenses:Otwa:Servers"
ADDONS = "Expenses:Otwa:Addons"
TOPUPS = "Equity:Owner:WalletTopUps"
OPENING = "Equity:Opening-Balances"
ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses")

Role = Literal["revenue", "cost"]
_REVENUE = ("Income:Sales:", "Income:Refunds:")
_COST = ("Expenses:Otwa:",)
_COMPONENT = re.compile(r"^[A-Z0-9][A-Za-z0-9-]*$")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9]+")


def component(text: str) -> str:
    """``text`` as one Beancount account component: ASCII letters, digits and dashes,
    starting with an upper-case letter or a digit (accents dropped, other runs -> ``-``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = _NOT_ALLOWED.sub("-", ascii_text).strip("-") or "Unknown"
    return cleaned[0].upper() + cleaned[1:]


def receivable(panel: str) -> str:
    """``Assets:Receivable:<Panel>``."""
    return f"Assets:Receivable:{component(panel)}"


def sales(panel: str, product: str) -> str:
    """``Income:Sales:<Panel>:<Product>``."""
    return f"Income:Sales:{component(panel)}:{component(product)}"


def refunds(panel: str, product: str) -> str:
    """``Income:Refunds:<Panel>:<Product>``."""
    return f"Income:Refunds:{component(panel)}:{component(product)}"


def addon(addon_type: str) -> str:
    """``Expenses:Otwa:Addons:<Type>`` (``backup`` -> ``Expenses:Otwa:Addons:Backup``)."""
    return f"{ADDONS}:{component(addon_type)}"


def role_of(account: str) -> Role | None:
    """What the margin report adds up from an account: ``revenue`` (sales net of refunds),
    ``cost`` (what Otwa charged), or None (balance-sheet accounts)."""
    if account.startswith(_REVENUE):
        return "revenue"
    if account.startswith(_COST):
        return "cost"
    return None


def check(account: str) -> str:
    """``account`` if Beancount would accept it, else ``bad_account``."""
    parts = account.split(":") if isinstance(account, str) else []
    if len(parts) < 2 or parts[0] not in ROOTS or not all(_COMPONENT.match(p) for p in parts):
        raise LedgerError(
            "bad_account",
            f"{account!r} is not an account name: use Root:Component[:...] with a root of"
            f" {', '.join(ROOTS)} and components like 'Servers' (see bridge.ledger.accounts)",
        )
    return account
