"""Time in the ledger: epoch seconds inside, UTC calendar dates and months at the edges.

A transaction counts on the UTC day (and month) it occurred: the invoice's payment, Otwa's
charge. Report periods are half-open ``[start, end)`` date ranges, so "November" is
``[2026-11-01, 2026-12-01)``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from bridge.ledger.errors import LedgerError

DAY = 86400.0
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def epoch(day: date) -> float:
    """Epoch seconds of ``day``'s UTC midnight."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def day_of(ts: float) -> date:
    """The UTC date of epoch seconds ``ts``."""
    return datetime.fromtimestamp(ts, UTC).date()


def month_of(ts: float) -> str:
    """``"YYYY-MM"``: the UTC month of epoch seconds ``ts``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m")


def iso(ts: float) -> str:
    """``ts`` as ISO 8601 UTC to the second: ``"2026-11-03T10:00:00Z"``."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_month(text: str, *, field: str = "period") -> date:
    """``"2026-11"`` -> ``date(2026, 11, 1)``; anything else is ``bad_date``."""
    m = _MONTH.match(text.strip()) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise LedgerError("bad_date", f"{field} must be a month such as 2026-11 (got {text!r})")
    return date(int(m.group(1)), int(m.group(2)), 1)


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_span(first: str, last: str | None = None) -> tuple[date, date]:
    """``[first day of first, first day after last)`` for months ``"YYYY-MM"`` (inclusive).

    ``month_span("2026-11")`` is November; ``month_span("2026-11", "2027-01")`` is three
    months. ``last`` before ``first`` is ``bad_date``.
    """
    start = parse_month(first, field="period")
    end = next_month(parse_month(last, field="to") if last is not None else start)
    if end <= start:
        raise LedgerError("bad_date", f"--to {last} is before --period {first}: swap them")
    return start, end


def check_range(start: date, end: date) -> None:
    """Refuse an empty or reversed half-open range."""
    if not isinstance(start, date) or not isinstance(end, date) or end <= start:
        raise LedgerError(
            "bad_date", f"the period must be dates with start < end (got {start!r}, {end!r})"
        )


def parse_period_bound(text: str | None, *, field: str) -> str | None:
    """An invoice period bound as the panel sends it: an ISO date (``"2026-11-01"``) or
    date-time; returned normalised (a date stays a date, a date-time becomes UTC seconds)."""
    if text is None:
        return None
    if isinstance(text, str):
        raw = text.strip()
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return iso(parsed.timestamp())
    raise LedgerError(
        "bad_date", f"{field} must be an ISO 8601 date such as 2026-11-01 (got {text!r})"
    )


def parse_moment(text: str, *, field: str) -> float:
    """A moment as a panel sends it, as epoch seconds: an ISO 8601 date-time (UTC when it
    carries no offset, so WHMCS's ``"2026-11-30 10:00:00"`` is read as UTC) or a date (its
    UTC midnight). Anything else, or a moment outside 2000-3000, is ``bad_date``."""
    parsed = None
    if isinstance(text, str):
        raw = text.strip()
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None or not 2000 <= parsed.year < 3000:
        raise LedgerError(
            "bad_date",
            f"{field} must be an ISO 8601 date-time such as 2026-11-30T10:00:00Z (got {text!r})",
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
