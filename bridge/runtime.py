"""The Bridge: everything one process works with, built once from the settings.

``create_app`` keeps it on the Flask app (``app.extensions["otwa_bridge"]``); the worker and
every CLI command build the same object the same way (:func:`build`); a job's context
carries it. Nothing below reads settings by name: this module turns settings into the
objects the rest of the bridge takes (Otwa clients, the shared budget, panels, the products
map, the clock).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from bridge import store
from bridge.access.migrations import migrations as admin_tables
from bridge.catalog import Catalog, CatalogConfigError
from bridge.clock import Clock, SystemClock
from bridge.ledger.migrations import migrations as ledger_tables
from bridge.logs import register_secret
from bridge.otwa import Budget, OtwaClient
from bridge.otwa.plans import PlanCache
from bridge.panels import Panel, PanelConfigError, load_panels
from bridge.settings import LoadedSettings, Settings, SettingsError, Source, load
from bridge.sso.migrations import migrations as sso_tables
from bridge.store.migrations import migrations as core_tables
from bridge.store.plans import DatabasePlans

EXTENSION = "otwa_bridge"
# Every area's schema history, applied in this order (docs/architecture.md, SQLite rules).
MIGRATIONS = (core_tables, sso_tables, ledger_tables, admin_tables)


class ConfigError(SettingsError):
    """The config file's panels or products map are wrong; one line naming file and key."""


@dataclass(frozen=True, eq=False)
class Bridge:
    """One process's bridge. Immutable; share it freely between threads."""

    settings: Settings
    sources: Mapping[str, Source]
    catalog: Catalog
    panels: Mapping[str, Panel]
    otwa: OtwaClient
    otwa_destroy: OtwaClient
    budget: Budget
    plans: PlanCache
    clock: Clock
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Bridge(database={self.database!r}, panels={sorted(self.panels)})"

    @property
    def database(self) -> str:
        """Path of the SQLite file (operations, jobs, hooks, ledger)."""
        return self.settings.database

    def db(self) -> sqlite_utils.Database:
        """This thread's connection (opened once per thread, reused; never close it)."""
        return store.thread_db(self.database)

    def connect(self) -> sqlite_utils.Database:
        """A new connection of the caller's own (close it)."""
        return store.connect(self.database)

    def migrate(self) -> list[str]:
        """Apply every area's pending migrations; the names applied."""
        db = store.connect(self.database)
        try:
            return store.apply_migrations(db, MIGRATIONS)
        finally:
            db.close()

    def pending_migrations(self, db: sqlite_utils.Database) -> list[str]:
        """Names of migrations not yet applied, of every area (read-only)."""
        return store.pending_migrations(db, MIGRATIONS)

    def panel(self, name: str) -> Panel | None:
        """The configured panel called ``name``, or None."""
        return self.panels.get(name)

    def client(self, *, destroy: bool = False) -> OtwaClient:
        """The process's Otwa client for the everyday (or the destroy) key."""
        return self.otwa_destroy if destroy else self.otwa


def build(
    overrides: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> Bridge:
    """The Bridge for these settings (see :func:`bridge.settings.load` for the layers).

    Raises :class:`~bridge.settings.SettingsError` (or its :class:`ConfigError`) with one
    line naming what is wrong.
    """
    env = os.environ if env is None else env
    return from_settings(load(overrides, env), env=env, clock=clock)


def from_settings(
    loaded: LoadedSettings, *, env: Mapping[str, str], clock: Clock | None = None
) -> Bridge:
    """The Bridge for already loaded settings."""
    settings = loaded.settings
    clock = clock or SystemClock()
    try:
        panels = load_panels(loaded.toml, env)
        catalog = Catalog.from_toml(loaded.toml)
    except (PanelConfigError, CatalogConfigError) as exc:
        raise ConfigError(f"{loaded.config_path}: {exc}") from None
    budget = Budget(
        path=settings.otwa_budget_path,
        limit=settings.otwa_rate_limit,
        window=settings.otwa_rate_window,
        reserve=settings.otwa_rate_reserve,
        margin=settings.otwa_rate_margin,
        clock=clock.now,
        sleep=clock.sleep,
    )
    common: dict[str, Any] = {
        "base_url": settings.otwa_base_url,
        "timeout": settings.otwa_timeout,
        "max_retries": settings.otwa_max_retries,
        "budget": budget,
        "sleep": clock.sleep,
    }
    for secret in settings.sso_secret_list():
        register_secret(secret)  # masked in every log line, like the Otwa keys
    otwa = OtwaClient(settings.otwa_api_key.get_secret_value(), **common)
    destroy = OtwaClient(settings.otwa_destroy_key.get_secret_value(), **common)
    return Bridge(
        settings=settings,
        sources=loaded.sources,
        catalog=catalog,
        panels=panels,
        otwa=otwa,
        otwa_destroy=destroy,
        budget=budget,
        plans=PlanCache(otwa, now=clock.now, shared=DatabasePlans(settings.database)),
        clock=clock,
        extras=loaded.extras,
    )
