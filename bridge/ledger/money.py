"""Money: integer minor units plus an ISO 4217 code inside, decimal strings at the edges.

No float ever holds an amount. Text becomes minor units in :func:`to_minor` (exact, or
refused: ``12.345 USD`` is an error, not a rounding), minor units become text in
:func:`format_minor`. The only rounding in the ledger is half-up (:data:`ROUNDING`), in
two places: a currency conversion (:func:`convert`) and a percentage (:func:`percent`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bridge.ledger.currencies import EXPONENTS
from bridge.ledger.errors import LedgerError

ROUNDING = ROUND_HALF_UP
MAX_MINOR = 10**12  # per amount: sums over millions of entries stay far inside SQLite's int64
_AMOUNT = re.compile(r"^-?[0-9]{1,18}(\.[0-9]{1,18})?$")


def exponent(currency: object) -> int:
    """Decimal places of ``currency``'s minor unit (USD 2, JPY 0, KWD 3).

    Raises ``LedgerError(unknown_currency)`` for anything but an upper-case ISO 4217 code
    with minor units.
    """
    if isinstance(currency, str) and currency in EXPONENTS:
        return EXPONENTS[currency]
    raise LedgerError(
        "unknown_currency",
        f"{currency!r} is not an ISO 4217 currency code with minor units;"
        ' send the three upper-case letters, such as "USD", "EUR" or "JPY"',
    )


def to_minor(
    amount: str | Decimal, currency: str, *, field: str = "amount", signed: bool = False
) -> int:
    """``amount`` (a decimal string such as ``"12.50"``, or a Decimal) in minor units.

    Exact or refused: more decimals than the currency has is ``amount_precision`` (trailing
    zeros are fine: ``"12.500"`` USD is 1250). A negative amount is ``bad_amount`` unless
    ``signed``. Floats and ints are refused: an int is ambiguous (units or minor units?).
    ``field`` names the input in the message.
    """
    places = exponent(currency)
    if isinstance(amount, Decimal):
        value = amount
        if not value.is_finite():
            raise _bad(field, amount)
    elif isinstance(amount, str) and _AMOUNT.match(amount.strip()):
        value = Decimal(amount.strip())
    else:
        raise _bad(field, amount)
    if value < 0 and not signed:
        raise LedgerError(
            "bad_amount", f"{field} must not be negative (got {amount!r}): send a positive amount"
        )
    try:
        minor = value.scaleb(places)
        exact = minor == minor.to_integral_value()
    except InvalidOperation:
        raise _bad(field, amount) from None
    if not exact:
        raise LedgerError(
            "amount_precision",
            f"{field} {amount!r} has more decimals than {currency} has ({places}):"
            f" send it in whole {currency} minor units, e.g. {format_minor(1234, currency)!r}",
        )
    if abs(minor) > MAX_MINOR:
        raise LedgerError(
            "bad_amount", f"{field} {amount!r} is out of range (at most {MAX_MINOR} minor units)"
        )
    return int(minor)


def _bad(field: str, amount: object) -> LedgerError:
    return LedgerError(
        "bad_amount",
        f'{field} must be a decimal string such as "12.50" (got {amount!r}); floats and'
        " integers are not accepted",
    )


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units back to an exact Decimal in currency units (1250 USD -> Decimal('12.50'))."""
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def format_minor(minor: int, currency: str) -> str:
    """The edge form: ``"12.50"`` (USD), ``"1200"`` (JPY), ``"-0.125"`` (KWD)."""
    return f"{to_decimal(minor, currency):f}"


def convert(minor: int, currency: str, rate: Decimal, target: str) -> int:
    """``minor`` units of ``currency`` at ``rate`` (target units per one currency unit),
    in target minor units, rounded half-up once."""
    value = to_decimal(minor, currency) * rate
    return int(value.scaleb(exponent(target)).quantize(Decimal(1), rounding=ROUNDING))


def percent(part: int, whole: int) -> Decimal | None:
    """``part / whole * 100`` to two places, half-up; None when ``whole`` is zero."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUNDING)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` (>= 0) minor units in proportion to non-negative ``weights``, exactly.

    Largest remainder: each share is floored, and the units left over go to the largest
    remainders (ties to the earlier weight), so the shares always sum to ``total``. All
    weights zero puts everything on the first. Used for refunds of an amount spread over an
    invoice's lines.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate splits a non-negative total over non-negative weights")
    whole = sum(weights)
    if whole == 0:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares
