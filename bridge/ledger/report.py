"""The margin report: revenue, cost, margin and margin % per product, client, service, panel
or month, per currency, over a half-open UTC date range.

* **Revenue** is what the panels collected net of refunds and credit notes (``Income:Sales``
  and ``Income:Refunds``); **cost** is what Otwa charged (``Expenses:Otwa``); margin =
  revenue - cost; margin % = margin / revenue x 100 (two places, half-up; None, shown as
  ``n/a``, when revenue is zero). A transaction counts in the UTC day it occurred.
* **Currencies never mix.** Rows and totals are per currency. A single converted total
  exists only when the caller passes a :class:`RateTable`, and the report then carries the
  rates it used, so every renderer says so.
* **Fast.** One GROUP BY over ``ledger_entries`` read from a covering partial index
  ordered by ``occurred_at`` (entries carry their transaction's month, panel, service,
  client and product); SQLite pivots revenue and cost and orders the groups, Python makes
  one named tuple per group. ``bench/ledger_bench.py`` measures it beside the plain
  GROUP BY.
* Products, clients and services are panel-scoped ids, so those rows also carry the panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, NamedTuple

import sqlite_utils

from bridge.ledger.errors import LedgerError
from bridge.ledger.money import convert, exponent, format_minor, percent
from bridge.ledger.periods import check_range, epoch


class By(StrEnum):
    """What a report row stands for."""

    PRODUCT = "product"
    CLIENT = "client"
    SERVICE = "service"
    PANEL = "panel"
    MONTH = "month"


# The entry columns each grouping reads: (panel column or None, key column).
_COLUMNS: dict[By, tuple[str | None, str]] = {
    By.PRODUCT: ("panel", "product"),
    By.CLIENT: ("panel", "client_id"),
    By.SERVICE: ("panel", "service_id"),
    By.PANEL: (None, "panel"),
    By.MONTH: (None, "month"),
}


class Row(NamedTuple):
    """One group in one currency, in minor units. ``key`` None: charges with no panel
    attribution (e.g. an adopted server); ``panel`` is set for panel-scoped keys. (A named
    tuple: a report by service over a year makes tens of thousands of them.)"""

    key: str | None
    panel: str | None
    currency: str
    revenue: int
    cost: int

    @property
    def margin(self) -> int:
        return self.revenue - self.cost

    @property
    def margin_pct(self) -> Decimal | None:
        return percent(self.margin, self.revenue)


@dataclass(frozen=True)
class RateTable:
    """Explicit conversion rates into ``target``: ``rates[c]`` target units per unit of c
    (decimal strings). Nothing in the ledger converts without one."""

    target: str
    rates: Mapping[str, str | Decimal]

    def rate(self, currency: str) -> Decimal:
        """The rate for ``currency`` (1 for the target itself); ``missing_rate`` if none."""
        if currency == self.target:
            return Decimal(1)
        if currency not in self.rates:
            raise LedgerError(
                "missing_rate",
                f"no rate from {currency} to {self.target}: add one (e.g. {currency}=1.08)"
                " or report without conversion",
            )
        return _positive(self.rates[currency], currency)


def _positive(value: str | Decimal, currency: str) -> Decimal:
    try:
        rate = Decimal(value) if isinstance(value, str | Decimal) else Decimal("NaN")
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite() or rate <= 0:
        raise LedgerError(
            "bad_amount", f"the rate for {currency} must be a positive decimal (got {value!r})"
        )
    return rate


@dataclass(frozen=True)
class Converted:
    """Totals of every currency converted into ``currency`` at ``rates`` (each currency's
    total converted once, half-up); margin is converted revenue minus converted cost."""

    currency: str
    rates: dict[str, Decimal]
    revenue: int
    cost: int

    @property
    def margin(self) -> int:
        return self.revenue - self.cost

    @property
    def margin_pct(self) -> Decimal | None:
        return percent(self.margin, self.revenue)


@dataclass(frozen=True)
class Report:
    """A margin report over ``[start, end)`` (UTC dates)."""

    start: date
    end: date
    by: By
    rows: tuple[Row, ...]
    totals: tuple[Row, ...]  # one per currency, key None
    converted: Converted | None = None

    @property
    def last_day(self) -> date:
        """The last day the report covers (``end`` is exclusive)."""
        return self.end - timedelta(days=1)

    @property
    def scoped(self) -> bool:
        """True when keys are panel-scoped ids (product, client, service)."""
        return _COLUMNS[self.by][0] is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: amounts as decimal strings, margin % as a string or None."""
        out: dict[str, Any] = {
            "period": {"from": self.start.isoformat(), "to": self.last_day.isoformat()},
            "by": self.by.value,
            "rows": [self._row_dict(r) for r in self.rows],
            "totals": [_money(r.currency, r.revenue, r.cost, r.margin_pct) for r in self.totals],
            "converted": None,
        }
        if self.converted is not None:
            c = self.converted
            out["converted"] = {
                **_money(c.currency, c.revenue, c.cost, c.margin_pct),
                "rates": {k: f"{v:f}" for k, v in sorted(c.rates.items())},
                "note": f"converted into {c.currency} at the rates given, per currency total",
            }
        return out

    def _row_dict(self, row: Row) -> dict[str, Any]:
        head: dict[str, Any] = {"panel": row.panel} if self.scoped else {}
        head[self.by.value] = row.key
        return {**head, **_money(row.currency, row.revenue, row.cost, row.margin_pct)}


def _money(currency: str, revenue: int, cost: int, pct: Decimal | None) -> dict[str, Any]:
    return {
        "currency": currency,
        "revenue": format_minor(revenue, currency),
        "cost": format_minor(cost, currency),
        "margin": format_minor(revenue - cost, currency),
        "margin_pct": None if pct is None else f"{pct:f}",
    }


def group_columns(by: By) -> tuple[str | None, str]:
    """The ``ledger_entries`` columns a grouping reads: (panel column or None, key column)."""
    return _COLUMNS[by]


def report_sql(by: By) -> str:
    """The one query behind a report: revenue and cost per group and currency, pivoted and
    ordered by SQLite (NULL groups last), read from the covering index
    ``ledger_entries_report``. Arguments: start, end (epoch seconds)."""
    panel, key = _COLUMNS[by]
    p = panel or "NULL"
    return (
        f"SELECT {key}, {p}, currency,"  # noqa: S608 - only our column names are interpolated
        " -SUM(iif(role = 'revenue', amount, 0)), SUM(iif(role = 'cost', amount, 0))"
        " FROM ledger_entries"
        " WHERE role IS NOT NULL AND occurred_at >= ? AND occurred_at < ?"
        f" GROUP BY {p}, {key}, currency"
        f" ORDER BY currency, {p} IS NULL, {p}, {key} IS NULL, {key}"
    )


def report(
    db: sqlite_utils.Database,
    start: date,
    end: date,
    by: By | str = By.PRODUCT,
    *,
    rates: RateTable | None = None,
) -> Report:
    """Revenue, cost and margin per ``by`` group and currency for ``[start, end)``.

    Refused: an empty range (``bad_date``), an unknown ``by`` (``bad_dimension``), and with
    ``rates``, a currency without a rate (``missing_rate``) or an unknown target currency.
    """
    check_range(start, end)
    dim = _dimension(by)
    rows = tuple(map(Row._make, db.execute(report_sql(dim), [epoch(start), epoch(end)])))
    totals: dict[str, tuple[int, int]] = {}
    for row in rows:
        revenue, cost = totals.get(row.currency, (0, 0))
        totals[row.currency] = (revenue + row.revenue, cost + row.cost)
    total_rows = tuple(Row(None, None, c, r, k) for c, (r, k) in sorted(totals.items()))
    converted = _convert(total_rows, rates) if rates is not None else None
    return Report(start, end, dim, rows, total_rows, converted)


def _dimension(by: By | str) -> By:
    try:
        return By(by)
    except ValueError:
        raise LedgerError(
            "bad_dimension", f"by must be one of {', '.join(b.value for b in By)} (got {by!r})"
        ) from None


def _convert(totals: tuple[Row, ...], rates: RateTable) -> Converted:
    exponent(rates.target)
    used = {t.currency: rates.rate(t.currency) for t in totals}
    return Converted(
        currency=rates.target,
        rates={c: r for c, r in used.items() if c != rates.target},
        revenue=sum(convert(t.revenue, t.currency, used[t.currency], rates.target) for t in totals),
        cost=sum(convert(t.cost, t.currency, used[t.currency], rates.target) for t in totals),
    )
