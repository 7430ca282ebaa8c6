"""Billing panels: their configuration and the adapters that read their hook bodies.

A panel is named in the URL (``/v1/hooks/<panel>``) and configured under ``[panels.<name>]``
in config/bridge.toml. Secrets never live in that file: the TOML names environment
variables and :func:`load_panels` reads them. Adapters only translate a panel's
vocabulary into :class:`bridge.provisioning.commands.Command`; they never call Otwa or
write SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.logs import register_secret
from bridge.signing import decode_secret

PANEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
ADAPTER_NAMES = ("whmcs", "generic")
# Keys that would put a secret into the TOML file; refused so nobody commits one.
_SECRET_KEYS = ("secrets", "secret", "api_secret", "api_identifier", "api_access_key")


class PanelConfigError(ValueError):
    """config/bridge.toml (or the environment it names) is wrong; the message says where."""


@dataclass(frozen=True)
class PanelConfig:
    """One billing panel as configured. Secret fields are kept out of ``repr``.

    ``secrets``: accepted ``whsec_`` hook secrets, newest first (the first one signs
    ``otwa-bridge send``). ``api_*``: the panel's API for write-back (WHMCS: the
    ``includes/api.php`` URL, API identifier, secret and optional access key); None
    when not configured. ``notify_admins``: write-back may also notify panel staff.
    ``welcome_email``: the panel's e-mail template sent once a new server's IP and
    credentials are written back (WHMCS ``SendEmail``), None to send none.
    """

    name: str
    adapter: str
    secrets: list[str] = field(default_factory=list, repr=False)
    api_url: str | None = None
    api_identifier: str | None = field(default=None, repr=False)
    api_secret: str | None = field(default=None, repr=False)
    api_access_key: str | None = field(default=None, repr=False)
    notify_admins: bool = False
    secrets_env: str = ""
    welcome_email: str | None = None


def env_name(panel: str, what: str) -> str:
    """Default environment variable for a panel's value: ``BRIDGE_<PANEL>_<WHAT>``."""
    return f"BRIDGE_{panel.upper().replace('-', '_')}_{what}"


def _env_value(
    table: Mapping[str, Any], key: str, default_env: str, env: Mapping[str, str]
) -> tuple[str, str | None]:
    name = str(table.get(key + "_env") or default_env)
    value = env.get(name, "").strip()
    return name, (value or None)


def load_panels(toml: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, PanelConfig]:
    """Every ``[panels.<name>]`` of the parsed TOML, secrets read from ``env``.

    Keys: ``adapter`` ("whmcs" | "generic"; default: the panel's name when it is an
    adapter, else "generic"), ``secrets_env`` (default ``BRIDGE_<NAME>_HOOK_SECRETS``:
    comma-separated ``whsec_`` secrets, newest first), ``api_url``, ``api_identifier_env``,
    ``api_secret_env``, ``api_access_key_env`` (defaults ``BRIDGE_<NAME>_API_IDENTIFIER``
    etc.), ``notify_admins``, ``welcome_email``. Other keys (products map) belong to bridge.catalog.
    Raises :class:`PanelConfigError` naming the panel and key at fault.
    """
    panels: dict[str, PanelConfig] = {}
    for name, table in (toml.get("panels") or {}).items():
        if not PANEL_NAME.match(name):
            raise PanelConfigError(
                f"[panels.{name}]: panel names are 1-20 of a-z 0-9 _ - (they appear in URLs "
                "and server labels)"
            )
        if not isinstance(table, Mapping):
            raise PanelConfigError(f"[panels.{name}] must be a table")
        for key in _SECRET_KEYS:
            if key in table:
                env_key = ("secrets" if key == "secret" else key) + "_env"
                raise PanelConfigError(
                    f"[panels.{name}] {key}: secrets never go in the TOML file; name the "
                    f"environment variable instead ({env_key} = ...)"
                )
        adapter = str(table.get("adapter") or (name if name in ADAPTER_NAMES else "generic"))
        if adapter not in ADAPTER_NAMES:
            raise PanelConfigError(
                f"[panels.{name}] adapter = {adapter!r}: use one of {', '.join(ADAPTER_NAMES)}"
            )
        secrets_env, raw = _env_value(table, "secrets", env_name(name, "HOOK_SECRETS"), env)
        secrets = [s.strip() for s in (raw or "").split(",") if s.strip()]
        for index, secret in enumerate(secrets):
            register_secret(secret)
            try:
                decode_secret(secret)
            except ValueError as exc:
                raise PanelConfigError(f"{secrets_env} entry {index + 1}: {exc}") from None
        creds = {}
        for what in ("api_identifier", "api_secret", "api_access_key"):
            _, value = _env_value(table, what, env_name(name, what.upper()), env)
            register_secret(value)
            creds[what] = value
        panels[name] = PanelConfig(
            name=name,
            adapter=adapter,
            secrets=secrets,
            api_url=str(table["api_url"]) if table.get("api_url") else None,
            notify_admins=bool(table.get("notify_admins", False)),
            secrets_env=secrets_env,
            welcome_email=str(table["welcome_email"]) if table.get("welcome_email") else None,
            **creds,
        )
    return panels
