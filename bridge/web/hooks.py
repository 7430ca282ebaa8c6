"""Hook intake: ``POST /v1/hooks/<panel>`` (pinned; see docs/hooks.md).

Order of checks, each refusal in the one JSON error shape and changing nothing:
unknown panel (404) -> body size (413, before reading it all) -> Standard Webhooks
signature on the raw bytes (401) -> replay of a known ``webhook-id`` (the first reply,
verbatim, ``Webhook-Replayed: true``) -> JSON (400) -> action (400) -> schema (400) ->
products map (422). Actions answered at once (``bridge.web.answers``) are answered, then
remembered without an fsync; the invoice hooks, which book money, are booked and
remembered in one durable transaction. Otherwise provisioning accepts it in ONE durable
transaction (hook row, operation, job, inline lease), the inline attempt runs (no
transaction held across Otwa calls) and its reply is kept for replays. This module holds no SQL.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid

from flask import Blueprint, Response, g, request

from bridge import safejson, signing
from bridge.commands import ACTIONS, Command, Outcome
from bridge.errors import BridgeError
from bridge.panels import Panel
from bridge.provisioning import checks, inbox, outcome_of, run_inline
from bridge.web import answers, current_bridge, get_db

log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__)

REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _request_id() -> str:
    rid = request.headers.get("X-Request-Id", "")
    return rid if REQUEST_ID_RE.fullmatch(rid) else uuid.uuid4().hex


@bp.after_app_request
def _echo_request_id(response: Response) -> Response:
    rid = g.get("request_id")
    if rid:
        response.headers["X-Request-Id"] = rid
    return response


def _json_reply(status: int, body: bytes, *, replayed: bool = False) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    if replayed:
        response.headers["Webhook-Replayed"] = "true"
    return response


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


def _replay(panel: str, seen: inbox.Remembered, digest: str) -> Response:
    """The reply for a ``webhook-id`` seen before: stored reply, or the operation's state."""
    if seen.body_sha256 and seen.body_sha256 != digest:
        raise BridgeError(
            "This webhook-id was already used for a different body; give every new event "
            "its own webhook-id (retries of the same event keep theirs).",
            code="webhook_id_reused",
            status=409,
        )
    log.info(
        "hook replayed",
        extra={"panel": panel, "webhook_id": seen.webhook_id, "request_id": g.request_id},
    )
    if seen.reply is not None and seen.status is not None:
        return _json_reply(seen.status, seen.reply.encode(), replayed=True)
    # First delivery still in flight (or crashed before storing its reply): report the
    # operation's current state and never do the work again.
    outcome = outcome_of(get_db(), str(seen.operation_id))
    return _json_reply(outcome.status, inbox.encode(outcome), replayed=True)


def _command(panel: Panel, raw: bytes, webhook_id: str) -> Command:
    try:
        body = safejson.loads(raw)
    except safejson.JsonRefused as exc:
        raise BridgeError(
            f"The hook body is not accepted JSON: {exc}. Send one JSON object, UTF-8.",
            code="malformed_json",
        ) from None
    if isinstance(body, dict) and "action" in body:
        action = panel.action_of(body)
        if action is None:
            raise BridgeError(
                f"Unknown action {body['action']!r}. Known actions: " + ", ".join(ACTIONS) + ".",
                code="unknown_action",
            )
        body = {**body, "action": action}
    problems = panel.schema_errors(body)
    if problems:
        raise BridgeError(
            f"The hook body is not accepted: {problems[0]['message']} "
            f"(schema: webhooks/schema/{panel.SCHEMA})",
            code="invalid_body",
            details=problems,
        )
    return panel.to_command(body, webhook_id=webhook_id, request_id=g.request_id)


@bp.post("/v1/hooks/<panel>")
def intake(panel: str) -> Response:
    """Verify, deduplicate, translate, record, attempt; reply in the pinned shape."""
    g.request_id = _request_id()
    bridge = current_bridge()
    adapter = bridge.panel(panel)
    if adapter is None:
        raise BridgeError(
            f"No panel {panel!r} is configured; add [panels.{panel}] to config/bridge.toml "
            "or fix the URL.",
            code="unknown_panel",
            status=404,
        )
    raw = _read_body(bridge.settings.hook_max_bytes)
    if not adapter.config.secrets:
        raise BridgeError(
            f"Panel {panel!r} has no hook secret; set {adapter.config.secrets_env} on the bridge.",
            code="panel_not_configured",
            status=503,
        )
    webhook_id = signing.verify(
        {name.lower(): value for name, value in request.headers.items()},
        raw,
        adapter.config.secrets,
        now=bridge.clock.now(),
        tolerance=bridge.settings.hook_tolerance,
    )
    digest = hashlib.sha256(raw).hexdigest()
    db = get_db()
    seen = inbox.find(db, panel, webhook_id)
    if seen is not None:
        return _replay(panel, seen, digest)

    command = _command(adapter, raw, webhook_id)
    logx = {"panel": panel, "webhook_id": webhook_id, "request_id": g.request_id}
    answer = answers.ANSWERS.get(command.action)
    if answer is not None:
        if command.action in answers.DURABLE:  # money: booked with the hook row, durably
            booked = inbox.book_answer(
                bridge,
                db,
                command,
                lambda: adapter.render(answer(bridge, db, command)),
                digest=digest,
                request_id=g.request_id,
            )
            if isinstance(booked, inbox.Remembered):  # a concurrent delivery won the race
                return _replay(panel, booked, digest)
            answered = booked
        else:
            answered = adapter.render(answer(bridge, db, command))
            earlier = inbox.remember_answer(
                bridge, db, command, answered, digest=digest, request_id=g.request_id
            )
            if earlier is not None:
                return _replay(panel, earlier, digest)
        log.info(
            "hook answered", extra={**logx, "action": command.action, "status": answered.status}
        )
        return _json_reply(answered.status, inbox.encode(answered))
    bridge.catalog.validate(command)
    checks.before_recording(bridge, db, command)
    accepted = inbox.accept(
        bridge, db, command, digest=digest, request_id=g.request_id, render=adapter.render
    )
    if isinstance(accepted, inbox.Remembered):  # a concurrent delivery won the race
        return _replay(panel, accepted, digest)
    if accepted.reply is not None:  # queued for the budget, reply kept: nothing left to do
        log.info(
            "hook queued",
            extra={**logx, "action": command.action, "operation_id": accepted.operation_id},
        )
        return _json_reply(accepted.reply.status, inbox.encode(accepted.reply))
    operation_id = accepted.operation_id
    log.info(
        "hook accepted",
        extra={
            **logx,
            "action": command.action,
            "service_id": command.service_id,
            "operation_id": operation_id,
        },
    )
    outcome: Outcome
    try:
        outcome = run_inline(bridge, operation_id, accepted.claimed)
    except Exception:
        # The operation is recorded; the worker carries it on. Reply with its state.
        log.exception("inline attempt failed", extra={**logx, "operation_id": operation_id})
        outcome = outcome_of(db, operation_id)
    outcome = adapter.render(outcome)
    inbox.keep_reply(bridge, db, command, outcome)
    log.info("hook replied", extra={**logx, "status": outcome.status})
    return _json_reply(outcome.status, inbox.encode(outcome))
