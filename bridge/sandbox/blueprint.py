"""The /api/v1 blueprint; view modules register their routes on it."""

from __future__ import annotations

from flask import Blueprint

from bridge.sandbox.auth import authenticate, end_execution

api = Blueprint("api", __name__, url_prefix="/api/v1")
api.before_request(authenticate)
api.teardown_request(end_execution)
