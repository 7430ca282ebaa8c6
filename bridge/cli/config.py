"""What the bridge is set up with: ``settings``, ``check-config``, ``openapi``."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, TypeVar

import click

from bridge.cli.common import build_bridge, fail

if TYPE_CHECKING:
    pass

T = TypeVar("T")


@click.command("settings")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="markdown prints the reference table of docs/settings.md.",
)
def show_settings(fmt: str) -> None:
    """Every setting: the variable to set, its effective value (secrets masked) and where
    it came from (default, toml, env)."""
    from bridge import settings as declared

    if fmt == "markdown":
        click.echo(declared.markdown_table(), nl=False)
        return
    bridge = build_bridge()
    rows = [
        {
            "variable": declared.env_var(name),
            "value": declared.shown_value(bridge.settings, name),
            "source": bridge.sources[name],
            "help": field.description or "",
        }
        for name, field in declared.Settings.model_fields.items()
    ]
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row, sort_keys=True))
        return
    click.echo(f"config file: {bridge.settings.config}")
    click.echo(f"{'VARIABLE':<32} {'VALUE':<36} {'FROM':<8} HELP")
    for row in rows:
        click.echo(f"{row['variable']:<32} {row['value']:<36} {row['source']:<8} {row['help']}")


@click.command("openapi")
def openapi_document() -> None:
    """Print the bridge's OpenAPI 3.1 document (what GET /openapi.json serves; the
    checked-in copy is docs/openapi.json)."""
    from bridge.web import openapi

    click.echo(openapi.text(), nl=False)


@click.command("check-config")
def check_config() -> None:
    """Validate config/bridge.toml (panels, products map) against the live Otwa catalog.

    Prints each problem and exits 1 if there is any; exits 2 when the config cannot be
    read or Otwa cannot be asked.
    """
    from bridge.otwa.errors import OtwaError

    bridge = build_bridge()
    click.echo(f"config: {bridge.settings.config}", err=True)
    problems: list[str] = []
    if not bridge.panels:
        problems.append("no [panels.<name>] is configured: every hook would be refused")
    for panel in bridge.panels.values():
        if not panel.config.secrets:
            problems.append(
                f"panel {panel.name}: {panel.config.secrets_env} is not set; its hooks are refused"
            )
    client = bridge.client()
    click.echo(f"fetching the live catalog from {bridge.settings.otwa_base_url} ...", err=True)
    try:
        products, regions, templates = client.products(), client.regions(), client.os_templates()
    except OtwaError as exc:
        fail(f"cannot read the Otwa catalog: {exc}")
    problems += bridge.catalog.check(products, regions, templates)
    for problem in problems:
        click.echo(f"problem: {problem}")
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    mapped = sum(len(p.products) for p in bridge.catalog.panels.values())
    click.echo(
        f"ok: {len(bridge.panels)} panel(s), {mapped} product(s) mapped; Otwa offers "
        f"{len(products)} plans, {len(regions)} regions, {len(templates)} OS templates"
    )
