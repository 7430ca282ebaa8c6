"""``otwa-bridge dev`` (what ``make run`` starts): sandbox, bridge and worker on one machine.

Everything runs as child processes of this one, on loopback, with the SQLite files under
``var/``. Hook secrets for the local panels and the SSO link secret are generated once into
``var/dev.env`` (mode 0600) and reused, so a ``source var/dev.env`` makes ``otwa-bridge
send`` work; SSO links point at the bridge's own URL (``PUBLIC_BASE_URL``). If any child
exits, the others are stopped and the command fails: a half-running stack is worse than none.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bridge.files import write_private
from bridge.processes import Child, bridge_command
from bridge.signing import generate_secret
from bridge.sso.tokens import generate_secret as generate_sso_secret

DEV_ENV = Path("var/dev.env")
DEV_PANELS = ("WHMCS", "GENERIC")
SSO_SECRETS = "BRIDGE_SSO_SECRETS"


def public_url(bind: str) -> str:
    """The bridge's URL for a ``host:port`` bind, as a browser on this machine reaches it
    (a wildcard bind is reached on loopback)."""
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 - naming the wildcard, not binding it
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def dev_secrets(path: Path = DEV_ENV) -> dict[str, str]:
    """The dev hook secrets and SSO link secret, created on first use (a ``var/dev.env``
    from before SSO links gains the new one); existing environment values win."""
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


def run(*, bind: str, sandbox_port: int, time_scale: float, workers: int) -> int:
    """Start the stack, print how to reach it, supervise until Ctrl-C or a child dies."""
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    env: dict[str, str] = {
        "BRIDGE_OTWA_BASE_URL": f"{sandbox_url}/api/v1",
        "BRIDGE_PUBLIC_BASE_URL": os.environ.get("BRIDGE_PUBLIC_BASE_URL") or public_url(bind),
        **scaled_settings(time_scale),
        **dev_secrets(),
    }
    children: list[Child] = []

    def start(*args: str) -> Child:
        child = Child(bridge_command(*args), env=env).start()
        children.append(child)
        return child

    def stop_all(*_: object) -> None:
        for child in children:
            child.stop()

    def stop_and_exit(*_: object) -> None:
        stop_all()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop_and_exit)
    try:
        sandbox = start("sandbox", "--port", str(sandbox_port), "--time-scale", str(time_scale))
        sandbox.wait_http(f"{sandbox_url}/_sandbox/state")
        migrate = start("migrate")
        assert migrate.popen is not None
        if migrate.popen.wait() != 0:
            return 1
        web = start("serve", "--bind", bind, "--workers", str(workers))
        start("worker")
        web.wait_http(f"http://{bind}/healthz", ok_only=True)
        print(banner(bind, sandbox_url), flush=True)
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


def banner(bind: str, sandbox_url: str) -> str:
    """The ready-to-paste instructions printed once the stack answers."""
    return f"""
otwa-bridge is running.

  bridge     http://{bind}        (hooks: POST /v1/hooks/<panel>; /healthz, /readyz)
  sandbox    {sandbox_url}/api/v1   (Otwa v1.9 simulator; control API under /_sandbox)
  database   var/bridge.sqlite
  secrets    var/dev.env          (hook and SSO link secrets generated for this machine)

Try it, in another shell:

  source .venv/bin/activate && source var/dev.env
  otwa-bridge send --panel generic create --service demo-1 --product starter \\
      --client 7 --option os=ubuntu-24.04
  otwa-bridge ops list
  otwa-bridge send --panel generic sso_link --service demo-1 --client 7   # once it is built:
      # open the "url" of the reply in a browser: the server's page, logged in, once
  curl -s {sandbox_url}/_sandbox/state | python -m json.tool | head -40

Ctrl-C stops everything.
"""
