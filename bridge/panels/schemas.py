"""The hook body schemas (draft 2020-12), enforced on every hook.

Two engines over the same files: a compiled validator (fastjsonschema: Python code generated
once per schema, tens of microseconds per body) decides whether a body is valid on every
hook, and jsonschema, the reference implementation, explains an invalid body field by
field (the slow path runs only for refusals). tests/panels/test_schema_engines.py runs
every sample and every refusal case through both and fails when they disagree.

The schema files ship inside the package (``bridge/panels/schema/``; the repository's
``webhooks/schema`` points at them for the panel side), so an installed bridge validates
without a checkout.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import fastjsonschema
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


@lru_cache(maxsize=8)
def compiled(name: str) -> Callable[[Any], Any]:
    """Schema file ``name`` compiled to Python (fastjsonschema); raises
    ``fastjsonschema.JsonSchemaException`` for an invalid body."""
    # fastjsonschema rewrites the refs of the dicts it compiles: give it copies.
    schemas = copy.deepcopy(_registry()[1])
    by_id = {s["$id"]: s for s in schemas.values()}
    handlers = {"https": lambda uri: by_id[uri.split("#", 1)[0]]}
    check: Callable[[Any], Any] = fastjsonschema.compile(
        schemas[name], handlers=handlers, use_default=False
    )
    return check


def preload() -> None:
    """Read, check and compile every schema now (at app start) rather than in the first
    hook each process serves: checking a schema against the 2020-12 metaschema costs
    hundreds of milliseconds, compiling one tens."""
    for name in _registry()[1]:
        validator(name).is_valid({})
        compiled(name)


def is_valid(name: str, body: Any) -> bool:
    """Whether ``body`` matches schema file ``name`` (the compiled validator)."""
    try:
        compiled(name)(body)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def errors(name: str, body: Any, pointer: str = "") -> list[dict[str, str]]:
    """Each schema error of ``body`` as ``{"path": "/json/pointer", "message": ...}``, sorted;
    empty when valid. ``pointer`` explains against one sub-schema (an error path only)."""
    if not pointer:
        try:
            compiled(name)(body)
            return []
        except fastjsonschema.JsonSchemaValueException as exc:
            found = explain(name, body)
            # The engines agree (a test holds them to it); should they ever not, the body
            # is still refused, with the compiled validator's own words.
            return found or [{"path": _pointer(exc.name or "data"), "message": exc.message}]
    return explain(name, body, pointer)


def _pointer(dotted: str) -> str:
    """fastjsonschema's ``data.service.id`` as the JSON pointer ``/service/id``."""
    parts = dotted.split(".")[1:] if dotted.startswith("data") else dotted.split(".")
    return "/" + "/".join(parts)


def explain(name: str, body: Any, pointer: str = "") -> list[dict[str, str]]:
    """The reference validator's errors (jsonschema), sorted; empty when it finds none."""
    found = sorted(validator(name, pointer).iter_errors(body), key=lambda e: list(e.path))
    out = []
    for error in found[:MAX_ERRORS]:
        path = "/" + "/".join(str(p) for p in error.absolute_path)
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        out.append({"path": path, "message": message})
    return out
