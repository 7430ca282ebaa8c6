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
from jsonschema import Draft202012Validator, ValidationError
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
    """The reference validator's errors (jsonschema), sorted, empty when it finds none; each
    message says what to send (naming the field and the accepted values or format), not
    JSON-Schema wording: see :func:`describe`."""
    found = sorted(validator(name, pointer).iter_errors(body), key=lambda e: list(e.path))
    out = []
    for error in found[:MAX_ERRORS]:
        error = _relevant(error)
        path = "/" + "/".join(str(p) for p in error.absolute_path)
        message = describe(error)
        message = message if len(message) <= 300 else message[:297] + "..."
        out.append({"path": path, "message": message})
    return out


_TYPES = {
    "object": "an object ({...})",
    "array": "a list ([...])",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _relevant(error: ValidationError) -> ValidationError:
    """For an ``anyOf``/``oneOf`` failure with no description of its own (a body that fits
    neither vocabulary), the first error of the alternative it comes closest to: the one
    missing the fewest top-level fields, then with the fewest errors. A described
    alternative (an id: a string or a number) is reported as itself."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        if schema.get("description") and error.absolute_path:
            break
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)

        def distance(errs: list[ValidationError]) -> tuple[int, int]:
            missing = sum(1 for e in errs if e.validator == "required" and not e.relative_path)
            return missing, len(errs)

        closest = min(branches.values(), key=distance)
        error = min(closest, key=lambda e: (len(e.relative_path), e.validator != "required"))
    return error


def _field(error: ValidationError) -> str:
    """The field the error is about, as a readable JSON path (``service.id``)."""
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "the body"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    for name, test in (
        ("null", value is None),
        ("true or false", isinstance(value, bool)),
        ("a number", isinstance(value, int | float) and not isinstance(value, bool)),
        ("a string", isinstance(value, str)),
        ("a list", isinstance(value, list)),
        ("an object", isinstance(value, dict)),
    ):
        if test:
            return name
    return type(value).__name__


def describe(error: ValidationError) -> str:
    """One sentence saying what to send instead, for the common schema errors: a required
    field, a wrong type, a format (pattern), a list of accepted values (enum, const),
    lengths and ranges. Anything else keeps jsonschema's own wording."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    field = _field(error)
    value = error.instance
    accepted = str(schema.get("description") or "").rstrip(".")
    kind = error.validator
    rule: Any = error.validator_value  # what the failed keyword asked for
    if kind == "required":
        missing = next(
            (str(n) for n in rule if isinstance(value, dict) and n not in value),
            str(error.message).split("'")[1] if "'" in error.message else "?",
        )
        where = "the body" if field == "the body" else field
        return f"{where}: add the required field {missing!r}."
    if kind == "type":
        wanted = rule
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        words = " or ".join(_TYPES.get(n, n) for n in names)
        return f"{field}: send {words}, not {_kind(value)}."
    if kind == "pattern":
        how = accepted or f"text matching {rule}"
        return f"{field}: {_show(value)} is not accepted; send {how}."
    if kind in ("anyOf", "oneOf") and accepted:
        return f"{field}: {_show(value)} is not accepted; send {accepted}."
    if kind == "enum":
        options = ", ".join(_show(v) for v in rule)
        return f"{field}: {_show(value)} is not accepted; send one of {options}."
    if kind == "const":
        return f"{field}: send {_show(rule)}."
    if kind in ("maxLength", "minLength"):
        bound = "at most" if kind == "maxLength" else "at least"
        return f"{field}: send {bound} {rule} characters."
    if kind in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
        bound = {
            "maximum": "at most",
            "minimum": "at least",
            "exclusiveMaximum": "less than",
            "exclusiveMinimum": "more than",
        }[kind]
        return f"{field}: send a number {bound} {rule}."
    if kind in ("maxItems", "minItems"):
        bound = "at most" if kind == "maxItems" else "at least"
        return f"{field}: send {bound} {rule} items."
    return f"{field}: {error.message}"
