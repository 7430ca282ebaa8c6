"""The database's safety copies: ``backup`` and ``restore``."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import click

from bridge.cli.common import build_bridge, fail

if TYPE_CHECKING:
    pass

T = TypeVar("T")


@click.command()
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

    database = build_bridge().settings.database
    try:
        made = backups.backup(database, dest or backups.default_destination(database))
    except backups.BackupError as exc:
        fail(str(exc), 1)
    click.echo(f"backed up {database} to {made.describe()}")


@click.command()
@click.argument("backup_file", type=click.Path(path_type=str))
def restore(backup_file: str) -> None:
    """Put a backup in place of the database (serve and every worker stopped first).

    The current database is kept beside the backups first. Then run `otwa-bridge migrate`
    and start the bridge again (docs/operations.md, "Restore").
    """
    from bridge.store import backup as backups

    database = build_bridge().settings.database
    try:
        restored, kept = backups.restore(backup_file, database)
    except backups.BackupError as exc:
        fail(str(exc), 1)
    if kept is not None:
        click.echo(f"kept the replaced database as {kept}")
    click.echo(f"restored {backup_file} into {restored.describe()}")
    click.echo("next: otwa-bridge migrate, then start otwa-bridge serve and the workers")
