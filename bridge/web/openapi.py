"""``GET /openapi.json``: the bridge's own HTTP surface as an OpenAPI 3.1 document.

Built from code, so it cannot drift from what the bridge accepts: the hook body schemas
are the very files the intake enforces (``bridge/panels/schema``), inlined as components
with their references rewritten to point inside this document. It depends on no setting,
so every bridge serves the same document; the checked-in copy is ``docs/openapi.json``
(``otwa-bridge openapi > docs/openapi.json``; a test keeps the two equal).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from flask import Blueprint, Response

from bridge.panels import schemas
from bridge.version import __version__

bp = Blueprint("openapi", __name__)

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_JSON_ERROR = {"application/json": {"schema": _ERROR_REF}}
_HTML = {"text/html": {"schema": {"type": "string"}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _JSON_ERROR}


def _switch_on(rules: Any) -> str | None:
    """The property an ``allOf`` of ``if: {P: const}`` / ``then`` rules switches on."""
    if not isinstance(rules, list) or not rules:
        return None
    names = set()
    for rule in rules:
        condition = rule.get("if") if isinstance(rule, dict) else None
        if not condition or "else" in rule or set(rule) != {"if", "then"}:
            return None
        props = condition.get("properties", {})
        if len(props) != 1 or "const" not in next(iter(props.values())):
            return None
        names.add(next(iter(props)))
    return names.pop() if len(names) == 1 else None


def _cases(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """The same rules as one ``anyOf`` of cases (one per value, plus "any other value"):
    equivalent, and generators do not multiply nine ``if``s out."""
    name = _switch_on(rules)
    assert name is not None
    values = [r["if"]["properties"][name]["const"] for r in rules]
    cases: list[Any] = [
        {"properties": {name: {"const": v}}, "required": [name], "allOf": [r["then"]]}
        for v, r in zip(values, rules, strict=True)
    ]
    cases.append({"properties": {name: {"not": {"enum": values}}}})
    return {"anyOf": cases}


def _rewrite(node: Any, here: str, files: dict[str, str]) -> Any:
    """``node`` with its ``$ref`` pointing into this document, and each ``if``/``then``
    (no ``else``) written as its equivalent ``anyOf: [{not: if}, then]``, which API
    fuzzers (schemathesis) can generate from."""
    if isinstance(node, dict) and _switch_on(node.get("allOf")):
        node = {**{k: v for k, v in node.items() if k != "allOf"}, **_cases(node["allOf"])}
    if isinstance(node, dict) and "if" in node and "then" in node and "else" not in node:
        rest = {k: v for k, v in node.items() if k not in ("if", "then")}
        node = {**rest, "anyOf": [{"not": node["if"]}, node["then"]]}
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                target, _, pointer = value.partition("#")
                base = files[target] if target else here
                out[key] = base + pointer
            else:
                out[key] = _rewrite(value, here, files)
        return out
    if isinstance(node, list):
        return [_rewrite(v, here, files) for v in node]
    return node


def _hook_schemas() -> dict[str, Any]:
    files = {
        "generic.schema.json": "#/components/schemas/GenericHook",
        "whmcs.schema.json": "#/components/schemas/WhmcsHook",
    }
    out = {}
    for file, ref in files.items():
        raw = copy.deepcopy(schemas.schema(file))
        raw.pop("$schema", None)
        raw.pop("$id", None)
        out[ref.rsplit("/", 1)[1]] = _rewrite(raw, ref, files)
    return out


def _header(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "description": description,
        "schema": schema,
    }


def _hooks() -> dict[str, Any]:
    replies = {
        "description": "The pinned reply: ok with the operation (200 done or accepted by "
        "Otwa, 202 queued for the worker), or the error shape.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HookReply"}}},
    }
    return {
        "post": {
            "operationId": "postHook",
            "summary": "A signed hook from a billing panel (Standard Webhooks v1)",
            "description": "Checks in order: panel (404), size (413), signature on the raw "
            "bytes (401), replay of a known webhook-id (the first reply, verbatim, with "
            "Webhook-Replayed: true; 409 for another body), JSON (400), action and schema "
            "(400), products map and plan (422). A refusal records nothing. See docs/hooks.md.",
            "tags": ["hooks"],
            "security": [{"webhookSignature": []}],
            "parameters": [
                {
                    "name": "panel",
                    "in": "path",
                    "required": True,
                    "description": "A [panels.<name>] table of config/bridge.toml.",
                    "schema": {
                        "type": "string",
                        "pattern": "^[a-z0-9][a-z0-9_-]{0,19}(?![\\s\\S])",
                    },
                },
                _header(
                    "webhook-id",
                    "Unique per event, the same on every retry of it; no '.'.",
                    {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 200,
                        "pattern": "^[^.]+(?![\\s\\S])",
                    },
                ),
                _header(
                    "webhook-timestamp",
                    "Unix seconds of this attempt (ASCII digits), within ±HOOK_TOLERANCE.",
                    {"type": "string", "pattern": "^[0-9]{1,12}(?![\\s\\S])"},
                ),
                {
                    "name": "X-Request-Id",
                    "in": "header",
                    "required": False,
                    "description": "Echoed back and carried into every log line.",
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}(?![\\s\\S])"},
                },
            ],
            "requestBody": {
                "required": True,
                "description": "The generic envelope (every panel) or a panel's own "
                "vocabulary (WHMCS); at most HOOK_MAX_BYTES (64 KiB by default).",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/WhmcsHook"}}
                },
            },
            "responses": {
                "200": replies,
                "201": replies,
                "202": replies,
                "4XX": {
                    "description": "A refusal (nothing recorded) or a failed operation: "
                    "400 malformed_json / unknown_action / invalid_body, 401 signature, "
                    "404 unknown_panel / no_server, 409 webhook_id_reused / "
                    "service_suspended, 413 payload_too_large, 422 products map or plan.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/HookReply"}}
                    },
                },
                "5XX": {
                    "description": "501 invoice_paid (until the ledger lands), 502/503 an "
                    "operation Otwa failed or the worker gave up on, 503 "
                    "panel_not_configured.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/HookReply"}}
                    },
                },
            },
        }
    }


def _sso() -> dict[str, Any]:
    page = {"description": "A branded HTML page saying what happened.", "content": _HTML}
    return {
        "get": {
            "operationId": "openSsoLink",
            "summary": "A one-time client-area link: a 302 to a fresh Otwa login, or a page",
            "description": "Single use, expiring, bound to its service; never logged. "
            "Browsers only ever get HTML here. See docs/sso.md.",
            "tags": ["sso"],
            "parameters": [
                {
                    "name": "token",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                }
            ],
            "responses": {
                "302": {
                    "description": "To the Otwa dashboard, signed in.",
                    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                },
                "200": page,
                "4XX": page,
                "5XX": page,
            },
        }
    }


def _probe(operation_id: str, summary: str, body: dict[str, Any], errors: dict[str, Any]) -> Any:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["operations"],
            "responses": {
                "200": {
                    "description": "OK.",
                    "content": {"application/json": {"schema": body}},
                },
                **errors,
            },
        }
    }


def _metrics() -> dict[str, Any]:
    return {
        "get": {
            "operationId": "getMetrics",
            "summary": "Prometheus text exposition (not public)",
            "description": "Needs Authorization: Bearer <METRICS_TOKEN>, or is served only "
            "on the METRICS_BIND listener. Read from counters kept as work happens.",
            "tags": ["operations"],
            "security": [{"metricsToken": []}],
            "responses": {
                "200": {
                    "description": "Text format 0.0.4.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "401": _error("No or wrong bearer token."),
                "403": _error("Neither METRICS_TOKEN nor METRICS_BIND is set."),
                "404": _error("Served on the METRICS_BIND listener, not here."),
            },
        }
    }


_ADMIN_SECURITY: list[dict[str, list[str]]] = [{"adminSession": []}, {"adminProxy": []}]
_ADMIN_ERRORS = {
    "400": _error("A filter that does not exist; the message names the accepted values."),
    "401": _error("Not signed in: sign in at /admin/login."),
    "403": _error("Missing or stale X-CSRF-Token (POST), or a proxy-only console."),
    "404": _error("No such operation."),
    "409": _error("Not possible in the operation's state; the message says why."),
    "503": _error("No admin login is configured; the message says how."),
}


def _ok(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["ok", *(required or list(properties))],
        "properties": {"ok": {"const": True}, **properties},
    }


def _admin_get(op_id: str, summary: str, body: dict[str, Any], params: list[Any]) -> Any:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "tags": ["admin"],
            "security": _ADMIN_SECURITY,
            "parameters": params,
            "responses": {
                "200": {"description": "OK.", "content": {"application/json": {"schema": body}}},
                **_ADMIN_ERRORS,
            },
        }
    }


def _admin_post(op_id: str, summary: str, body: dict[str, Any]) -> Any:
    return {
        "post": {
            "operationId": op_id,
            "summary": summary,
            "tags": ["admin"],
            "security": _ADMIN_SECURITY,
            "parameters": [_OPERATION_ID, _CSRF],
            "responses": {
                "200": {"description": "Done.", "content": {"application/json": {"schema": body}}},
                **_ADMIN_ERRORS,
            },
        }
    }


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema, **extra}


_OPERATION_ID = {
    "name": "operation_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
}
_CSRF = {
    "name": "X-CSRF-Token",
    "in": "header",
    "required": True,
    "description": "From GET /admin/api/session.",
    "schema": {"type": "string"},
}
CURSOR = r"^(?:-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?:.+)?(?![\s\S])"
_LIMIT = _query("limit", "Rows per page.", {"type": "integer", "minimum": 1, "maximum": 500})
# A filter's free text: what bridge.web.admin.filters accepts.
_TEXT = {
    "type": "string",
    "maxLength": 128,
    "pattern": "^[^\\u0000-\\u001f\\u007f]*(?![\\s\\S])",
}
_STATES = ["queued", "building", "writeback", "scheduled", "done", "failed", "dead", "cancelled"]


def _operation_filters() -> list[dict[str, Any]]:
    from bridge.commands import ACTIONS

    when = {
        "description": "A date, an RFC 3339 time (UTC without an offset), or epoch seconds.",
        "anyOf": [
            {"type": "string", "format": "date"},
            {"type": "string", "format": "date-time"},
            {"type": "string", "pattern": "^[0-9]{1,12}(\\.[0-9]{1,6})?(?![\\s\\S])"},
            {"type": "string", "maxLength": 0, "description": "Empty: no bound."},
        ],
    }
    text = _TEXT
    return [
        _query(
            "state",
            "Only these states (repeatable; empty: any).",
            {"type": "array", "items": {"enum": ["", *_STATES]}},
            style="form",
            explode=True,
        ),
        _query(
            "action",
            "Only these actions (repeatable; empty: any).",
            {"type": "array", "items": {"enum": ["", *ACTIONS]}},
            style="form",
            explode=True,
        ),
        _query("panel", "Only this panel.", text),
        _query("service", "Only this panel service id.", text),
        _query("since", "Created at or after.", when),
        _query("until", "Created before.", when),
        _query(
            "before",
            "The `next` cursor of the previous page.",
            {"type": "string", "pattern": CURSOR},
        ),
        _LIMIT,
    ]


def _components() -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "object"}
    return {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["ok", "error"],
                "properties": {
                    "ok": {"const": False},
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "details": {},
                        },
                    },
                },
            },
            "HookReply": {
                "type": "object",
                "required": ["ok"],
                "properties": {
                    "ok": {"type": "boolean"},
                    "operation": {"type": ["object", "null"]},
                    "result": obj,
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
            **_hook_schemas(),
        },
        "securitySchemes": {
            "webhookSignature": {
                "type": "apiKey",
                "in": "header",
                "name": "webhook-signature",
                "description": "Standard Webhooks v1: space-separated `v1,<base64 HMAC-SHA256 "
                "of '<webhook-id>.<webhook-timestamp>.<raw body>'>` with the panel's whsec_ "
                "secret(s).",
            },
            "metricsToken": {"type": "http", "scheme": "bearer"},
            "adminSession": {
                "type": "apiKey",
                "in": "cookie",
                "name": "otwa_admin",
                "description": "Set by POST /admin/login (the admin password).",
            },
            "adminProxy": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Forwarded-User",
                "description": "ADMIN_PROXY_USER_HEADER from a TRUSTED_PROXIES address.",
            },
        },
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (independent of settings)."""
    rows = {"type": "array", "items": {"type": "object"}}
    cursor = {"type": ["string", "null"]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "otwa-bridge",
            "version": __version__,
            "summary": "Billing-panel hooks in, Otwa Cloud servers out, exactly once.",
            "description": "The bridge's own HTTP surface. Every error is JSON in one shape, "
            '{"ok": false, "error": {"code", "message"}}, except pages meant for browsers '
            "(/sso, /admin), which are HTML.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "tags": [
            {"name": "hooks", "description": "Billing panels in (docs/hooks.md)."},
            {"name": "sso", "description": "Customers' one-time links (docs/sso.md)."},
            {"name": "operations", "description": "Probes, metrics, this document."},
            {"name": "admin", "description": "The admin console's JSON (docs/admin.md)."},
        ],
        "paths": {
            "/v1/hooks/{panel}": _hooks(),
            "/sso/{token}": _sso(),
            "/healthz": _probe(
                "getHealthz",
                "Liveness: the process answers (no database, no Otwa).",
                _ok({"version": {"type": "string"}}),
                {},
            ),
            "/readyz": _probe(
                "getReadyz",
                "Readiness: the database opens and every migration is applied.",
                _ok({}),
                {"503": _error("Migrations pending: run otwa-bridge migrate.")},
            ),
            "/metrics": _metrics(),
            "/openapi.json": _probe("getOpenapi", "This document.", {"type": "object"}, {}),
            "/admin/api/session": _admin_get(
                "getAdminSession",
                "Who is signed in, how, and the CSRF token for POSTs.",
                _ok(
                    {
                        "user": {"type": "string"},
                        "via": {"enum": ["password", "proxy"]},
                        "csrf_token": {"type": "string"},
                    }
                ),
                [],
            ),
            "/admin/api/operations": _admin_get(
                "listOperations",
                "Operations, newest first by creation, filtered.",
                _ok({"operations": rows, "next": cursor}),
                _operation_filters(),
            ),
            "/admin/api/operations/{operation_id}": _admin_get(
                "getOperation",
                "One operation, its transition history and its jobs.",
                _ok({"operation": {"type": "object"}, "history": rows, "jobs": rows}),
                [_OPERATION_ID],
            ),
            "/admin/api/operations/{operation_id}/retry": _admin_post(
                "retryOperation",
                "Re-queue a failed, dead or cancelled operation (same idempotency key).",
                _ok({"operation_id": {"type": "string"}, "state": {"enum": _STATES}}),
            ),
            "/admin/api/operations/{operation_id}/cancel": _admin_post(
                "cancelOperation",
                "Cancel a queued, scheduled or write-back operation; says what happens next.",
                _ok({"operation_id": {"type": "string"}, "message": {"type": "string"}}),
            ),
            "/admin/api/services": _admin_get(
                "listServices",
                "Panel services and their Otwa servers (IPs, generation, state).",
                _ok({"services": rows, "next": cursor}),
                [
                    _query("panel", "Only this panel.", _TEXT),
                    _query("service", "Only this service id.", _TEXT),
                    _query("state", "Only this service state.", _TEXT),
                    _query("after", "The `next` cursor of the previous page.", {"type": "string"}),
                    _LIMIT,
                ],
            ),
            "/admin/api/dead-letters": _admin_get(
                "listDeadLetters",
                "Dead jobs with their operations, most recent first.",
                _ok({"dead_letters": rows}),
                [_LIMIT],
            ),
            "/admin/api/health": _admin_get(
                "getAdminHealth",
                "Otwa reachability, the shared budget, the latest errors and the queue.",
                _ok(
                    {
                        "otwa": {"type": "object"},
                        "budget": {"type": "object"},
                        "last_errors": {"type": "object"},
                        "queue": {"type": "object"},
                    }
                ),
                [],
            ),
        },
        "components": _components(),
    }


def text() -> str:
    """The document as the checked-in file holds it (sorted keys, two-space indent)."""
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@bp.get("/openapi.json")
def openapi() -> Response:
    """This bridge's OpenAPI 3.1 document."""
    return Response(text(), mimetype="application/json")
