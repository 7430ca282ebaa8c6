"""Running the bridge: ``serve``, ``worker``, ``dev``, ``sandbox``, ``migrate``."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from bridge.cli.common import build_bridge, fail

F = TypeVar("F", bound=Callable[..., Any])
# host:port, the host a name, an IPv4 address or a bracketed IPv6 one (as gunicorn takes it).
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$")


def _host_port(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a listen address gunicorn would retry for seconds and then give up on."""
    if value is None:
        return None
    match = _HOST_PORT.match(value)
    if match is None or not 0 < int(match.group(2)) < 65536:
        raise click.BadParameter(
            f"{value!r} is not host:port (for example 127.0.0.1:8700 or [::1]:8700)",
            param=param,
        )
    return value


def _bind_option(help_text: str) -> Callable[[F], F]:
    """``--bind host:port``, checked (serve and dev)."""
    return click.option(
        "--bind", default="127.0.0.1:8700", show_default=True, callback=_host_port, help=help_text
    )


# gunicorn worker processes (serve and dev).
_workers_option = click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes.",
)


@click.command()
@_bind_option("host:port to listen on.")
@_workers_option
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
    bridge = build_bridge()  # fail here, in one line, rather than in every gunicorn worker
    bridge.migrate()  # once, before the workers start (they find nothing left to do)
    binds = [bind]
    if bridge.settings.metrics_bind:
        if bridge.settings.metrics_bind == bind:
            fail(f"--metrics-bind {bind} is the public listener; give it its own port")
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


@click.command()
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


@click.command()
@_bind_option("Bridge host:port.")
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
@_workers_option
def dev(bind: str, sandbox_port: int, panel_port: int, time_scale: float, workers: int) -> None:
    """Run sandbox + bridge + worker + a demo panel together (what `make run` does);
    Ctrl-C stops all."""
    from bridge import devstack

    plan = devstack.plan_from(
        build_bridge().settings,
        bind=bind,
        sandbox_port=sandbox_port,
        panel_port=panel_port,
        time_scale=time_scale,
        workers=workers,
    )
    sys.exit(devstack.run(plan))


@click.command()
def migrate() -> None:
    """Apply pending database migrations."""
    applied = build_bridge().migrate()
    click.echo(
        f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else "")
    )


@click.command()
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

    bridge = build_bridge()
    configure_logging(bridge.settings.log_level)
    provisioning_worker.run(bridge, until_idle=until_idle, threads=threads)
