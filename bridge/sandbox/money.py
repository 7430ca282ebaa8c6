"""Money in the sandbox: Decimal inside, two-decimal strings at the edges, never floats."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
_MONEY_RE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,2})?")  # fullmatch: no trailing "\n"


def cents(value: Decimal) -> Decimal:
    """``value`` rounded half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    """The wire form: a two-decimal string such as ``"9.99"``."""
    return f"{cents(value):f}"


def parse(text: object) -> Decimal | None:
    """A non-negative amount from a decimal string (``"12"``, ``"12.50"``), else None."""
    if not isinstance(text, str) or not _MONEY_RE.fullmatch(text):
        return None
    return cents(Decimal(text))
