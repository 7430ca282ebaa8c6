"""The hook body schemas of webhooks/schema/, enforced with jsonschema (draft 2020-12).

Schemas are files at the repository top (webhooks/schema/), shared with the panel side;
``BRIDGE_SCHEMA_DIR`` points elsewhere when the package is installed without the tree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "webhooks" / "schema"
MAX_ERRORS = 20


def schema_dir() -> Path:
    return Path(os.environ.get("BRIDGE_SCHEMA_DIR") or SCHEMA_DIR)


@lru_cache(maxsize=1)
def _registry() -> tuple[Registry, dict[str, dict[str, Any]]]:
    """Every schema file, registered under its ``$id`` so files can ``$ref`` each other."""
    schemas: dict[str, dict[str, Any]] = {}
    registry: Registry = Registry()
    for file in sorted(schema_dir().glob("*.schema.json")):
        schema = json.loads(file.read_text())
        Draft202012Validator.check_schema(schema)
        schemas[file.name] = schema
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    return registry, schemas


def schema(name: str) -> dict[str, Any]:
    """The parsed schema file ``name`` (e.g. ``"generic.schema.json"``)."""
    return _registry()[1][name]


@lru_cache(maxsize=16)
def validator(name: str, pointer: str = "") -> Draft202012Validator:
    """A validator for schema file ``name``, or for its sub-schema at JSON pointer ``pointer``."""
    registry, schemas = _registry()
    root = schemas[name]
    target: Mapping[str, Any] = {"$ref": root["$id"] + ("#" + pointer if pointer else "")}
    return Draft202012Validator(target, registry=registry)


def preload() -> None:
    """Read, check and compile every schema now (at app start) rather than in the first
    hook each process serves: checking a schema against the 2020-12 metaschema costs
    hundreds of milliseconds."""
    for name in _registry()[1]:
        validator(name).is_valid({})


def errors(name: str, body: Any, pointer: str = "") -> list[dict[str, str]]:
    """Each schema error of ``body`` as ``{"path": "/json/pointer", "message": ...}``, sorted."""
    found = sorted(validator(name, pointer).iter_errors(body), key=lambda e: list(e.path))
    out = []
    for error in found[:MAX_ERRORS]:
        path = "/" + "/".join(str(p) for p in error.absolute_path)
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        out.append({"path": path, "message": message})
    return out
