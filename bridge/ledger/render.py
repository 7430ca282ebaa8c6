"""What the ledger says, as people and programs read it.

The margin report as aligned text, CSV and JSON: all three show the same numbers, as
decimal strings in each row's currency, and the same note when totals were converted.
Output is deterministic (row order, ``\\n`` line ends), so a report can be compared byte for
byte. The runway and a reconciliation as text (their ``to_dict()`` is the JSON form).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from bridge.ledger.money import format_minor
from bridge.ledger.periods import iso
from bridge.ledger.reconcile import Reconciliation
from bridge.ledger.report import Converted, Report, Row
from bridge.ledger.runway import Runway

NONE = "(none)"  # a group with no attribution (e.g. charges of an adopted server)
NA = "n/a"  # margin % of a group without revenue


def render_json(report: Report) -> str:
    """Pretty JSON of :meth:`Report.to_dict` (decimal strings, never floats)."""
    return json.dumps(report.to_dict(), indent=2) + "\n"


def render_csv(report: Report) -> str:
    """CSV: one line per row, then a ``TOTAL`` line per currency, then, when converted, a
    ``TOTAL (converted: EUR=1.08 ...)`` line in the target currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    head = ["panel"] if report.scoped else []
    writer.writerow([*head, report.by.value, "currency", "revenue", "cost", "margin", "margin_pct"])
    for row in report.rows:
        panel = [row.panel or ""] if report.scoped else []
        writer.writerow([*panel, row.key or "", *_cells(row)])
    pad = [""] if report.scoped else []
    for total in report.totals:
        writer.writerow([*pad, "TOTAL", *_cells(total)])
    if report.converted is not None:
        writer.writerow([*pad, f"TOTAL ({_rates(report.converted)})", *_cells(report.converted)])
    return out.getvalue()


def render_table(report: Report) -> str:
    """Aligned text for a terminal: a title, the rows, totals per currency, and the
    converted total with its rates when there is one."""
    title = (
        f"Margin by {report.by.value}, {report.start.isoformat()} to"
        f" {report.last_day.isoformat()} (UTC)"
    )
    head = ["panel"] if report.scoped else []
    header = [*head, report.by.value, "currency", "revenue", "cost", "margin", "margin %"]
    body: list[list[str]] = []
    for row in report.rows:
        panel = [row.panel or NONE] if report.scoped else []
        body.append([*panel, row.key or NONE, *_cells(row, na=NA)])
    pad = [""] if report.scoped else []
    totals = [[*pad, "TOTAL", *_cells(t, na=NA)] for t in report.totals]
    lines = [title, ""]
    if not report.rows:
        lines.append("No revenue or cost booked in this period.")
    else:
        lines += _align([header, *body, *totals], numeric_from=len(header) - 4)
    if report.converted is not None:
        c = report.converted
        lines += [
            "",
            f"All currencies {_rates(c)}: revenue {format_minor(c.revenue, c.currency)},"
            f" cost {format_minor(c.cost, c.currency)},"
            f" margin {format_minor(c.margin, c.currency)} {c.currency},"
            f" margin % {NA if c.margin_pct is None else c.margin_pct}",
        ]
    return "\n".join(lines) + "\n"


def _cells(row: Row | Converted, na: str = "") -> list[str]:
    pct = row.margin_pct
    return [
        row.currency,
        format_minor(row.revenue, row.currency),
        format_minor(row.cost, row.currency),
        format_minor(row.margin, row.currency),
        na if pct is None else f"{pct:f}",
    ]


def _rates(c: Converted) -> str:
    rates = " ".join(f"{k}={v:f}" for k, v in sorted(c.rates.items()))
    return f"converted into {c.currency} at the rates given: {rates or 'none needed'}"


def _align(table: Sequence[Sequence[str]], numeric_from: int) -> list[str]:
    """Columns padded to their widest cell; numbers (from ``numeric_from``) right-aligned."""
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return [
        "  ".join(
            cell.rjust(w) if i >= numeric_from else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]


def render_runway(runway: Runway, days: int = 30) -> str:
    """The runway for a terminal: balance, monthly renewals, when the wallet runs out,
    and the top-up that covers the next ``days`` days."""
    c = runway.currency
    lines = [
        f"Otwa wallet: {format_minor(runway.balance, c)} {c} (as of {iso(runway.now)})",
        f"Renewing: {len(runway.servers)} servers, {format_minor(runway.monthly, c)} {c}"
        f" per {runway.period / 86400:g} days",
    ]
    if runway.runs_out_at is None:
        lines.append("Runway: nothing renews; the wallet is not drawn on.")
    else:
        lines.append(
            f"Runway: {runway.days_left} days; the first renewal it cannot pay is server"
            f" {runway.unpaid_server} on {iso(runway.runs_out_at)}"
        )
    need = runway.topup_for(days)
    due = format_minor(runway.due_within(days), c)
    lines.append(
        f"Top-up for the next {days} days: {format_minor(need, c)} {c} (renewals due: {due} {c})"
        if need
        else f"The next {days} days are covered (renewals due: {due} {c})."
    )
    return "\n".join(lines) + "\n"


def render_reconciliation(rec: Reconciliation) -> str:
    """A reconciliation for a terminal: the total drift, then each step with drift and the
    wallet transactions booked around it."""
    c = rec.currency
    lines = [f"Wallet reconciliation {iso(rec.start)} to {iso(rec.end)} ({c})"]
    if not rec.enough_samples:
        lines.append("Not enough GET /account samples in this period to compare (need two).")
        return "\n".join(lines) + "\n"
    assert rec.first is not None and rec.last is not None
    lines += [
        f"Samples: {format_minor(rec.first.balance, c)} at {iso(rec.first.sampled_at)} ->"
        f" {format_minor(rec.last.balance, c)} at {iso(rec.last.sampled_at)}",
        f"Expected movement {format_minor(rec.expected, c)}, observed"
        f" {format_minor(rec.observed, c)}: drift {format_minor(rec.drift, c)} {c}"
        + (" (ok)" if rec.ok else ""),
    ]
    for step in rec.steps:
        lines += [
            "",
            f"  {iso(step.start.sampled_at)} -> {iso(step.end.sampled_at)}:"
            f" expected {format_minor(step.expected, c)}, observed"
            f" {format_minor(step.observed, c)}, drift {format_minor(step.drift, c)}",
        ]
        moves = [
            f"    {iso(m.occurred_at)} {format_minor(m.amount, c):>12}  {m.event_id}: "
            + m.description
            for m in step.moves
        ]
        lines += moves or ["    (no wallet transactions booked around it)"]
    return "\n".join(lines) + "\n"
