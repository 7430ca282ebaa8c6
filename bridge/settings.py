"""Every setting the bridge reads, declared once: name, default, help.

Layering, lowest to highest: the defaults below, the ``[bridge]`` table of the TOML
config file (``BRIDGE_CONFIG``, default ``config/bridge.toml`` when it exists),
``BRIDGE_<NAME>`` environment variables, then the mapping passed to ``create_app``.
Secrets are only ever taken from the environment or that mapping, never logged.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "BRIDGE_"
DEFAULT_CONFIG_PATH = "config/bridge.toml"


@dataclass(frozen=True)
class Setting:
    """One declared setting. ``secret`` ones are redacted wherever settings are shown."""

    name: str
    default: Any
    help: str
    cast: Callable[[Any], Any] = str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("CONFIG", DEFAULT_CONFIG_PATH, "Path of the TOML config (products map, panels)."),
    Setting(
        "DATABASE", "var/bridge.sqlite", "SQLite file holding operations, jobs and the ledger."
    ),
    Setting(
        "OTWA_BASE_URL", "http://127.0.0.1:8780/api/v1", "Otwa API base URL (sandbox by default)."
    ),
    Setting(
        "OTWA_API_KEY",
        "otwa_sandbox_default",
        "Everyday Otwa key (default scopes, no servers:destroy).",
        secret=True,
    ),
    Setting(
        "OTWA_DESTROY_KEY",
        "otwa_sandbox_destroy",
        "Separate Otwa key holding servers:destroy, used only for terminate and reinstall.",
        secret=True,
    ),
    Setting("OTWA_TIMEOUT", 10.0, "Seconds before an Otwa request times out.", float),
    Setting("OTWA_MAX_RETRIES", 4, "Retries of one Otwa call for transient failures.", int),
    Setting("OTWA_RATE_LIMIT", 90, "Otwa requests per window shared by all processes.", int),
    Setting("OTWA_RATE_WINDOW", 60.0, "Length in seconds of the Otwa rate-limit window.", float),
    Setting(
        "OTWA_RATE_RESERVE",
        None,
        "Budget slots only interactive calls (SSO, status) may take; default 10 % of the limit.",
        int,
    ),
    Setting(
        "OTWA_BUDGET_PATH",
        "var/otwa-budget.sqlite",
        "SQLite file of the rate-limit budget shared by every process on the machine.",
    ),
    Setting("LOG_LEVEL", "INFO", "Log level of the bridge's structured logs."),
    # -- hook intake (bridge.web.hooks; docs/hooks.md) --
    Setting("HOOK_MAX_BYTES", 65536, "Largest hook body accepted (bytes); larger is 413.", int),
    Setting("HOOK_TOLERANCE", 300, "Allowed webhook-timestamp skew, both directions, s.", int),
    Setting(
        "HOOK_DEDUPE_SECONDS",
        30 * 86400,
        "How long a webhook-id is remembered (replays answered, never redone), s.",
        int,
    ),
    # -- provisioning (bridge.provisioning; docs/provisioning.md) --
    Setting(
        "INLINE_DEADLINE", 2.0, "Seconds a hook waits for its Otwa call before queueing.", float
    ),
    Setting(
        "INLINE_HOLD_SECONDS",
        5.0,
        "How long the worker leaves a just-recorded job to the hook's inline attempt.",
        float,
    ),
    Setting("OTWA_REPLAY_WINDOW", 86400.0, "Otwa's Idempotency-Key replay window, s.", float),
    Setting("BUILD_MIN_SECONDS", 60.0, "No build can finish sooner: first poll delay, s.", float),
    Setting("BUILD_POLL_INTERVAL", 10.0, "Seconds between batch polls of building servers.", float),
    Setting("JOB_LEASE_SECONDS", 120.0, "A job's lease; a dead worker's job returns after.", float),
    Setting("JOB_MAX_ATTEMPTS", 10, "Attempts of one job before it is dead-lettered.", int),
    Setting("JOB_BACKOFF_BASE", 2.0, "Base of the capped exponential retry backoff, s.", float),
    Setting("JOB_BACKOFF_CAP", 600.0, "Cap of the retry backoff (full jitter below it), s.", float),
    Setting("WORKER_IDLE_SECONDS", 0.5, "Worker sleep when no job is due, s.", float),
    Setting("TERMINATE_GRACE_SECONDS", 0.0, "Default stop-then-destroy delay of terminate.", float),
    Setting("WRITEBACK_TIMEOUT", 10.0, "Seconds before a panel API call times out.", float),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def _config_table(path: str) -> dict[str, Any]:
    file = Path(path)
    if not file.is_file():
        return {}
    with file.open("rb") as fh:
        return tomllib.load(fh)


def load(
    overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return the effective settings (declared names only, cast) plus ``TOML``: the parsed file."""
    env = os.environ if env is None else env
    overrides = dict(overrides or {})
    config_path = overrides.get("CONFIG") or env.get(ENV_PREFIX + "CONFIG") or DEFAULT_CONFIG_PATH
    toml = _config_table(str(config_path))
    from_file = {k.upper(): v for k, v in toml.get("bridge", {}).items()}
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw: Any = setting.default
        if setting.name in from_file and not setting.secret:
            raw = from_file[setting.name]
        if ENV_PREFIX + setting.name in env:
            raw = env[ENV_PREFIX + setting.name]
        if setting.name in overrides:
            raw = overrides.pop(setting.name)
        values[setting.name] = setting.cast(raw) if raw is not None else None
    values["CONFIG"] = str(config_path)
    values["TOML"] = toml
    values.update(overrides)  # undeclared extras (e.g. TESTING) pass through untouched
    return values


def describe(values: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(name, shown value, help) for each declared setting, secrets masked."""
    rows = []
    for s in SETTINGS:
        shown = "***" if s.secret and values.get(s.name) else repr(values.get(s.name))
        rows.append((s.name, shown, s.help))
    return rows
