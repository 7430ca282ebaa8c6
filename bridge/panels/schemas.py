"""The hook body schemas, enforced with jsonschema (draft 2020-12).

The schema files ship inside the package (``bridge/panels/schema/``; the repository's
``webhooks/schema`` points at them for the panel side), so an installed bridge validates
without a checkout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

MAX_ERRORS = 20


def schema_dir() -> Traversable:
    """The folder of ``*.schema.json`` files inside the installed package."""
    return resources.files("bridge.panels") / "schema"


@lru_cache(maxsize=1)
def _registry() -> tuple[Registry, dict[str, dict[str, Any]]]:
    """Every schema file, registered under its ``$id`` so files can ``$ref`` each other."""
    schemas: dict[str, dict[str, Any]] = {}
    registry: Registry = Registry()
    files = [f for f in schema_dir().iterdir() if f.name.endswith(".schema.json")]
    for file in sorted(files, key=lambda f: f.name):
        schema = json.loads(file.read_text(encoding="utf-8"))
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
