"""Hook intake: ``POST /v1/hooks/<panel>`` (pinned; see docs/hooks.md).

Order of checks, each refusal in the one JSON error shape and changing nothing:
unknown panel (404) -> body size (413, before reading it all) -> Standard Webhooks
signature on the raw bytes (401) -> replay of a known ``webhook-id`` (the first reply,
verbatim, ``Webhook-Replayed: true``) -> JSON (400) -> action (400) -> schema (400) ->
products map (422). Then ONE write transaction inserts the ``webhook_events`` row and
records the operation (``bridge.provisioning.record``) and leases its job for the inline
attempt: the one durable commit before the reply. After commit the inline attempt runs (no
transaction held across Otwa calls) and its reply is stored on the row (no fsync: a lost
reply is re-derived from the operation).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from bridge import provisioning, signing, store
from bridge.catalog import Catalog, CatalogConfigError
from bridge.errors import BridgeError, error_body
from bridge.panels import PanelConfig, PanelConfigError, registry
from bridge.provisioning import context
from bridge.provisioning.commands import ACTIONS, Command, Outcome
from bridge.web import get_db

log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__)

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _config_error(exc: Exception) -> BridgeError:
    log.error("config error: %s", exc)
    return BridgeError(
        f"The bridge's config is invalid: {exc}. Run `otwa-bridge check-config`.",
        code="config_error",
        status=500,
    )


def panels() -> dict[str, PanelConfig]:
    """The app's panels (parsed once per process, shared with the jobs)."""
    try:
        return context.panels(current_app.config)
    except PanelConfigError as exc:
        raise _config_error(exc) from None


def catalog() -> Catalog:
    """The app's products map (parsed once per process, shared with the jobs)."""
    try:
        return context.catalog(current_app.config)
    except CatalogConfigError as exc:
        raise _config_error(exc) from None


def _request_id() -> str:
    rid = request.headers.get("X-Request-Id", "")
    return rid if REQUEST_ID_RE.match(rid) else uuid.uuid4().hex


@bp.after_app_request
def _echo_request_id(response: Response) -> Response:
    rid = g.get("request_id")
    if rid:
        response.headers["X-Request-Id"] = rid
    return response


# Remembered webhook-ids outlive every sender's retry horizon (Standard Webhooks ~3 days,
# Stripe ~3 days; the issue asks for at least 7), then go: pruned at most once per
# PRUNE_EVERY per process, after the reply has been sent.
PRUNE_EVERY = 3600.0
_pruned_at = 0.0


@bp.after_request
def _prune_remembered_hooks(response: Response) -> Response:
    global _pruned_at
    now = time.time()
    if now - _pruned_at >= PRUNE_EVERY:
        _pruned_at = now
        path, keep = current_app.config["DATABASE"], current_app.config["HOOK_DEDUPE_SECONDS"]
        response.call_on_close(lambda: prune_hooks(path, now - keep))
    return response


def prune_hooks(db_path: str, before: float) -> int:
    """Forget hooks received before ``before`` (epoch s); the number forgotten."""
    db = store.thread_db(db_path)
    # No fsync: rows a power cut brings back are pruned again next time.
    with store.write(db, durable=False):
        cur = db.execute("DELETE FROM webhook_events WHERE received_at < ?", [before])
    if cur.rowcount:
        log.info("pruned remembered hooks", extra={"count": cur.rowcount})
    return cur.rowcount


def _json_reply(status: int, body: bytes, *, replayed: bool = False) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    if replayed:
        response.headers["Webhook-Replayed"] = "true"
    return response


def _encode(outcome: Outcome) -> bytes:
    return json.dumps(outcome.body, separators=(",", ":"), sort_keys=True).encode()


def _kept_for_replay(action: str, outcome: Outcome) -> Outcome:
    """The reply stored for replays. A successful ``sso`` reply carries a one-time login
    link, a bearer credential that must not rest in the database (and would be spent on
    replay anyway), so its replay is a clear refusal instead of the link."""
    if action != "sso" or not outcome.body.get("ok"):
        return outcome
    return Outcome(
        410,
        error_body(
            "sso_link_already_issued",
            "This hook's one-time login link was already handed out. Send a new sso hook "
            "(a new webhook-id) for a fresh link.",
        ),
    )


def _read_body(limit: int) -> bytes:
    """The raw body, refusing (413) before reading more than ``limit`` bytes."""
    length = request.content_length
    if length is not None and length > limit:
        raise BridgeError(
            f"The hook body is {length} bytes; the limit is {limit}. Send only what the "
            "action needs.",
            code="payload_too_large",
            status=413,
        )
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise BridgeError(
            f"The hook body is larger than {limit} bytes.", code="payload_too_large", status=413
        )
    return body


def _replay(db: Any, panel: str, row: Mapping[str, Any], digest: str) -> Response:
    """The reply for a ``webhook-id`` seen before: stored reply, or the operation's state."""
    if row["body_sha256"] and row["body_sha256"] != digest:
        raise BridgeError(
            "This webhook-id was already used for a different body; give every new event "
            "its own webhook-id (retries of the same event keep theirs).",
            code="webhook_id_reused",
            status=409,
        )
    if row["reply"] is not None:
        log.info(
            "hook replayed",
            extra={"panel": panel, "webhook_id": row["webhook_id"], "request_id": g.request_id},
        )
        return _json_reply(int(row["status"]), row["reply"].encode(), replayed=True)
    # First delivery still in flight (or crashed before storing its reply): report the
    # operation's current state and never do the work again.
    outcome = provisioning.outcome_of(db, row["operation_id"])
    return _json_reply(outcome.status, _encode(outcome), replayed=True)


def _find(db: Any, panel: str, webhook_id: str) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT * FROM webhook_events WHERE panel = ? AND webhook_id = ?", [panel, webhook_id]
        )
    )
    return rows[0] if rows else None


def _command(adapter_name: str, panel: str, raw: bytes, webhook_id: str) -> Command:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BridgeError(
            f"The hook body is not valid JSON ({exc.__class__.__name__}: {exc}).",
            code="malformed_json",
        ) from None
    adapter = registry.adapter(adapter_name)
    if isinstance(body, dict) and "action" in body:
        action = adapter.action_of(body)
        if action is None:
            raise BridgeError(
                f"Unknown action {body['action']!r}. Known actions: " + ", ".join(ACTIONS) + ".",
                code="unknown_action",
            )
        body = {**body, "action": action}
    problems = registry.schema_errors(adapter_name, body)
    if problems:
        raise BridgeError(
            f"The hook body does not match webhooks/schema/{adapter.SCHEMA}: "
            f"{problems[0]['path']}: {problems[0]['message']}",
            code="invalid_body",
            details=problems,
        )
    return adapter.to_command(panel, body, webhook_id=webhook_id, request_id=g.request_id)


@bp.post("/v1/hooks/<panel>")
def intake(panel: str) -> Response:
    """Verify, deduplicate, translate, record, attempt; reply in the pinned shape."""
    g.request_id = _request_id()
    config = panels().get(panel)
    if config is None:
        raise BridgeError(
            f"No panel {panel!r} is configured; add [panels.{panel}] to config/bridge.toml "
            "or fix the URL.",
            code="unknown_panel",
            status=404,
        )
    raw = _read_body(int(current_app.config["HOOK_MAX_BYTES"]))
    if not config.secrets:
        raise BridgeError(
            f"Panel {panel!r} has no hook secret; set {config.secrets_env} on the bridge.",
            code="panel_not_configured",
            status=503,
        )
    webhook_id = signing.verify(
        request.headers,
        raw,
        config.secrets,
        tolerance=int(current_app.config["HOOK_TOLERANCE"]),
    )
    digest = hashlib.sha256(raw).hexdigest()
    db = get_db()
    row = _find(db, panel, webhook_id)
    if row is not None:
        return _replay(db, panel, row, digest)

    command = _command(config.adapter, panel, raw, webhook_id)
    catalog().validate(command)
    settings = current_app.config
    logx = {"panel": panel, "webhook_id": webhook_id, "request_id": g.request_id}

    with store.write(db):
        # Re-check under the write lock: a concurrent delivery of the same id may have won.
        row = _find(db, panel, webhook_id)
        if row is None:
            operation_id = provisioning.record(db, command, settings)
            # Plain SQL: sqlite-utils' insert() looks the table up in sqlite_master first.
            db.execute(
                "INSERT INTO webhook_events (panel, webhook_id, received_at, action, service_id,"
                " body_sha256, request_id, operation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    panel,
                    webhook_id,
                    time.time(),
                    command.action,
                    command.service_id,
                    digest,
                    g.request_id,
                    operation_id,
                ],
            )
            # The inline attempt's lease in the same durable commit: one fsync per hook.
            claimed = provisioning.claim_inline(db, settings, operation_id)
    if row is not None:
        return _replay(db, panel, row, digest)
    log.info(
        "hook accepted",
        extra={
            **logx,
            "action": command.action,
            "service_id": command.service_id,
            "operation_id": operation_id,
        },
    )

    try:
        outcome = provisioning.run_inline(settings, operation_id, claimed)
    except Exception:
        # The operation is recorded; the worker carries it on. Reply with its state.
        log.exception("inline attempt failed", extra={**logx, "operation_id": operation_id})
        outcome = provisioning.outcome_of(db, operation_id)
    reply = _encode(outcome)
    kept = _kept_for_replay(command.action, outcome)
    # No fsync for the stored reply: if a power cut loses it, a replay of this webhook-id
    # is answered from the operation's state (outcome_of), as for a crash before this.
    with store.write(db, durable=False):
        db.execute(
            "UPDATE webhook_events SET status = ?, reply = ?, replied_at = ? "
            "WHERE panel = ? AND webhook_id = ?",
            [kept.status, _encode(kept).decode(), time.time(), panel, webhook_id],
        )
    log.info("hook replied", extra={**logx, "status": outcome.status})
    return _json_reply(outcome.status, reply)
