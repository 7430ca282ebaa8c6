"""``GET /openapi.json``: the bridge's own HTTP surface as OpenAPI 3.1 (placeholder)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("openapi", __name__)
