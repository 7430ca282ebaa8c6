"""``/admin/reports/margins``: the margin report as a page people read, behind the admin
console's login.

One month's table (by product, client, service or panel), a chart of revenue, cost and
margin by month over the twelve months up to it (``bridge.ledger.charts``: pygal SVG drawn
on the server and served by the bridge itself, no script, no CDN), the wallet's runway and
drift, the month's reconciliation, the latest admin notices, and CSV / JSON downloads of
the same table. Everything is read from the ledger (``bridge.ledger``); this module holds
no SQL and books nothing.

Routes (all GET but the login's POST)::

    /admin/reports/margins?period=2026-11&by=product   the page
    /admin/reports/margins.csv|.json?period=...&by=...  downloads (what the CLI prints)
    /admin/reports/margins/chart.svg?period=...          the chart
    /admin/reports/margins.css                            the page's style sheet

Behind the admin console's login (``bridge.web.admin.guard``: a session from
``/admin/login`` or a trusted authenticating proxy); without one, a page request is sent to
the login form and back. Pages are sent with a strict Content-Security-Policy (only this
origin's style sheet and images), so a browser runs nothing the bridge did not serve.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request

from bridge.errors import BridgeError
from bridge.ledger import LedgerError, reconcile, report
from bridge.ledger import alerts as ledger_alerts
from bridge.ledger.charts import margin_chart_svg
from bridge.ledger.money import format_minor
from bridge.ledger.periods import epoch, iso, month_of, month_span
from bridge.ledger.render import render_csv, render_json
from bridge.ledger.report import RateTable, Report
from bridge.ledger.status import status
from bridge.web import current_bridge, get_db
from bridge.web.admin import guard

bp = Blueprint("reports", __name__, url_prefix="/admin/reports", template_folder="templates")
MARGINS = "/admin/reports/margins"
BYS = ("product", "client", "service", "panel")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"
OPEN = ("reports.stylesheet", "reports.icon")
ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#1d2733"/>'
    '<path d="M3 12h2V7H3zm4 0h2V4H7zm4 0h2V9h-2z" fill="#2f9e62"/></svg>'
)


@bp.before_request
def _guard() -> None:
    if request.endpoint in OPEN:
        return
    guard.require_admin()


@bp.errorhandler(BridgeError)
def _refused(exc: BridgeError) -> Response:
    if isinstance(exc, guard.NotSignedIn):
        response = Response(status=303)
        target = request.full_path.rstrip("?")
        response.headers["Location"] = "/admin/login?" + urlencode({"next": target})
        return response
    page = render_template("reports/error.html", error=exc)
    return _html(page, exc.status)


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/html")


# -- what is asked -----------------------------------------------------------------------------


def _period() -> tuple[str, date, date]:
    """``?period=YYYY-MM`` (default: this month by the Bridge's clock) as a month range."""
    month = request.args.get("period") or month_of(current_bridge().clock.now())
    try:
        start, end = month_span(month)
    except LedgerError as exc:
        raise BridgeError(exc.message, code="bad_request", status=400) from None
    return month, start, end


def _by() -> str:
    by = request.args.get("by", "product")
    if by not in BYS:
        raise BridgeError(
            f"by must be one of {', '.join(BYS)} (got {by!r}).", code="bad_request", status=400
        )
    return by


def _rates() -> RateTable | None:
    s = current_bridge().settings
    if not s.ledger_rates:
        return None
    pairs = dict(p.split("=", 1) for p in s.ledger_rates.split(","))
    return RateTable(s.ledger_currency, pairs)


def _report(start: date, end: date, by: str) -> Report:
    return report(get_db(), start, end, by, rates=_rates())


def _year_to(end: date) -> date:
    """The first day of the month eleven months before the month ending at ``end``."""
    first = end
    for _ in range(12):
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return first


# -- pages -------------------------------------------------------------------------------------


@bp.get("/margins")
def margins() -> Response:
    """The month's margin table, the chart, runway, reconciliation and downloads."""
    bridge = current_bridge()
    s = bridge.settings
    month, start, end = _period()
    by = _by()
    rep = _report(start, end, by)
    now = bridge.clock.now()
    db = get_db()
    st = status(db, s.ledger_currency, now=now, alert_days=s.ledger_runway_alert_days)
    until = max(epoch(start) + 1, min(epoch(end), now + 1))  # never past what was sampled
    rec = reconcile(db, s.ledger_currency, start=epoch(start), end=until)
    page = render_template(
        "reports/margins.html",
        month=month,
        by=by,
        bys=BYS,
        report=rep.to_dict(),
        scoped=rep.scoped,
        currencies=sorted({t.currency for t in rep.totals} | {s.ledger_currency}),
        status=st.to_dict(s.ledger_topup_days),
        days_left=st.runway.days_left,
        alert=st.alert,
        topup_days=s.ledger_topup_days,
        reconciliation=rec.to_dict(),
        rec_ok=rec.ok,
        rec_enough=rec.enough_samples,
        notices=[
            {**n, "raised": iso(float(str(n["raised_at"])))} for n in ledger_alerts.listed(db)
        ],
        prev_month=_shift(start, -1),
        next_month=_shift(start, 1),
        generated=iso(now),
        fmt=format_minor,
    )
    return _html(page)


def _shift(start: date, months: int) -> str:
    index = start.year * 12 + start.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@bp.get("/margins.csv")
def margins_csv() -> Response:
    """The month's table as CSV (``ledger report --format csv``), as a download."""
    month, start, end = _period()
    by = _by()
    body = render_csv(_report(start, end, by))
    return _download(body, "text/csv", f"margins-{month}-by-{by}.csv")


@bp.get("/margins.json")
def margins_json() -> Response:
    """The month's table as JSON (decimal strings), as a download."""
    month, start, end = _period()
    by = _by()
    body = render_json(_report(start, end, by))
    return _download(body, "application/json", f"margins-{month}-by-{by}.json")


def _download(body: str, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/margins/chart.svg")
def chart() -> Response:
    """Revenue, cost and margin by month for the twelve months up to ``period``, in
    ``currency`` (default LEDGER_CURRENCY): one chart per currency, never converted."""
    s = current_bridge().settings
    _, start, end = _period()
    currency = request.args.get("currency") or s.ledger_currency
    by_month = report(get_db(), _year_to(end), end, "month")
    try:
        svg = margin_chart_svg(by_month, currency)
    except LedgerError as exc:
        raise BridgeError(exc.message, code=exc.code, status=400) from None
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_CSP
    return response


@bp.get("/margins.css")
def stylesheet() -> Response:
    """The page's style sheet (served here: the page's policy allows only this origin)."""
    response = Response(render_template("reports/margins.css"), mimetype="text/css")
    response.headers["Cache-Control"] = "max-age=3600"
    return response


@bp.get("/favicon.svg")
def icon() -> Response:
    """The pages' icon (so a browser asks this origin, never /favicon.ico in vain)."""
    response = Response(ICON, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "max-age=86400"
    return response
