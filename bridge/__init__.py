"""otwa-bridge: billing-panel hooks in, Otwa Cloud servers out, exactly once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the bridge's Flask app. ``config`` overrides every other settings layer."""
    from bridge import settings
    from bridge.errors import register_error_handlers
    from bridge.logs import configure_logging
    from bridge.web import init_app as init_web

    app = Flask(__name__)
    values = settings.load(config)
    app.config.update(values)
    configure_logging(values["LOG_LEVEL"])
    register_error_handlers(app)
    init_web(app)
    return app
