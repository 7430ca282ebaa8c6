"""Hook intake: ``POST /v1/hooks/<panel>`` (placeholder until the intake lands)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("hooks", __name__)
