"""Adapter registry: panel adapter name -> the module that reads that panel's bodies.

An adapter module provides ``SCHEMA`` (file in webhooks/schema/), ``action_of(body)``
(bridge action or None) and ``to_command(panel, body, *, webhook_id, request_id)``;
optionally ``schema_errors(body)`` to report errors against the branch the body uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from bridge.panels import generic, schemas, whmcs

ADAPTERS: dict[str, ModuleType] = {"generic": generic, "whmcs": whmcs}


def adapter(name: str) -> ModuleType:
    """The adapter module called ``name`` (KeyError if none)."""
    return ADAPTERS[name]


def schema_errors(name: str, body: Any) -> list[dict[str, str]]:
    """Schema errors of ``body`` for adapter ``name``; empty when valid.

    For WHMCS (generic envelope *or* WHMCS vocabulary) errors are reported against the
    branch the body's shape picks, so they point at the field to fix.
    """
    module = adapter(name)
    if not schemas.errors(module.SCHEMA, body):
        return []
    if module is whmcs and isinstance(body, Mapping) and not whmcs.is_generic(body):
        return schemas.errors(whmcs.SCHEMA, body, whmcs.WHMCS_BODY)
    if module is whmcs:
        return schemas.errors(generic.SCHEMA, body)
    return schemas.errors(module.SCHEMA, body)
