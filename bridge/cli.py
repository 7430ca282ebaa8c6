"""The ``otwa-bridge`` command (also ``python -m bridge``).

Each command is a thin shell over a function of the area that owns the work; the CLI
holds no logic the library lacks.
"""

from __future__ import annotations

import os
import sys

import click

from bridge import settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="otwa-bridge")
def main() -> None:
    """Billing-panel hooks in, Otwa Cloud servers out, exactly once."""


@main.command()
@click.option("--bind", default="127.0.0.1:8700", show_default=True, help="host:port to listen on.")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
def serve(bind: str, workers: int) -> None:
    """Run the bridge's HTTP app under gunicorn."""
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:bridge.gunicorn_conf",
        "--bind",
        bind,
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
def sandbox(host: str, port: int, time_scale: float, seed: int | None) -> None:
    """Run the Otwa sandbox: the v1.9 API under /api/v1 plus the /_sandbox control API."""
    from bridge.sandbox import serve as serve_sandbox

    serve_sandbox(host=host, port=port, time_scale=time_scale, seed=seed)


@main.command("settings")
def show_settings() -> None:
    """Print every setting with its effective value (secrets masked) and help."""
    values = settings.load()
    for name, shown, help_text in settings.describe(values):
        click.echo(f"{name:<20} {shown:<40} {help_text}")


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from bridge import store

    values = settings.load()
    db = store.connect(values["DATABASE"])
    applied = store.apply_migrations(db)
    click.echo(
        f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else "")
    )
