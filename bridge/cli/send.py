"""``otwa-bridge send``: sign and send one hook, as a panel would."""

from __future__ import annotations

import json
import os
import sys
from typing import IO, TYPE_CHECKING, TypeVar

import click

from bridge.cli.common import build_bridge, fail
from bridge.commands import ACTIONS

if TYPE_CHECKING:
    pass

T = TypeVar("T")


SEND_EPILOG = (
    "ACTION is one of: "
    + ", ".join(ACTIONS)
    + ". test_connection needs no --service; every other action names the service."
)
NO_SERVICE_ACTIONS = ("test_connection",)


@click.command(epilog=SEND_EPILOG)
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

    configured = build_bridge().panel(panel)
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
        fail(f"no reply from {url}: {exc.__class__.__name__}: {exc}")
    note = f"HTTP {reply.status}" + (" (replayed)" if reply.replayed else "")
    click.echo(f"{note} request-id {reply.request_id}", err=True)
    click.echo(json.dumps(reply.body, indent=2, sort_keys=True))
    ok = isinstance(reply.body, dict) and reply.body.get("ok") is True
    sys.exit(0 if ok else 1)
