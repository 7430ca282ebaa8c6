"""Panel configuration: ``[panels.<name>]`` tables of the config file, secrets from the env.

A panel is named in the URL (``/v1/hooks/<panel>``). Secrets never live in the config file:
its tables name environment variables and :func:`read_panel_configs` reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bridge.logs import register_secret
from bridge.signing import decode_secret

PANEL_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,19}")
# Keys that would put a secret into the TOML file; refused so nobody commits one.
_SECRET_KEYS = (
    "secrets",
    "secret",
    "api_secret",
    "api_identifier",
    "api_access_key",
    "webhook_secret",
)


class PanelConfigError(ValueError):
    """config/bridge.toml (or the environment it names) is wrong; the message says where."""


@dataclass(frozen=True)
class PanelConfig:
    """One billing panel as configured. Secret fields are kept out of ``repr``.

    ``secrets``: accepted ``whsec_`` hook secrets, newest first (the first one signs
    ``otwa-bridge send``). ``api_*``: the WHMCS API for write-back (``includes/api.php``
    URL, API identifier, secret, optional access key). ``webhook_url`` and
    ``webhook_secret``: where the generic panel's outgoing signed webhooks go and the
    ``whsec_`` secret that signs them. ``notify_admins``: failures are reported to the
    panel's staff. ``welcome_email``: the WHMCS e-mail template sent once a new server's
    IP and credentials are written back. ``client_area_url``: where the SSO link pages send
    a customer back to (the panel's client area; ``http(s)``).
    """

    name: str
    adapter: str
    secrets: list[str] = field(default_factory=list, repr=False)
    secrets_env: str = ""
    api_url: str | None = None
    api_identifier: str | None = field(default=None, repr=False)
    api_secret: str | None = field(default=None, repr=False)
    api_access_key: str | None = field(default=None, repr=False)
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_secret_env: str = ""
    notify_admins: bool = False
    welcome_email: str | None = None
    client_area_url: str | None = None


def env_name(panel: str, what: str) -> str:
    """Default environment variable for a panel's value: ``BRIDGE_<PANEL>_<WHAT>``."""
    return f"BRIDGE_{panel.upper().replace('-', '_')}_{what}"


def _env_value(
    table: Mapping[str, Any], key: str, default_env: str, env: Mapping[str, str]
) -> tuple[str, str | None]:
    name = str(table.get(key + "_env") or default_env)
    value = env.get(name, "").strip()
    return name, (value or None)


def _url(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if not value:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise PanelConfigError(f"{where} {key} = {value!r}: give an http(s) URL")
    return value


def _client_area(table: Mapping[str, Any], where: str) -> str | None:
    """``client_area_url``: an absolute http(s) URL with a host, no user info (it becomes
    the "Back to your client area" button of every SSO page)."""
    url = _url(table, "client_area_url", where)
    if url is not None and "@" in urlsplit(url).netloc:
        raise PanelConfigError(f"{where} client_area_url = {url!r}: no user info in the URL")
    return url


def read_panel_config(
    name: str, table: Mapping[str, Any], env: Mapping[str, str], adapters: tuple[str, ...]
) -> PanelConfig:
    """``[panels.<name>]`` as a PanelConfig, secrets read from ``env``.

    Keys: ``adapter`` (one of ``adapters``; default: the panel's name when it is one, else
    "generic"), ``secrets_env`` (default ``BRIDGE_<NAME>_HOOK_SECRETS``: comma-separated
    ``whsec_`` secrets, newest first), ``api_url``, ``api_identifier_env``,
    ``api_secret_env``, ``api_access_key_env`` (defaults ``BRIDGE_<NAME>_API_IDENTIFIER``
    etc.), ``webhook_url``, ``webhook_secret_env`` (default ``BRIDGE_<NAME>_WEBHOOK_SECRET``),
    ``notify_admins``, ``welcome_email``, ``client_area_url``. Other keys (the products map)
    belong to bridge.catalog. Raises :class:`PanelConfigError` naming the panel and key at fault.
    """
    where = f"[panels.{name}]"
    if not PANEL_NAME.fullmatch(name):
        raise PanelConfigError(
            f"{where}: panel names are 1-20 of a-z 0-9 _ - (they appear in URLs and server labels)"
        )
    for key in _SECRET_KEYS:
        if key in table:
            env_key = ("secrets" if key == "secret" else key) + "_env"
            raise PanelConfigError(
                f"{where} {key}: secrets never go in the TOML file; name the environment "
                f"variable instead ({env_key} = ...)"
            )
    adapter = str(table.get("adapter") or (name if name in adapters else "generic"))
    if adapter not in adapters:
        raise PanelConfigError(f"{where} adapter = {adapter!r}: use one of {', '.join(adapters)}")
    secrets_env, raw = _env_value(table, "secrets", env_name(name, "HOOK_SECRETS"), env)
    secrets = [s.strip() for s in (raw or "").split(",") if s.strip()]
    for index, secret in enumerate(secrets):
        register_secret(secret)
        try:
            decode_secret(secret)
        except ValueError as exc:
            raise PanelConfigError(f"{secrets_env} entry {index + 1}: {exc}") from None
    creds: dict[str, str | None] = {}
    for what in ("api_identifier", "api_secret", "api_access_key"):
        _, value = _env_value(table, what, env_name(name, what.upper()), env)
        register_secret(value)
        creds[what] = value
    webhook_env, webhook_secret = _env_value(
        table, "webhook_secret", env_name(name, "WEBHOOK_SECRET"), env
    )
    if webhook_secret:
        register_secret(webhook_secret)
        try:
            decode_secret(webhook_secret)
        except ValueError as exc:
            raise PanelConfigError(f"{webhook_env}: {exc}") from None
    return PanelConfig(
        name=name,
        adapter=adapter,
        secrets=secrets,
        secrets_env=secrets_env,
        api_url=_url(table, "api_url", where),
        webhook_url=_url(table, "webhook_url", where),
        webhook_secret=webhook_secret,
        webhook_secret_env=webhook_env,
        notify_admins=bool(table.get("notify_admins", False)),
        welcome_email=str(table["welcome_email"]) if table.get("welcome_email") else None,
        client_area_url=_client_area(table, where),
        **creds,
    )
