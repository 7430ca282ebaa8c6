"""The ``otwa-bridge`` command (also ``python -m bridge``).

Each command is a thin shell over a function of the area that owns the work; the CLI
holds no logic the library lacks. Every command builds the process's Bridge the same way
(:func:`bridge.runtime.build`); bad settings or configuration end it with one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from bridge.commands import ACTIONS
from bridge.settings import SettingsError

if TYPE_CHECKING:
    from bridge.ledger import RateTable
    from bridge.runtime import Bridge

T = TypeVar("T")


def _fail(message: str, status: int = 2) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def _bridge() -> Bridge:
    """The process's Bridge; settings errors end the command (exit 2, one line)."""
    from bridge import runtime

    try:
        return runtime.build()
    except SettingsError as exc:
        _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="otwa-bridge")
def main() -> None:
    """Billing-panel hooks in, Otwa Cloud servers out, exactly once."""


@main.command()
@click.option("--bind", default="127.0.0.1:8700", show_default=True, help="host:port to listen on.")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
@click.option(
    "--metrics-bind",
    default=None,
    help="host:port of a second listener that serves only /metrics (sets "
    "BRIDGE_METRICS_BIND); the public one then has none.",
)
def serve(bind: str, workers: int, metrics_bind: str | None) -> None:
    """Run the bridge's HTTP app under gunicorn (plus the /metrics listener when
    BRIDGE_METRICS_BIND or --metrics-bind names one)."""
    if metrics_bind is not None:
        os.environ["BRIDGE_METRICS_BIND"] = metrics_bind  # the gunicorn workers read it too
    bridge = _bridge()  # fail here, in one line, rather than in every gunicorn worker
    binds = [bind]
    if bridge.settings.metrics_bind:
        if bridge.settings.metrics_bind == bind:
            _fail(f"--metrics-bind {bind} is the public listener; give it its own port")
        binds.append(bridge.settings.metrics_bind)
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:bridge.gunicorn_conf",
        *(arg for b in binds for arg in ("--bind", b)),
        "--workers",
        str(workers),
        "bridge:create_app()",
    ]
    os.execv(sys.executable, args)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8780, show_default=True, type=int)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=float,
    help="Speed of the sandbox clock: 60 makes a minute pass in a second.",
)
@click.option("--seed", default=None, type=int, help="Seed for build times and generated data.")
@click.option(
    "--rate-limit-mode",
    type=click.Choice(["fixed", "sliding"]),
    default="fixed",
    show_default=True,
    help="How each key's 100 requests per 60 s are counted: fixed (a window opened by the "
    "key's first request) or sliding (any 60 s holds at most 100).",
)
def sandbox(
    host: str, port: int, time_scale: float, seed: int | None, rate_limit_mode: str
) -> None:
    """Run the Otwa sandbox: the v1.9 API under /api/v1 plus the /_sandbox control API."""
    from bridge.sandbox import serve as serve_sandbox

    serve_sandbox(
        host=host, port=port, time_scale=time_scale, seed=seed, rate_limit_mode=rate_limit_mode
    )


@main.command()
@click.option("--bind", default="127.0.0.1:8700", show_default=True, help="Bridge host:port.")
@click.option("--sandbox-port", default=8780, show_default=True, type=int)
@click.option(
    "--panel-port",
    default=8790,
    show_default=True,
    type=int,
    help="The demo panel, where write-backs of panels without their own target go.",
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=float,
    help="Sandbox clock speed (60: a build takes seconds); the bridge's timing settings "
    "are scaled to match.",
)
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
def dev(bind: str, sandbox_port: int, panel_port: int, time_scale: float, workers: int) -> None:
    """Run sandbox + bridge + worker + a demo panel together (what `make run` does);
    Ctrl-C stops all."""
    from bridge import devstack

    plan = devstack.plan_from(
        _bridge().settings,
        bind=bind,
        sandbox_port=sandbox_port,
        panel_port=panel_port,
        time_scale=time_scale,
        workers=workers,
    )
    sys.exit(devstack.run(plan))


@main.command("settings")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="markdown prints the reference table of docs/settings.md.",
)
def show_settings(fmt: str) -> None:
    """Every setting: the variable to set, its effective value (secrets masked) and where
    it came from (default, toml, env)."""
    from bridge import settings as declared

    if fmt == "markdown":
        click.echo(declared.markdown_table(), nl=False)
        return
    bridge = _bridge()
    rows = [
        {
            "variable": declared.env_var(name),
            "value": declared.shown_value(bridge.settings, name),
            "source": bridge.sources[name],
            "help": field.description or "",
        }
        for name, field in declared.Settings.model_fields.items()
    ]
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row, sort_keys=True))
        return
    click.echo(f"config file: {bridge.settings.config}")
    click.echo(f"{'VARIABLE':<32} {'VALUE':<36} {'FROM':<8} HELP")
    for row in rows:
        click.echo(f"{row['variable']:<32} {row['value']:<36} {row['source']:<8} {row['help']}")


@main.command("openapi")
def openapi_document() -> None:
    """Print the bridge's OpenAPI 3.1 document (what GET /openapi.json serves; the
    checked-in copy is docs/openapi.json)."""
    from bridge.web import openapi

    click.echo(openapi.text(), nl=False)


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    applied = _bridge().migrate()
    click.echo(
        f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else "")
    )


SEND_EPILOG = (
    "ACTION is one of: "
    + ", ".join(ACTIONS)
    + ". test_connection needs no --service; every other action names the service."
)
NO_SERVICE_ACTIONS = ("test_connection",)


@main.command(epilog=SEND_EPILOG)
@click.argument("action", required=False, type=click.Choice(ACTIONS), metavar="[ACTION]")
@click.option("--url", default="http://127.0.0.1:8700", show_default=True, help="The bridge.")
@click.option("--panel", default="whmcs", show_default=True, help="Panel name in the URL.")
@click.option("--service", help="Service id in the panel.")
@click.option("--product", help="Panel product id.")
@click.option("--client", "client_id", help="Panel client id.")
@click.option("--hostname", help="Hostname (the panel's domain field).")
@click.option("--option", "options", multiple=True, help="Option value: name=value. Repeatable.")
@click.option(
    "--param", "params", multiple=True, help="Param: k=v (string) or k:=<json>. Repeatable."
)
@click.option(
    "--body", "body_file", type=click.File("rb"), help="Send this file (- for stdin) as is."
)
@click.option(
    "--secret-env",
    help="Env var holding the whsec_ secrets (first one signs). "
    "Default: the panel's secrets_env, else BRIDGE_<PANEL>_HOOK_SECRETS.",
)
@click.option("--webhook-id", help="webhook-id to send (re-use one to test a replay).")
@click.option("--request-id", help="X-Request-Id to send.")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for the reply.")
def send(
    action: str | None,
    url: str,
    panel: str,
    service: str | None,
    product: str | None,
    client_id: str | None,
    hostname: str | None,
    options: tuple[str, ...],
    params: tuple[str, ...],
    body_file: IO[bytes] | None,
    secret_env: str | None,
    webhook_id: str | None,
    request_id: str | None,
    timeout: float,
) -> None:
    """Sign and send one hook; print the reply. Exit 0 when ok, 1 when refused, 2 on
    transport or usage errors.

    \b
    otwa-bridge send --panel whmcs create --service 1042 --product 1 \\
        --client 77 --option "Operating System=Ubuntu 24.04"
    otwa-bridge send --panel whmcs power --service 1042 --param action=reboot
    otwa-bridge send --panel whmcs --body webhooks/samples/whmcs/create.json
    """
    import requests

    from bridge import signing
    from bridge.panels import env_name
    from bridge.panels import send as sender

    configured = _bridge().panel(panel)
    default_env = configured.config.secrets_env if configured else env_name(panel, "HOOK_SECRETS")
    env_var = secret_env or default_env
    secrets = [s.strip() for s in os.environ.get(env_var, "").split(",") if s.strip()]
    if not secrets:
        raise click.UsageError(f"{env_var} holds no whsec_ secret; export it or pass --secret-env")
    try:
        signing.decode_secret(secrets[0])
    except ValueError as exc:  # the message never quotes the secret
        raise click.UsageError(
            f"{env_var} does not hold a hook secret ({exc}); put the panel's whsec_<base64> "
            "secret in it (comma-separated during a rotation, newest first)"
        ) from None
    if body_file is not None:
        raw = body_file.read()
    else:
        if action in NO_SERVICE_ACTIONS and not service:
            service = "0"  # the envelope names a service; this action reads none
        if not action or not service:
            raise click.UsageError("give ACTION and --service (or --body FILE)")
        try:
            body = sender.envelope(
                action,
                service,
                product=product,
                client=client_id,
                hostname=hostname,
                options=sender.pairs(options, "--option"),
                params=sender.pairs(params, "--param"),
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        raw = json.dumps(body).encode()
    try:
        reply = sender.send(
            url,
            panel,
            raw,
            secrets[0],
            webhook_id=webhook_id,
            request_id=request_id,
            timeout=timeout,
        )
    except requests.RequestException as exc:
        _fail(f"no reply from {url}: {exc.__class__.__name__}: {exc}")
    note = f"HTTP {reply.status}" + (" (replayed)" if reply.replayed else "")
    click.echo(f"{note} request-id {reply.request_id}", err=True)
    click.echo(json.dumps(reply.body, indent=2, sort_keys=True))
    ok = isinstance(reply.body, dict) and reply.body.get("ok") is True
    sys.exit(0 if ok else 1)


@main.command("check-config")
def check_config() -> None:
    """Validate config/bridge.toml (panels, products map) against the live Otwa catalog.

    Prints each problem and exits 1 if there is any; exits 2 when the config cannot be
    read or Otwa cannot be asked.
    """
    from bridge.otwa.errors import OtwaError

    bridge = _bridge()
    click.echo(f"config: {bridge.settings.config}", err=True)
    problems: list[str] = []
    if not bridge.panels:
        problems.append("no [panels.<name>] is configured: every hook would be refused")
    for panel in bridge.panels.values():
        if not panel.config.secrets:
            problems.append(
                f"panel {panel.name}: {panel.config.secrets_env} is not set; its hooks are refused"
            )
    client = bridge.client()
    click.echo(f"fetching the live catalog from {bridge.settings.otwa_base_url} ...", err=True)
    try:
        products, regions, templates = client.products(), client.regions(), client.os_templates()
    except OtwaError as exc:
        _fail(f"cannot read the Otwa catalog: {exc}")
    problems += bridge.catalog.check(products, regions, templates)
    for problem in problems:
        click.echo(f"problem: {problem}")
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    mapped = sum(len(p.products) for p in bridge.catalog.panels.values())
    click.echo(
        f"ok: {len(bridge.panels)} panel(s), {mapped} product(s) mapped; Otwa offers "
        f"{len(products)} plans, {len(regions)} regions, {len(templates)} OS templates"
    )


@main.command()
@click.option("--until-idle", is_flag=True, help="Exit once nothing is queued or building.")
@click.option(
    "--threads",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Jobs run at once in this process (write-backs and retries in parallel).",
)
def worker(until_idle: bool, threads: int) -> None:
    """Run the provisioning worker: queued jobs, batch build polls, write-back, retries.

    Run as many as you like (separate processes, or --threads); leases keep them off each
    other's jobs and the shared budget paces their Otwa calls.
    """
    from bridge.logs import configure_logging
    from bridge.provisioning import worker as provisioning_worker

    bridge = _bridge()
    configure_logging(bridge.settings.log_level)
    provisioning_worker.run(bridge, until_idle=until_idle, threads=threads)


@main.group("admin")
def admin_group() -> None:
    """The admin console's login: make the password hash BRIDGE_ADMIN_PASSWORD_HASH holds."""


@admin_group.command("hash-password")
def admin_hash_password() -> None:
    """Read a password (prompted twice on a terminal, else the first line of stdin) and
    print its Argon2id hash for BRIDGE_ADMIN_PASSWORD_HASH. The password is never shown."""
    from bridge.access import passwords

    if sys.stdin.isatty():
        password = click.prompt(
            "Admin password", hide_input=True, confirmation_prompt=True, err=True
        )
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        hashed = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(hashed)
    click.echo(
        "set it with: export BRIDGE_ADMIN_PASSWORD_HASH='<the line above>' (single quotes: "
        "it holds $ signs), then restart otwa-bridge serve",
        err=True,
    )


@main.group()
def ops() -> None:
    """List, show, retry or cancel provisioning operations."""


OPERATION_STATES = (
    "queued",
    "building",
    "writeback",
    "scheduled",
    "done",
    "failed",
    "dead",
    "cancelled",
)


def _utc(t: float | None, *, millis: bool = False) -> str:
    """Epoch seconds as UTC ``YYYY-MM-DD HH:MM:SS`` (``-`` when unknown)."""
    from datetime import UTC, datetime

    if t is None:
        return "-"
    stamp = datetime.fromtimestamp(t, UTC)
    if millis:
        return stamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
    return stamp.strftime("%Y-%m-%d %H:%M:%S")


@ops.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(OPERATION_STATES),
    help="Only these states (repeatable).",
)
@click.option(
    "--action", "actions", multiple=True, type=click.Choice(ACTIONS), help="Only these actions."
)
@click.option("--panel", default=None, help="Only this panel (its name in the hook URL).")
@click.option("--service", "service_id", default=None, help="Only this panel service id.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def ops_list(
    states: tuple[str, ...],
    actions: tuple[str, ...],
    panel: str | None,
    service_id: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Operations, newest first by creation time: when, state, attempts and what went
    wrong (a failed, dead or cancelled one's error; an open one's latest trouble)."""
    from bridge.provisioning import admin

    bridge = _bridge()
    bridge.migrate()
    wanted = admin.Filter(states=states, actions=actions, panel=panel, service_id=service_id)
    rows = admin.list_operations(bridge.db(), wanted, limit=limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str, sort_keys=True))
        return
    click.echo(f"{len(rows)} operation(s), newest first (by creation time, UTC)", err=True)
    click.echo(
        f"{'CREATED (UTC)':<19}  {'OPERATION':<24} {'ACTION':<15} {'SERVICE':<20} "
        f"{'STATE':<10} ATT  ERROR"
    )
    for r in rows:
        service = f"{r['panel']}/{r['service_id']}#{r['generation']}"
        click.echo(
            f"{_utc(r['created_at']):<19}  {r['id']:<24} {r['action']:<15} {service:<20} "
            f"{r['state']:<10} {r['attempts']:>3}  {admin.shorten(r['error'])}"
        )


@ops.command("show")
@click.argument("operation_id")
@click.option("--json", "as_json", is_flag=True, help="The whole record as one JSON object.")
def ops_show(operation_id: str, as_json: bool) -> None:
    """One operation: its fields, every state it went through (when, why) and its jobs."""
    from bridge.errors import BridgeError
    from bridge.provisioning import admin

    bridge = _bridge()
    bridge.migrate()
    try:
        record = admin.show(bridge.db(), operation_id)
    except BridgeError as exc:
        _fail(exc.message, 1)
    if as_json:
        click.echo(json.dumps(record, default=str, sort_keys=True))
        return

    def when(t: float | None) -> str:
        return _utc(t, millis=True)

    op = record["operation"]
    click.echo(f"operation  {op['id']}  {op['action']} of {op['panel']}/{op['service_id']}")
    click.echo(f"state      {op['state']}   generation {op['generation']}")
    for name in ("server_id", "idempotency_key", "request_id", "webhook_id", "last_error"):
        if op.get(name):
            click.echo(f"{name:<10} {op[name]}")
    if op.get("error_code"):
        click.echo(f"error      {op['error_code']}: {op['error_message']}")
    click.echo("\nhistory")
    for step in record["history"]:
        click.echo(
            f"  {when(step['at'])}  {step['from_state'] or '-':>9} -> {step['to_state']:<10}"
            f" {step['reason']}"
        )
    click.echo("\njobs")
    for job in record["jobs"]:
        click.echo(
            f"  #{job['id']:<6} {job['kind']:<10} {job['state']:<10} "
            f"attempts {job['attempts']}/{job['max_attempts']}  {job['last_error'] or ''}"
        )


@ops.command("retry")
@click.argument("operation_id")
def ops_retry(operation_id: str) -> None:
    """Re-queue a failed, dead or cancelled operation (same idempotency key)."""
    from bridge.errors import BridgeError
    from bridge.provisioning import admin

    bridge = _bridge()
    bridge.migrate()
    try:
        state = admin.retry(bridge.db(), operation_id, bridge)
    except BridgeError as exc:
        _fail(exc.message, 1)
    click.echo(f"{operation_id}: {state}; the worker picks it up")


@ops.command("cancel")
@click.argument("operation_id")
def ops_cancel(operation_id: str) -> None:
    """Cancel a queued or scheduled operation (e.g. a terminate in its grace period: its
    server is started again unless the service is suspended; the reply says which)."""
    from bridge.errors import BridgeError
    from bridge.provisioning import admin

    bridge = _bridge()
    bridge.migrate()
    try:
        said = admin.cancel(bridge.db(), operation_id, bridge)
    except BridgeError as exc:
        _fail(exc.message, 1)
    click.echo(said)


# -- the ledger ----------------------------------------------------------------------------

_PERIOD_HELP = "Month YYYY-MM (UTC) the report starts with."
_TO_HELP = "Last month YYYY-MM included (default: --period alone)."


def _ledger_bridge() -> Bridge:
    bridge = _bridge()
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
        _fail(f"{exc.code}: {exc.message}")


class _OneLineGroup(click.Group):
    """A group whose usage errors (a bad --period, an unknown --by) are one line on stderr
    and exit status 2, like every other refusal of the CLI."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            _fail(f"{exc.format_message()} (see {where} --help)")


@main.group(cls=_OneLineGroup)
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


@main.command()
@click.option(
    "--to",
    "dest",
    type=click.Path(path_type=str),
    default=None,
    help="File (or folder) to write; default <database folder>/backups/<name>-<UTC time>.sqlite.",
)
def backup(dest: str | None) -> None:
    """Copy the database online and consistently (while serve and workers run).

    Operations, jobs, services, remembered hooks, the ledger and spent SSO links are all in
    it. The rate-limit budget file is not: it holds only the last minute of Otwa calls.
    Restore with `otwa-bridge restore FILE` (docs/operations.md).
    """
    from bridge.store import backup as backups

    database = _bridge().settings.database
    try:
        made = backups.backup(database, dest or backups.default_destination(database))
    except backups.BackupError as exc:
        _fail(str(exc), 1)
    click.echo(f"backed up {database} to {made.describe()}")


@main.command()
@click.argument("backup_file", type=click.Path(path_type=str))
def restore(backup_file: str) -> None:
    """Put a backup in place of the database (serve and every worker stopped first).

    The current database is kept beside the backups first. Then run `otwa-bridge migrate`
    and start the bridge again (docs/operations.md, "Restore").
    """
    from bridge.store import backup as backups

    database = _bridge().settings.database
    try:
        restored, kept = backups.restore(backup_file, database)
    except backups.BackupError as exc:
        _fail(str(exc), 1)
    if kept is not None:
        click.echo(f"kept the replaced database as {kept}")
    click.echo(f"restored {backup_file} into {restored.describe()}")
    click.echo("next: otwa-bridge migrate, then start otwa-bridge serve and the workers")
