"""``otwa-bridge admin``: the admin console's password hash."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TypeVar

import click

if TYPE_CHECKING:
    pass

T = TypeVar("T")


@click.group("admin")
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
