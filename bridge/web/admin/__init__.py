"""The admin console: ``/admin`` (HTML pages, Jinja, no script) and ``/admin/api/*`` (the
same data as JSON), both behind the admin login (:mod:`bridge.web.admin.guard`).

Pages: the overview (budget, Otwa reachability, latest errors, the queue), operations with
filters and their detail (history, jobs; retry and cancel behind a confirmation step),
services (panel service -> Otwa server, IPs, generation, state), dead letters, and a link
to the margin report when the ledger's ``/admin/reports/margins`` route exists. The data
comes from :mod:`bridge.provisioning.admin` and :mod:`bridge.provisioning.health`; this
package holds no SQL.
"""

from __future__ import annotations

from flask import Flask

from bridge.web.admin import api, pages


def init_app(app: Flask) -> None:
    """Register the console's two blueprints."""
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
