"""Every setting the bridge reads, declared once: type, default, limits and help.

:class:`Settings` is the declaration (a frozen pydantic model: one field, one default, one
validator each). :func:`load` layers the sources, lowest to highest: the default, the
``[bridge]`` table of the TOML config file, the ``BRIDGE_<NAME>`` environment variable,
then a mapping passed in (``create_app(config)``, tests). Secrets are read from the
environment (or that mapping) only, never from the file. Anything wrong ends in one
:class:`SettingsError` whose message names the file and line, or the variable, and what
to send instead.

The config file is ``BRIDGE_CONFIG`` when set (it must exist), else ``config/bridge.toml``
when the working directory has one, else the example that ships inside the package, so
``otwa-bridge dev`` runs against the sandbox from anywhere.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bridge.sso.branding import DEFAULT_COLOR, Branding

ENV_PREFIX = "BRIDGE_"
DEFAULT_CONFIG_PATH = "config/bridge.toml"
PACKAGED_CONFIG = "packaged example (bridge/defaults/bridge.toml)"

Source = Literal["default", "toml", "env", "override"]


class SettingsError(ValueError):
    """A setting or the config file is wrong; the message is one line that says where."""


# bridge.sso.tokens.MIN_SECRET_LENGTH: the signer refuses shorter ones (tests keep them equal).
SSO_SECRET_MIN_LENGTH = 32
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _split_secrets(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


def public_base_problem(value: str) -> str | None:
    """Why ``value`` cannot be the bridge's public base URL; None when it can. It must be
    an absolute ``https`` URL (``http`` only on loopback, for development) with a host and
    no query, fragment or user info; a path prefix is fine (``https://h/bridge``)."""
    if not value.isascii() or any(c.isspace() or ord(c) < 0x20 for c in value):
        return "PUBLIC_BASE_URL must be a plain ASCII URL without spaces."
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "PUBLIC_BASE_URL does not parse as a URL."
    host = parts.hostname or ""
    if not host or "@" in parts.netloc or parts.query or parts.fragment:
        return "PUBLIC_BASE_URL must be scheme://host[:port][/path], nothing more."
    if parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK):
        return None
    return "PUBLIC_BASE_URL must be https (http only on loopback, for development)."


class Settings(BaseModel):
    """The bridge's settings. Field names are the setting names in lower case; the
    environment variable is ``BRIDGE_`` + the name in upper case. ``description`` is the
    help text shown by ``otwa-bridge settings`` and in docs/settings.md."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    config: str = Field(
        DEFAULT_CONFIG_PATH, description="Path of the TOML config (products map, panels)."
    )
    database: str = Field(
        "var/bridge.sqlite",
        min_length=1,
        description="SQLite file holding operations, jobs and the ledger.",
    )
    # -- Otwa ---------------------------------------------------------------------------
    otwa_base_url: str = Field(
        "http://127.0.0.1:8780/api/v1",
        pattern=r"^https?://[^\s/]+(/\S*)?$",  # Rust regex: $ is the very end
        description="Otwa API base URL (sandbox by default; https://otwa.cloud/api/v1 live).",
    )
    otwa_api_key: SecretStr = Field(
        SecretStr("otwa_sandbox_default"),
        min_length=1,
        description="Everyday Otwa key (default scopes, no servers:destroy).",
    )
    otwa_destroy_key: SecretStr = Field(
        SecretStr("otwa_sandbox_destroy"),
        min_length=1,
        description="Separate Otwa key holding servers:destroy, used only for terminate and "
        "reinstall.",
    )
    otwa_timeout: float = Field(10.0, gt=0, description="Seconds before an Otwa request times out.")
    otwa_max_retries: int = Field(
        4, ge=0, le=20, description="Retries of one Otwa call for transient failures."
    )
    otwa_rate_limit: int = Field(
        90,
        ge=1,
        description="Fallback: Otwa requests per window for all processes while Otwa's "
        "rate-limit headers are unknown or stale (otherwise the budget spends what Otwa says "
        "is left).",
    )
    otwa_rate_window: float = Field(
        60.0, gt=0, description="Length in seconds of the Otwa rate-limit window."
    )
    otwa_rate_reserve: int = Field(
        2,
        ge=0,
        description="Slots per window that background work (creates, polls) leaves for "
        "interactive calls (SSO, client area); more while clicks need them.",
    )
    otwa_rate_margin: int = Field(
        2,
        ge=0,
        le=50,
        description="Slots of Otwa's X-RateLimit-Remaining never spent: room for requests no "
        "answer has shown yet (another user of the key, clock skew).",
    )
    otwa_budget_path: str = Field(
        "var/otwa-budget.sqlite",
        min_length=1,
        description="SQLite file of the rate-limit budget shared by every process on the machine.",
    )
    otwa_replay_window: float = Field(
        86400.0, gt=0, description="Otwa's Idempotency-Key replay window, s."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Log level of the bridge's structured logs."
    )
    # -- hook intake (bridge.web.hooks; docs/hooks.md) ----------------------------------
    hook_max_bytes: int = Field(
        65536,
        ge=1024,
        le=16 * 1024 * 1024,
        description="Largest hook body accepted (bytes); larger is 413.",
    )
    hook_tolerance: int = Field(
        300, ge=1, le=86400, description="Allowed webhook-timestamp skew, both directions, s."
    )
    hook_dedupe_seconds: int = Field(
        30 * 86400,
        ge=86400,
        description="How long a webhook-id is remembered (replays answered, never redone), s. "
        "The worker prunes older ones hourly.",
    )
    # -- provisioning (bridge.provisioning; docs/provisioning.md) -----------------------
    inline_deadline: float = Field(
        2.0, gt=0, le=30, description="Seconds a hook waits for its Otwa call before queueing."
    )
    inline_hold_seconds: float = Field(
        5.0,
        ge=0,
        description="How long the worker leaves a just-recorded job to the hook's inline attempt.",
    )
    build_min_seconds: float = Field(
        60.0, ge=0, description="No build can finish sooner: first poll delay, s."
    )
    build_poll_interval: float = Field(
        10.0, gt=0, description="Seconds between batch polls of building servers."
    )
    job_lease_seconds: float = Field(
        120.0, gt=0, description="A job's lease; a dead worker's job returns after."
    )
    job_max_attempts: int = Field(
        10, ge=1, description="Attempts of one job before it is dead-lettered."
    )
    job_backoff_base: float = Field(
        2.0, gt=0, description="Base of the capped exponential retry backoff, s."
    )
    job_backoff_cap: float = Field(
        600.0, gt=0, description="Cap of the retry backoff (full jitter below it), s."
    )
    worker_idle_seconds: float = Field(0.5, gt=0, description="Worker sleep when no job is due, s.")
    terminate_grace_seconds: float = Field(
        0.0, ge=0, description="Default stop-then-destroy delay of terminate, s."
    )
    writeback_timeout: float = Field(
        10.0, gt=0, description="Seconds before a panel API call times out."
    )
    # -- SSO links (bridge.sso; docs/sso.md) --------------------------------------------
    sso_link_ttl: int = Field(
        600,
        ge=1,
        le=86400,
        description="Seconds an sso_link stays valid before its first click (1 s to 1 day).",
    )
    sso_secrets: SecretStr = Field(
        SecretStr(""),
        description="Signing secrets of SSO links, comma-separated, newest first (the first "
        f"signs, all verify), each at least {SSO_SECRET_MIN_LENGTH} characters. Empty: "
        "sso_link answers 503 sso_not_configured and every click gets the invalid page.",
    )
    public_base_url: str = Field(
        "",
        description="The bridge's URL as customers' browsers reach it: every SSO link is this "
        "URL + /sso/ + a token. https (http only on loopback). Empty: sso_link answers 503 "
        "sso_not_configured.",
    )
    brand_name: str = Field(
        "Control panel",
        description="The reseller's name on the SSO pages a customer may see (1-80 printable "
        "characters).",
    )
    brand_logo_url: str = Field(
        "",
        description="https URL of the reseller's logo on the SSO pages (shown instead of the "
        "name); empty for none.",
    )
    brand_color: str = Field(
        DEFAULT_COLOR, description="Accent colour of the SSO pages, #rgb or #rrggbb."
    )
    brand_show_provider: bool = Field(
        False,
        description="Say 'powered by Otwa Cloud' on the SSO pages (off: Otwa is never named).",
    )
    # -- WHMCS and client-area reads --------------------------------------------------
    read_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long an Otwa read (a server, its live stats, the server list) is "
        "shared by every page view and process, s; 0 asks Otwa each time.",
    )
    read_timeout: float = Field(
        5.0,
        gt=0,
        le=30,
        description="Seconds a read hook (status, usage, reconcile...) waits for Otwa, its "
        "budget slot included, before answering 503 otwa_unavailable.",
    )
    stats_history_samples: int = Field(
        30,
        ge=0,
        le=1000,
        description="Live samples kept per server for the client area's charts (one per "
        "read, at most one per read_cache_seconds).",
    )

    @field_validator("sso_secrets")
    @classmethod
    def _sso_secrets_long_enough(cls, value: SecretStr) -> SecretStr:
        for index, secret in enumerate(_split_secrets(value.get_secret_value()), start=1):
            if len(secret) < SSO_SECRET_MIN_LENGTH:
                raise ValueError(
                    f"entry {index} is shorter than {SSO_SECRET_MIN_LENGTH} characters; make "
                    'one with python -c "from bridge.sso.tokens import generate_secret; '
                    'print(generate_secret())"'
                )
        return value

    @field_validator("brand_name", "brand_logo_url", "brand_color")
    @classmethod
    def _brand(cls, value: str, info: ValidationInfo) -> str:
        """The pages' own rules (bridge.sso.branding), applied when the settings load."""
        field = {"brand_name": "name", "brand_logo_url": "logo_url", "brand_color": "color"}
        given: dict[str, Any] = {"name": "-", field[str(info.field_name)]: value}
        if info.field_name == "brand_logo_url" and not value:
            given["logo_url"] = None
        try:
            Branding(**given)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        return value.strip() if info.field_name == "brand_name" else value

    @field_validator("public_base_url")
    @classmethod
    def _public_base(cls, value: str) -> str:
        problem = public_base_problem(value) if value else None
        if problem:
            raise ValueError(problem)
        return value

    # -- admin console and metrics (bridge.web.admin; docs/operations.md) ---------------
    admin_password_hash: SecretStr = Field(
        SecretStr(""),
        description="Argon2id hash of the admin console password (make one with "
        "`otwa-bridge admin hash-password`); empty: no password login.",
    )
    admin_session_key: SecretStr = Field(
        SecretStr(""),
        description="Key signing admin session cookies (32+ random bytes); empty: a random "
        "key kept in the database, shared by every worker.",
    )
    admin_session_idle_seconds: int = Field(
        1800, ge=60, le=86400, description="An admin session ends after this long unused, s."
    )
    admin_session_max_seconds: int = Field(
        43200, ge=300, le=30 * 86400, description="An admin session ends this long after login, s."
    )
    admin_login_window_seconds: int = Field(
        900, ge=60, le=86400, description="Window in which failed admin logins are counted, s."
    )
    admin_login_max_per_address: int = Field(
        5, ge=1, description="Failed admin logins per client address and window before 429."
    )
    admin_login_max_global: int = Field(
        50, ge=1, description="Failed admin logins from all addresses per window before 429."
    )
    admin_proxy_user_header: str = Field(
        "",
        pattern=r"^([A-Za-z0-9-]{1,64})?$",
        description="Header an authenticating proxy sets to the signed-in user (e.g. "
        "X-Forwarded-User); trusted only from TRUSTED_PROXIES. Empty: off.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For/-Proto (and proxy user header) are believed. Empty: none.",
    )
    metrics_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token a Prometheus scrape of /metrics must send; empty: no token.",
    )
    metrics_bind: str = Field(
        "",
        pattern=r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$|^$",
        description="host:port of a separate listener serving only /metrics (otwa-bridge "
        "serve adds it); the public listener then has no /metrics. Empty: none.",
    )
    prune_after_days: float = Field(
        90.0,
        ge=0,
        description="Finished operations (and their jobs and history) older than this are "
        "pruned by the worker; 0 keeps them forever. Open ones, and ones a remembered hook "
        "or a service's current create needs, are kept.",
    )

    def sso_secret_list(self) -> list[str]:
        """The SSO link secrets, newest first; empty when none are set."""
        return _split_secrets(self.sso_secrets.get_secret_value())

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if part:
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    raise ValueError(
                        f"{part!r} is not an address or network; give e.g. 127.0.0.1,10.0.0.0/8,::1"
                    ) from None
        return value

    @field_validator("admin_password_hash")
    @classmethod
    def _argon2_hash(cls, value: SecretStr) -> SecretStr:
        hashed = value.get_secret_value()
        if hashed and not hashed.startswith("$argon2id$"):
            raise ValueError(
                "give an Argon2id hash ($argon2id$...) made by `otwa-bridge admin "
                "hash-password`, not the password itself"
            )
        return value

    # -- the ledger (bridge.ledger; docs/ledger.md) -------------------------------------
    ledger_enabled: bool = Field(
        True,
        description="Keep the books: invoice hooks book revenue, creates, add-ons and "
        "renewals book Otwa's charges, the worker samples the wallet. Off: invoice hooks "
        "are refused (503 ledger_disabled) and nothing is booked.",
    )
    ledger_currency: str = Field(
        "USD",
        pattern=r"^[A-Z]{3}$",
        description="Currency of the Otwa wallet and its charges (ISO 4217).",
    )
    ledger_sample_interval: float = Field(
        300.0,
        gt=0,
        description="Seconds between the worker's wallet samples (GET /account, inside the "
        "shared budget), renewal checks and runway alerts.",
    )
    ledger_runway_alert_days: int = Field(
        7,
        ge=0,
        le=365,
        description="Tell the panels' admins (once per date) when the wallet will fail a "
        "renewal within this many days; 0 switches the alert off.",
    )
    ledger_topup_days: int = Field(
        30,
        ge=1,
        le=366,
        description="Horizon of the top-up `ledger runway` and /admin suggest, in days.",
    )
    ledger_rates: str = Field(
        "",
        pattern=r"^([A-Z]{3}=[0-9]+(\.[0-9]+)?(,[A-Z]{3}=[0-9]+(\.[0-9]+)?)*)?$",
        description="Rates converting other currencies into LEDGER_CURRENCY for the "
        "report's converted total, e.g. EUR=1.085,GBP=1.27. Empty: never converted.",
    )
    # -- the edge (docs/operations.md) ------------------------------------------------------
    body_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a request body may take to arrive in full at gunicorn; slower "
        "ones are answered 408 and cut off. The guard for gunicorn facing clients itself "
        "(dev only): behind nginx, bodies arrive whole and nginx's client_body_timeout applies.",
    )

    @model_validator(mode="before")
    @classmethod
    def _reserve_fits_the_limit(cls, data: Any) -> Any:
        """An unset reserve never exceeds a small fallback limit (one slot below it)."""
        if isinstance(data, dict) and data.get("otwa_rate_reserve") in (None, ""):
            try:
                limit = int(data.get("otwa_rate_limit", 90))
            except (TypeError, ValueError):
                return data  # the limit's own error is reported
            data = {**data, "otwa_rate_reserve": max(0, min(2, limit - 1))}
        return data

    @model_validator(mode="after")
    def _reserve_below_limit(self) -> Settings:
        if self.otwa_rate_reserve >= self.otwa_rate_limit:
            raise ValueError(
                f"otwa_rate_reserve ({self.otwa_rate_reserve}) must be below otwa_rate_limit "
                f"({self.otwa_rate_limit})"
            )
        return self


SECRETS = frozenset(name for name, f in Settings.model_fields.items() if f.annotation is SecretStr)


def env_var(name: str) -> str:
    """The environment variable of setting ``name``: ``BRIDGE_<NAME>``."""
    return ENV_PREFIX + name.upper()


@dataclass(frozen=True)
class LoadedSettings:
    """What :func:`load` found: the settings, where each came from, the parsed config file
    (panels and products map live there) and any undeclared override keys (``TESTING``)."""

    settings: Settings
    sources: Mapping[str, Source]
    config_path: str
    toml: Mapping[str, Any]
    extras: Mapping[str, Any] = field(default_factory=dict)


def packaged_config() -> str:
    """The example config shipped in the package (a sandbox set-up with two panels)."""
    return (resources.files("bridge") / "defaults" / "bridge.toml").read_text(encoding="utf-8")


def _read_toml(path: str | None) -> tuple[str, dict[str, Any]]:
    if path is None:
        text, shown = packaged_config(), PACKAGED_CONFIG
    else:
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SettingsError(
                f"config file {path} does not exist (named by BRIDGE_CONFIG); fix the path or "
                f"unset BRIDGE_CONFIG to use {DEFAULT_CONFIG_PATH}"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"config file {path} cannot be read: {exc}") from None
        shown = path
    try:
        return shown, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{shown}: invalid TOML: {exc}") from None


def _config_path(overrides: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    named = overrides.get("config") or env.get(env_var("config"))
    if named:
        return str(named)
    return DEFAULT_CONFIG_PATH if Path(DEFAULT_CONFIG_PATH).is_file() else None


def _file_values(shown: str, toml: Mapping[str, Any]) -> dict[str, Any]:
    table = toml.get("bridge", {})
    if not isinstance(table, Mapping):
        raise SettingsError(f"{shown}: [bridge] must be a table of settings")
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = str(key).lower()
        if name not in Settings.model_fields or name == "config":
            close = difflib.get_close_matches(name, list(Settings.model_fields), n=1)
            hint = f"; did you mean {close[0]}?" if close else "; see docs/settings.md"
            raise SettingsError(f"{shown}: [bridge] {key}: no such setting{hint}")
        if name in SECRETS:
            raise SettingsError(
                f"{shown}: [bridge] {key}: secrets are read from the environment only; "
                f"set {env_var(name)} instead"
            )
        values[name] = value
    return values


def load(
    overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> LoadedSettings:
    """The effective settings from every layer (see the module docstring).

    ``overrides`` keys may be upper or lower case; undeclared ones are returned as
    ``extras``. Raises :class:`SettingsError` (one line) when anything is wrong.
    """
    env = os.environ if env is None else env
    given: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        name = str(key).lower()
        if name in Settings.model_fields:
            given[name] = value
        else:
            extras[key] = value
    path = _config_path(given, env)
    shown, toml = _read_toml(path)
    raw: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for name, value in _file_values(shown, toml).items():
        raw[name], sources[name] = value, "toml"
    for name in Settings.model_fields:
        if env_var(name) in env:
            raw[name], sources[name] = env[env_var(name)], "env"
    for name, value in given.items():
        raw[name], sources[name] = value, "override"
    raw["config"] = shown
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, raw, sources, shown)) from None
    full = {name: sources.get(name, "default") for name in Settings.model_fields}
    return LoadedSettings(settings, full, shown, toml, extras)


# What to send instead, for settings whose pydantic pattern message would be a regex.
_PATTERN_HINTS = {
    "otwa_base_url": "give an http(s) URL with no spaces, e.g. https://otwa.cloud/api/v1",
}


def _describe(
    exc: ValidationError, raw: Mapping[str, Any], sources: Mapping[str, Source], shown: str
) -> str:
    """The first validation error as one line naming where the bad value came from."""
    error = exc.errors(include_url=False)[0]
    name = str(error["loc"][0]) if error["loc"] else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch" and name in _PATTERN_HINTS:
        message = _PATTERN_HINTS[name]
    if error["type"] == "string_pattern_mismatch" and name.endswith("_url"):
        message = "give an http(s) URL with no spaces, e.g. https://otwa.cloud/api/v1"
    if error["type"] == "string_pattern_mismatch" and name.endswith("_bind"):
        message = "give host:port, e.g. 127.0.0.1:9700"
    if error["type"] == "string_pattern_mismatch" and name.endswith("_header"):
        message = "give a header name (letters, digits and -), e.g. X-Forwarded-User"
    if not name:
        return f"settings: {message}"
    value = "***" if name in SECRETS else repr(raw.get(name))
    where = {
        "env": env_var(name),
        "toml": f"{shown} [bridge] {name}",
        "override": name.upper(),
    }.get(sources.get(name, "default"), f"{env_var(name)} (default)")
    return f"{where}={value}: {message}"


def shown_value(settings: Settings, name: str) -> str:
    """The value of ``name`` for display: secrets masked, strings bare."""
    value = getattr(settings, name)
    if name in SECRETS:
        return "***" if value.get_secret_value() else ""
    return str(value)


def markdown_table() -> str:
    """docs/settings.md's table, generated from the declarations (a test keeps it current)."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, f in Settings.model_fields.items():
        default = f.default.get_secret_value() if isinstance(f.default, SecretStr) else f.default
        if default == "":
            shown = "*(empty)*"
        else:
            shown = f"`{default}`"
        secret = " *(secret: environment only)*" if name in SECRETS else ""
        rows.append(f"| `{env_var(name)}` | {shown} | {f.description}{secret} |")
    return "\n".join(rows) + "\n"
