"""``otwa-bridge ops``: list, show, retry or cancel provisioning operations."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypeVar

import click

from bridge.cli.common import build_bridge, fail
from bridge.commands import ACTIONS

if TYPE_CHECKING:
    pass

T = TypeVar("T")


@click.group()
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

    bridge = build_bridge()
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

    bridge = build_bridge()
    bridge.migrate()
    try:
        record = admin.show(bridge.db(), operation_id)
    except BridgeError as exc:
        fail(exc.message, 1)
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

    bridge = build_bridge()
    bridge.migrate()
    try:
        state = admin.retry(bridge.db(), operation_id, bridge)
    except BridgeError as exc:
        fail(exc.message, 1)
    click.echo(f"{operation_id}: {state}; the worker picks it up")


@ops.command("cancel")
@click.argument("operation_id")
def ops_cancel(operation_id: str) -> None:
    """Cancel a queued or scheduled operation (e.g. a terminate in its grace period: its
    server is started again unless the service is suspended; the reply says which)."""
    from bridge.errors import BridgeError
    from bridge.provisioning import admin

    bridge = build_bridge()
    bridge.migrate()
    try:
        said = admin.cancel(bridge.db(), operation_id, bridge)
    except BridgeError as exc:
        fail(exc.message, 1)
    click.echo(said)
