"""``otwa-bridge ledger``: the reseller's books (report, reconcile, runway, export, topup)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bridge.cli.common import build_bridge, fail

if TYPE_CHECKING:
    from bridge.ledger import RateTable
    from bridge.runtime import Bridge

T = TypeVar("T")


# -- the ledger ----------------------------------------------------------------------------

_PERIOD_HELP = "Month YYYY-MM (UTC) the report starts with."
_TO_HELP = "Last month YYYY-MM included (default: --period alone)."


def _ledger_bridge() -> Bridge:
    bridge = build_bridge()
    bridge.migrate()
    return bridge


def _span(period: str, to: str | None) -> tuple[date, date]:
    """``--period``/``--to`` as a half-open range of dates; bad input ends in one line."""
    from bridge.ledger import LedgerError
    from bridge.ledger.periods import month_span

    try:
        return month_span(period, to)
    except LedgerError as exc:
        raise click.UsageError(exc.message) from None


def _rates(text: str, target: str) -> RateTable | None:
    """``EUR=1.085,GBP=1.27`` as a rate table into ``target``; None when empty."""
    from bridge.ledger import RateTable

    if not text.strip():
        return None
    rates: dict[str, str] = {}
    for part in text.split(","):
        code, sep, rate = part.strip().partition("=")
        if not sep or len(code) != 3 or not code.isupper() or not rate:
            raise click.UsageError(
                f"--rates {text!r}: write CUR=rate pairs, e.g. EUR=1.085,GBP=1.27"
            )
        rates[code] = rate
    return RateTable(target, rates)


def _ledger_call(call: Callable[[], T]) -> T:
    """Run a ledger call; its refusal (bad input) ends the command in one line, exit 2."""
    from bridge.ledger import LedgerError

    try:
        return call()
    except LedgerError as exc:
        fail(f"{exc.code}: {exc.message}")


class _OneLineGroup(click.Group):
    """A group whose usage errors (a bad --period, an unknown --by) are one line on stderr
    and exit status 2, like every other refusal of the CLI."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            fail(f"{exc.format_message()} (see {where} --help)")


@click.group(cls=_OneLineGroup)
def ledger() -> None:
    """The reseller's books: margin reports, reconciliation, wallet runway, export.

    \b
    otwa-bridge ledger report --period 2026-11 --by product
    otwa-bridge ledger report --period 2026-09 --to 2026-11 --by month --format csv
    otwa-bridge ledger reconcile --period 2026-11
    otwa-bridge ledger runway
    otwa-bridge ledger export --format beancount > books.beancount
    otwa-bridge ledger topup 100.00 --reference otwa-inv-77
    """


@ledger.command("report")
@click.option("--period", required=True, metavar="YYYY-MM", help=_PERIOD_HELP)
@click.option("--to", "to", metavar="YYYY-MM", help=_TO_HELP)
@click.option(
    "--by",
    type=click.Choice(["product", "client", "service", "panel", "month"]),
    default="product",
    show_default=True,
    help="One row per this, per currency.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--rates",
    default=None,
    metavar="CUR=RATE,...",
    help="Convert the totals into LEDGER_CURRENCY at these rates (default: LEDGER_RATES; "
    "empty: never convert). Currencies are never mixed without them.",
)
def ledger_report(period: str, to: str | None, by: str, fmt: str, rates: str | None) -> None:
    """Revenue, cost, margin and margin % per product, client, service, panel or month,
    per currency, with totals. Revenue is what panels collected net of refunds; cost what
    Otwa charged; margin % = margin / revenue."""
    from bridge.ledger import report
    from bridge.ledger.render import render_csv, render_json, render_table

    start, end = _span(period, to)
    bridge = _ledger_bridge()
    table = _rates(bridge.settings.ledger_rates if rates is None else rates,
                   bridge.settings.ledger_currency)  # fmt: skip
    rep = _ledger_call(lambda: report(bridge.db(), start, end, by, rates=table))
    render = {"table": render_table, "csv": render_csv, "json": render_json}[fmt]
    click.echo(render(rep), nl=False)


@ledger.command("reconcile")
@click.option("--period", required=True, metavar="YYYY-MM", help=_PERIOD_HELP)
@click.option("--to", "to", metavar="YYYY-MM", help=_TO_HELP)
@click.option(
    "--tolerance",
    default="0",
    show_default=True,
    metavar="AMOUNT",
    help="Drift a step may show without being listed (decimal, e.g. 0.01).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def ledger_reconcile(period: str, to: str | None, tolerance: str, fmt: str) -> None:
    """Compare the wallet balances the worker sampled (GET /account) with what the journal
    booked: expected and observed movement, the drift, and each step where drift appeared
    with the transactions around it. Exit 1 when there is drift beyond the tolerance."""
    from bridge.ledger import reconcile
    from bridge.ledger.money import to_minor
    from bridge.ledger.periods import epoch
    from bridge.ledger.render import render_reconciliation

    start, end = _span(period, to)
    bridge = _ledger_bridge()
    currency = bridge.settings.ledger_currency
    slack = _ledger_call(lambda: to_minor(tolerance, currency, field="--tolerance"))
    rec = _ledger_call(
        lambda: reconcile(
            bridge.db(), currency, start=epoch(start), end=epoch(end), tolerance=slack
        )
    )
    if fmt == "json":
        click.echo(json.dumps(rec.to_dict(), indent=2))
    else:
        click.echo(render_reconciliation(rec), nl=False)
    sys.exit(0 if rec.ok else 1)


@ledger.command("runway")
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=None,
    help="Horizon of the suggested top-up (default LEDGER_TOPUP_DAYS).",
)
@click.option("--offline", is_flag=True, help="Do not ask Otwa for the reseller tier.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def ledger_runway(days: int | None, offline: bool, fmt: str) -> None:
    """When the Otwa wallet stops covering renewals, the top-up that covers the next days,
    the drift against Otwa's balance, and the reseller tier (GET /reseller: discount,
    30-day volume, what the next tier needs)."""
    from bridge.ledger.render import render_runway
    from bridge.ledger.status import status
    from bridge.otwa.errors import OtwaError

    bridge = _ledger_bridge()
    s = bridge.settings
    horizon = days or s.ledger_topup_days
    now = bridge.clock.now()
    st = _ledger_call(
        lambda: status(
            bridge.db(), s.ledger_currency, now=now, alert_days=s.ledger_runway_alert_days
        )
    )
    tier: dict[str, Any] | None = None
    tier_error = None
    if not offline:
        try:
            client = bridge.client().with_options(max_retries=0, timeout=5.0)
            tier = _tier(client.reseller())
        except OtwaError as exc:
            http = f" HTTP {exc.status}" if exc.status else ""
            tier_error = f"GET /reseller: {type(exc).__name__}{http}"
    if fmt == "json":
        click.echo(json.dumps({**st.to_dict(horizon), "reseller": tier}, indent=2))
        return
    click.echo(render_runway(st.runway, horizon), nl=False)
    if st.alert:
        click.echo(
            f"ALERT: a renewal within {st.alert_days} days (LEDGER_RUNWAY_ALERT_DAYS) will fail;"
            " the panels' admins are told once."
        )
    drift = (
        "n/a (fewer than two GET /account samples)"
        if st.drift is None
        else (f"{_minor(st.drift, s.ledger_currency)} {s.ledger_currency}")
    )
    click.echo(f"Drift against Otwa's balance: {drift}")
    if tier is not None:
        click.echo(_tier_line(tier))
    elif tier_error:
        click.echo(f"Reseller tier: unavailable ({tier_error})")


def _minor(amount: int, currency: str) -> str:
    from bridge.ledger.money import format_minor

    return format_minor(amount, currency)


def _tier(reseller: Any) -> dict[str, Any]:
    """GET /reseller as JSON-ready decimal strings."""

    def dec(v: Any) -> str | None:
        return None if v is None else f"{v:f}"

    nxt = reseller.next_tier
    return {
        "partner": reseller.partner,
        "tier": reseller.tier_name,
        "discount_pct": dec(reseller.discount_pct),
        "volume_30d": dec(reseller.gmv_30d),
        "next_tier": None
        if nxt is None
        else {
            "name": nxt.name,
            "volume_required": dec(nxt.gmv_required),
            "volume_remaining": dec(nxt.gmv_remaining),
            "discount_pct": dec(nxt.discount_pct),
        },
    }


def _tier_line(tier: dict[str, Any]) -> str:
    if not tier["partner"]:
        return "Reseller tier: not a reseller partner (list prices)."
    line = (
        f"Reseller tier: {tier['tier'] or '-'}, discount {tier['discount_pct']} %,"
        f" 30-day volume {tier['volume_30d'] or '?'}"
    )
    nxt = tier["next_tier"]
    if nxt is None:
        return line + "; top tier."
    return (
        line + f"; next: {nxt['name']} ({nxt['discount_pct']} %) at {nxt['volume_required']},"
        f" {nxt['volume_remaining']} to go."
    )


@ledger.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["beancount"]),
    default="beancount",
    show_default=True,
    help="Plain-text accounting that bean-check and Fava read.",
)
@click.option("--period", metavar="YYYY-MM", help="First month (earlier balances carried forward).")
@click.option("--to", "to", metavar="YYYY-MM", help=_TO_HELP)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout)."
)
def ledger_export(fmt: str, period: str | None, to: str | None, output: str | None) -> None:
    """The journal as a Beancount file: every transaction with its event id, kind and
    attribution as metadata. Open it with Fava: fava books.beancount"""
    from bridge.ledger import export_beancount

    if to is not None and period is None:
        raise click.UsageError("--to needs --period")
    start, end = _span(period, to) if period else (None, None)
    bridge = _ledger_bridge()
    text = _ledger_call(lambda: export_beancount(bridge.db(), start=start, end=end))
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@ledger.command("topup")
@click.argument("amount")
@click.option(
    "--reference", required=True, help="The deposit's reference (Otwa invoice id...), booked once."
)
@click.option("--at", "at", metavar="ISO-8601", help="When it was paid in (default: now).")
@click.option("--note", help="Free text kept with it.")
def ledger_topup(amount: str, reference: str, at: str | None, note: str | None) -> None:
    """Book a deposit into the Otwa wallet made outside the bridge (Otwa's dashboard).
    Until it is booked, reconciliation shows it as positive drift. Booked once per
    --reference: running it again books nothing."""
    from bridge.ledger import book_topup
    from bridge.ledger.periods import parse_moment

    bridge = _ledger_bridge()
    when = _ledger_call(lambda: parse_moment(at, field="--at")) if at else bridge.clock.now()
    booked = _ledger_call(
        lambda: book_topup(
            bridge.db(),
            reference=reference,
            amount=amount,
            currency=bridge.settings.ledger_currency,
            occurred_at=when,
            note=note,
        )
    )
    click.echo(f"{booked.event_id}: {booked.status.replace('_', ' ')}")
