"""The ``otwa-bridge`` command (also ``python -m bridge``).

Each command is a thin shell over a function of the area that owns the work; the CLI
holds no logic the library lacks. Every command builds the process's Bridge the same way
(:func:`bridge.runtime.build`); bad settings or configuration end it with one line on
stderr and exit status 2, never a traceback. One module per group of commands: ``run``
(serve, worker, dev, sandbox, migrate), ``config`` (settings, check-config, openapi),
``send``, ``ops``, ``ledger``, ``admin``, ``data`` (backup, restore).
"""

from __future__ import annotations

from typing import Any

import click

from bridge import store
from bridge.cli import admin, config, data, ledger, ops, run, send
from bridge.cli.common import fail


class _Commands(click.Group):
    """The command group; a database that cannot be opened ends any command in one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except store.CannotOpen as exc:
            fail(str(exc))


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="otwa-bridge")
def main() -> None:
    """Billing-panel hooks in, Otwa Cloud servers out, exactly once."""


for command in (
    run.serve,
    run.sandbox,
    run.dev,
    config.show_settings,
    config.openapi_document,
    run.migrate,
    send.send,
    config.check_config,
    run.worker,
    admin.admin_group,
    ops.ops,
    ledger.ledger,
    data.backup,
    data.restore,
):
    main.add_command(command)

__all__ = ["main"]
