"""Checks for the plain values the booking functions take: ids, names, moments.

Each raises ``LedgerError`` naming the field and what to send, so a refusal happens before
anything is written.
"""

from __future__ import annotations

import math

from bridge.ledger.errors import LedgerError

MAX_TEXT = 200
_EARLIEST = 946684800.0  # 2000-01-01: an epoch in milliseconds or a zero is a caller's bug
_LATEST = 32503680000.0  # 3000-01-01


def text(value: object, field: str, *, max_len: int = MAX_TEXT) -> str:
    """``value`` as a non-empty, stripped string of at most ``max_len`` characters."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # panels send numeric ids (WHMCS invoice 1042) as numbers
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise LedgerError(
            "bad_field",
            f"{field} must be a non-empty string of at most {max_len} characters (got {value!r})",
        )
    return value.strip()


def optional_text(value: object, field: str, *, max_len: int = MAX_TEXT) -> str | None:
    """Like :func:`text`, but None (or an empty string) stays None."""
    if value is None or value == "":
        return None
    return text(value, field, max_len=max_len)


def moment(value: object, field: str) -> float:
    """Epoch seconds (int or float) between 2000 and 3000."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not _EARLIEST <= value < _LATEST
    ):
        raise LedgerError(
            "bad_date",
            f"{field} must be epoch seconds between 2000 and 3000 (got {value!r})",
        )
    return float(value)
