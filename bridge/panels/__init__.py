"""Billing panels: each adapter owns one panel's vocabulary, replies and API.

* :mod:`bridge.panels.base` — the :class:`Panel` interface provisioning talks to
  (read a hook into a Command, render a reply, write back, notify admins).
* :mod:`bridge.panels.config` — ``[panels.<name>]`` tables, secrets from the environment.
* :mod:`bridge.panels.registry` — adapters by name; :func:`load_panels`.
* :mod:`bridge.panels.whmcs`, :mod:`bridge.panels.generic` — the adapters.
* :mod:`bridge.panels.schemas` — the hook body JSON Schemas (shipped in the package).

Adapters never call Otwa and never write SQL.
"""

from __future__ import annotations

from bridge.panels.base import Notice, Panel, PanelRefused, PanelUnavailable, WriteBack
from bridge.panels.config import PanelConfig, PanelConfigError, env_name
from bridge.panels.registry import ADAPTERS, load_panels

__all__ = [
    "ADAPTERS",
    "Notice",
    "Panel",
    "PanelConfig",
    "PanelConfigError",
    "PanelRefused",
    "PanelUnavailable",
    "WriteBack",
    "env_name",
    "load_panels",
]
