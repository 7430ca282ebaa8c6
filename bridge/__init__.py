"""otwa-bridge: billing-panel hooks in, Otwa Cloud servers out, exactly once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from bridge.version import __version__

__all__ = ["__version__", "create_app"]


def create_app(config: Mapping[str, Any] | None = None, *, bridge: Any = None) -> Flask:
    """Build the bridge's Flask app.

    ``config`` overrides every other settings layer (names upper or lower case; undeclared
    keys such as ``TESTING`` go to Flask's config). ``bridge``: an already built
    :class:`bridge.runtime.Bridge` (tests with a manual clock) instead of building one.
    Raises :class:`bridge.settings.SettingsError` (one line) when the settings are wrong.
    """
    from bridge import runtime
    from bridge.errors import register_error_handlers
    from bridge.logs import configure_logging
    from bridge.web import init_app as init_web

    built: runtime.Bridge = bridge if bridge is not None else runtime.build(config)
    app = Flask(__name__)
    app.config.update(built.extras)
    configure_logging(built.settings.log_level)
    register_error_handlers(app)
    init_web(app, built)
    return app
