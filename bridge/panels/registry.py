"""Panel adapters by name, and the configured panels built from the config file.

Adding a panel: write ``bridge/panels/<name>.py`` with a :class:`~bridge.panels.base.Panel`
subclass and add it to :data:`ADAPTERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.panels.base import Panel
from bridge.panels.config import PanelConfigError, read_panel_config
from bridge.panels.generic import GenericPanel
from bridge.panels.whmcs import WhmcsPanel

ADAPTERS: dict[str, type[Panel]] = {"generic": GenericPanel, "whmcs": WhmcsPanel}


def load_panels(toml: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Panel]:
    """Every ``[panels.<name>]`` of the parsed config file as a Panel, secrets from ``env``.

    Raises :class:`~bridge.panels.config.PanelConfigError` naming the panel and key at fault.
    """
    tables = toml.get("panels") or {}
    if not isinstance(tables, Mapping):
        raise PanelConfigError("[panels] must be a table of [panels.<name>] tables")
    panels: dict[str, Panel] = {}
    for name, table in tables.items():
        if not isinstance(table, Mapping):
            raise PanelConfigError(f"[panels.{name}] must be a table")
        config = read_panel_config(str(name), table, env, tuple(ADAPTERS))
        panels[config.name] = ADAPTERS[config.adapter](config)
    return panels
