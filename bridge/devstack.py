"""``otwa-bridge dev`` (what ``make run`` starts): sandbox, bridge, worker and a demo panel.

Everything runs on loopback: the sandbox, gunicorn and the worker as child processes of
this one, the demo panel (bridge.demopanel) as a thread of it, with the SQLite files
under ``var/`` (or wherever ``BRIDGE_DATABASE`` says). Secrets for the local panels (hook
secrets, the WHMCS API pair and the generic panel's webhook secret the demo panel checks)
and the SSO link secret are generated once into ``var/dev.env`` (0600) and reused, so a
``source var/dev.env`` makes ``otwa-bridge send`` work; SSO links point at the bridge's
own URL (``PUBLIC_BASE_URL``).

Every panel of the config that has no write-back target of its own is pointed at the
demo panel, in ``var/dev.toml`` (the config in use plus those URLs), so a new user sees an
order end: IP and credentials written back, printed to this console.

Before anything starts, every port is checked: a second ``dev`` (or anything else on those
ports) ends this one with one line, rather than a banner drawn from the other's answers.
If any child exits, the others are stopped and the command fails: a half-running stack is
worse than none.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import sys
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.files import write_private
from bridge.panels import env_name
from bridge.processes import Child, bridge_command
from bridge.signing import generate_secret
from bridge.sso.tokens import generate_secret as generate_sso_secret

DEFAULT_BIND = "127.0.0.1:8700"
DEV_ENV = Path("var/dev.env")
DEV_TOML = Path("var/dev.toml")
DEV_PANELS = ("WHMCS", "GENERIC")
SSO_SECRETS = "BRIDGE_SSO_SECRETS"
WHMCS_ADAPTER, GENERIC_ADAPTER = "whmcs", "generic"


def public_url(bind: str) -> str:
    """The bridge's URL for a ``host:port`` bind, as a browser on this machine reaches it
    (a wildcard bind is reached on loopback)."""
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 - naming the wildcard, not binding it
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def _token() -> str:
    return generate_secret().removeprefix("whsec_")[:32]


@dataclass
class DemoWiring:
    """How the config's panels reach the demo panel: the variables holding each WHMCS
    panel's API pair, each generic panel's webhook secret, and the config text with the
    demo panel's URLs added (None when no panel needs it)."""

    whmcs: dict[str, tuple[str, str]] = field(default_factory=dict)
    generic: dict[str, str] = field(default_factory=dict)
    config_text: str | None = None

    def wanted(self) -> dict[str, Callable[[], str]]:
        """Secrets to generate into var/dev.env for the wiring."""
        out: dict[str, Callable[[], str]] = {}
        for ident, secret in self.whmcs.values():
            out[ident], out[secret] = _token, _token
        for secret in self.generic.values():
            out[secret] = generate_secret
        return out


def demo_wiring(config_text: str, panel_url: str) -> DemoWiring:
    """The panels of ``config_text`` without a write-back target, pointed at the demo
    panel on ``panel_url``: a WHMCS panel gets ``api_url``, a generic one ``webhook_url``
    (inserted under its ``[panels.<name>]`` header; a panel written another way is left
    alone)."""
    from bridge.panels.registry import ADAPTERS

    wiring = DemoWiring()
    text = config_text
    panels = tomllib.loads(config_text).get("panels", {})
    for name, table in panels.items() if isinstance(panels, dict) else ():
        if not isinstance(table, dict):
            continue
        adapter = str(table.get("adapter") or (name if name in ADAPTERS else GENERIC_ADAPTER))
        header = re.compile(rf"(?m)^\[panels\.{re.escape(name)}\][ \t]*(#.*)?$")
        found = header.search(text)
        if found is None:
            continue
        if adapter == WHMCS_ADAPTER and not table.get("api_url"):
            line = f'api_url = "{panel_url}/includes/api.php"  # the demo panel (otwa-bridge dev)'
            wiring.whmcs[name] = (
                str(table.get("api_identifier_env") or env_name(name, "API_IDENTIFIER")),
                str(table.get("api_secret_env") or env_name(name, "API_SECRET")),
            )
        elif adapter == GENERIC_ADAPTER and not table.get("webhook_url"):
            line = f'webhook_url = "{panel_url}/hooks/{name}"  # the demo panel (otwa-bridge dev)'
            wiring.generic[name] = str(
                table.get("webhook_secret_env") or env_name(name, "WEBHOOK_SECRET")
            )
        else:
            continue
        text = text[: found.end()] + "\n" + line + text[found.end() :]
    if wiring.whmcs or wiring.generic:
        wiring.config_text = text
    return wiring


def dev_secrets(
    path: Path = DEV_ENV, more: Mapping[str, Callable[[], str]] | None = None
) -> dict[str, str]:
    """The dev secrets (hook secrets, SSO link secret, and ``more``), created on first use
    (a ``var/dev.env`` from an older version gains the new ones); existing environment
    values win."""
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            if name and value:
                values[name.strip()] = value.strip()
    wanted: dict[str, Callable[[], str]] = {
        f"BRIDGE_{panel}_HOOK_SECRETS": generate_secret for panel in DEV_PANELS
    }
    wanted[SSO_SECRETS] = generate_sso_secret
    wanted.update(more or {})
    changed = False
    for name, generate in wanted.items():
        if name not in values:
            values[name] = generate()
            changed = True
    if changed:
        write_private(path, "".join(f"export {k}={v}\n" for k, v in sorted(values.items())))
    return {k: os.environ.get(k, v) for k, v in values.items()}


def scaled_settings(time_scale: float) -> dict[str, str]:
    """Bridge settings matching a sandbox whose clock runs ``time_scale`` times faster."""
    if time_scale == 1:
        return {}
    return {
        "BRIDGE_OTWA_RATE_WINDOW": str(60 / time_scale),
        "BRIDGE_BUILD_MIN_SECONDS": str(60 / time_scale),
        "BRIDGE_BUILD_POLL_INTERVAL": str(max(10 / time_scale, 0.05)),
        "BRIDGE_OTWA_REPLAY_WINDOW": str(86400 / time_scale),
    }


class PortInUse(RuntimeError):
    """A port the stack needs is taken (another ``otwa-bridge dev``?)."""


def check_ports(ports: Mapping[str, tuple[str, int]]) -> None:
    """Raise PortInUse naming the first of ``ports`` (what -> (host, port)) that something
    already listens on."""
    for what, (host, port) in ports.items():
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            # As gunicorn binds: a port left in TIME_WAIT by a stopped stack is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host.strip("[]"), port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                raise PortInUse(
                    f"port {port} ({what}) is in use: is another `otwa-bridge dev` running? "
                    "Stop it, or pick other ports (--bind, --sandbox-port, --panel-port)."
                ) from None


@dataclass(frozen=True)
class Plan:
    """Where everything of one ``dev`` run goes."""

    bind: str
    sandbox_port: int
    panel_port: int
    time_scale: float
    workers: int
    database: str
    config: str  # the config in use, as the settings name it
    config_text: str

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def panel_url(self) -> str:
        return f"http://127.0.0.1:{self.panel_port}"


def run(plan: Plan) -> int:
    """Start the stack, print how to reach it, supervise until Ctrl-C or a child dies."""
    from bridge import demopanel

    host = plan.bind.rpartition(":")[0] or "127.0.0.1"
    try:
        check_ports({
            "the bridge": (host, int(plan.bind.rpartition(":")[2])),
            "the sandbox": ("127.0.0.1", plan.sandbox_port),
            "the demo panel": ("127.0.0.1", plan.panel_port),
        })  # fmt: skip
    except PortInUse as exc:
        print(f"otwa-bridge dev: {exc}", file=sys.stderr, flush=True)
        return 1
    wiring = demo_wiring(plan.config_text, plan.panel_url)
    secrets = dev_secrets(more=wiring.wanted())
    env: dict[str, str] = {
        "BRIDGE_OTWA_BASE_URL": f"{plan.sandbox_url}/api/v1",
        "BRIDGE_PUBLIC_BASE_URL": os.environ.get("BRIDGE_PUBLIC_BASE_URL") or public_url(plan.bind),
        **scaled_settings(plan.time_scale),
        **secrets,
    }
    config_shown = plan.config
    if wiring.config_text is not None:
        write_private(DEV_TOML, wiring.config_text)
        env["BRIDGE_CONFIG"] = str(DEV_TOML)
        config_shown = f"{DEV_TOML} ({plan.config} + the demo panel's URLs)"
    stop_panel = demopanel.serve_in_thread(
        demopanel.create_app(
            whmcs={name: (secrets[i], secrets[s]) for name, (i, s) in wiring.whmcs.items()},
            generic={name: secrets[var] for name, var in wiring.generic.items()},
            base_url=plan.panel_url,
            say=lambda line: print(line, flush=True),
        ),
        "127.0.0.1",
        plan.panel_port,
    )
    children: list[Child] = []

    def start(*args: str) -> Child:
        child = Child(bridge_command(*args), env=env).start()
        children.append(child)
        return child

    def stop_all(*_: object) -> None:
        for child in children:
            child.stop()
        stop_panel()

    def stop_and_exit(*_: object) -> None:
        stop_all()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop_and_exit)
    try:
        sandbox = start(
            "sandbox", "--port", str(plan.sandbox_port), "--time-scale", str(plan.time_scale)
        )
        sandbox.wait_http(f"{plan.sandbox_url}/_sandbox/state")
        migrate = start("migrate")
        assert migrate.popen is not None
        if migrate.popen.wait() != 0:
            return 1
        web = start("serve", "--bind", plan.bind, "--workers", str(plan.workers))
        start("worker")
        web.wait_http(f"{public_url(plan.bind)}/healthz", ok_only=True)
        if not all(child.alive for child in children if child is not migrate):
            raise RuntimeError("a process of the stack exited while starting")
        print(banner(plan, config_shown), flush=True)
        while all(child.alive for child in children if child is not migrate):
            time.sleep(0.5)
        dead = next(c for c in children if c is not migrate and not c.alive)
        print(f"otwa-bridge dev: {' '.join(map(str, dead.args))} exited; stopping", flush=True)
        return 1
    except (RuntimeError, TimeoutError) as exc:
        print(f"otwa-bridge dev: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all()


def _activate() -> str:
    """``source <venv>/bin/activate && `` for the virtualenv this bridge runs from (relative
    when it is below the current folder: ``.venv`` in a checkout), or nothing outside one,
    so the tour's commands find ``otwa-bridge`` however it was installed."""
    if sys.prefix == sys.base_prefix:
        return ""
    venv = Path(sys.prefix)
    try:
        venv = venv.relative_to(Path.cwd())
    except ValueError:
        pass
    return f"source {venv}/bin/activate && "


def banner(plan: Plan, config_shown: str) -> str:
    """The ready-to-paste instructions printed once the stack answers."""
    bridge_url = public_url(plan.bind)
    send = "otwa-bridge send" + ("" if plan.bind == DEFAULT_BIND else f" --url {bridge_url}")
    faster = (
        ""
        if plan.time_scale != 1
        else "\n  # a build takes 1-2 minutes at clock x1; with dev --time-scale 60"
        ' (make run ARGS="--time-scale 60"): seconds'
    )
    return f"""
otwa-bridge is running.

  bridge      {bridge_url}        (hooks: POST /v1/hooks/<panel>; /healthz, /readyz)
  sandbox     {plan.sandbox_url}/api/v1   (Otwa simulator, clock x{plan.time_scale:g}; /_sandbox)
  demo panel  {plan.panel_url}        (stands in for your panel: write-backs print here)
  database    {plan.database}
  config      {config_shown}
  secrets     {DEV_ENV}          (hook, panel and SSO link secrets generated for this machine)

Try it, in another shell:

  {_activate()}source {DEV_ENV}
  {send} --panel generic create --service demo-1 --product starter \\
      --client 7 --option os=ubuntu-24.04
  otwa-bridge ops list{faster}
  curl -s {plan.panel_url}/services/generic/demo-1       # once built: IP and credentials
  {send} --panel generic sso_link --service demo-1 --client 7
      # open the "url" of the reply in a browser: the server's page, logged in, once
  curl -s {plan.sandbox_url}/_sandbox/state | python -m json.tool | head -40

Ctrl-C stops everything.
"""


def plan_from(settings: Any, **options: Any) -> Plan:
    """A Plan for the loaded ``settings`` (their database and config) and the CLI options."""
    from bridge.settings import PACKAGED_CONFIG, packaged_config

    config = str(settings.config)
    text = packaged_config() if config == PACKAGED_CONFIG else Path(config).read_text()
    return Plan(database=str(settings.database), config=config, config_text=text, **options)
