"""What every command shares: the process's Bridge, and failing in one line."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

import click

from bridge.settings import SettingsError

if TYPE_CHECKING:
    from bridge.runtime import Bridge


def fail(message: str, status: int = 2) -> NoReturn:
    """End the command: ``error: <message>`` on stderr, exit ``status`` (2: usage or
    configuration; 1: a refusal)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def build_bridge() -> Bridge:
    """The process's Bridge; settings errors end the command (exit 2, one line)."""
    from bridge import runtime

    try:
        return runtime.build()
    except SettingsError as exc:
        fail(str(exc))
