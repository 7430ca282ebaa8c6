"""The margin chart for the HTML report: revenue, cost and margin by month, as SVG.

Drawn by pygal on the server (no JavaScript, no CDN): the SVG is self-contained, with its
styles inline, and every bar carries its exact amount as text (a ``<desc class="value">``
and a printed label), formatted from minor units. Amounts become floats only here, for
pygal to place the bars; every number a reader sees is the exact decimal string.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pygal  # type: ignore[import-untyped]
from pygal.style import DefaultStyle  # type: ignore[import-untyped]

from bridge.ledger.errors import LedgerError
from bridge.ledger.money import format_minor, to_decimal
from bridge.ledger.report import By, Report

COLORS = ("#3b6ea8", "#d9822b", "#2f9e62")  # revenue, cost, margin

# Importing pygal appends a legacy import finder (for pygal.maps plugins, unused here) to
# sys.meta_path; from then on every import lookup that fails anywhere in the process warns
# (ImportWarning: find_spec() not found), an error under the suite's warnings policy.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "pygal"]


def margin_chart_svg(report: Report, currency: str, *, title: str | None = None) -> str:
    """An SVG bar chart of ``report``'s months in ``currency``: one group of three bars
    (revenue, cost, margin) per month. ``report`` must be by month (``bad_dimension``);
    other currencies are left out, never converted: draw one chart per currency."""
    if report.by is not By.MONTH:
        raise LedgerError(
            "bad_dimension", f"the margin chart needs a report by month (got by {report.by})"
        )
    rows = sorted((r for r in report.rows if r.currency == currency), key=lambda r: r.key or "")
    chart = pygal.Bar(
        title=title or f"Revenue, cost and margin by month ({currency})",
        style=DefaultStyle(colors=COLORS, background="white", plot_background="white"),
        js=[],  # no tooltip script from a CDN
        disable_xml_declaration=True,
        print_values=True,
        print_values_position="top",
        legend_at_bottom=True,
        x_title="month (UTC)",
        y_title=currency,
        no_data_text=f"No revenue or cost in {currency} in this period",
    )
    chart.x_labels = [r.key or "" for r in rows]
    chart.add("Revenue", [_bar(r.revenue, currency) for r in rows])
    chart.add("Cost", [_bar(r.cost, currency) for r in rows])
    chart.add("Margin", [_bar(r.margin, currency) for r in rows])
    chart.add_xml_filter(_drop_scripts)
    return str(chart.render(is_unicode=True))


def _bar(minor: int, currency: str) -> dict[str, Any]:
    text = format_minor(minor, currency)
    formatter: Callable[[object], str] = lambda _value: text  # noqa: E731 - exact, not the float
    # The one float: where pygal places the bar. The label is the exact decimal string.
    return {"value": float(to_decimal(minor, currency)), "formatter": formatter}


def _drop_scripts(root: Any) -> Any:
    """Remove pygal's inline config script: without its tooltip library it does nothing,
    and an admin page with a strict Content-Security-Policy would log it as an error."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.endswith("script"):
                parent.remove(child)
    return root
