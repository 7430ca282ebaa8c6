"""Replays of a known webhook-id: the first reply verbatim, nothing done again."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

import pytest

from bridge import create_app, store
from tests.web import hookkit as k


@pytest.fixture
def app(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name, value in k.ENV.items():
        monkeypatch.setenv(name, value)
    return create_app(
        {"DATABASE": str(db_path), "CONFIG": str(k.write_config(tmp_path)), "TESTING": True}
    )


def _store_reply(db_path: Path, body: dict, msg_id: str, status: int, reply: bytes) -> None:
    raw, _ = k.signed(body, msg_id=msg_id)
    db = store.connect(db_path)
    with store.write(db):
        db["webhook_events"].insert(
            {
                "panel": "whmcs",
                "webhook_id": msg_id,
                "received_at": time.time(),
                "action": body["action"],
                "service_id": "1042",
                "body_sha256": hashlib.sha256(raw).hexdigest(),
                "operation_id": "op_1",
                "status": status,
                "reply": reply.decode(),
            }
        )
    db.close()


def test_stored_reply_is_replayed_verbatim_and_nothing_changes(app, db_path: Path) -> None:
    body = k.envelope()
    stored = b'{"ok":true,"operation":{"id":"op_1","state":"succeeded"},"result":{"x":1}}'
    _store_reply(db_path, body, "msg_replay", 201, stored)
    before = k.snapshot(db_path)
    # A retry is re-signed with a fresh timestamp (and here with the rotated-out secret).
    r = k.post(app.test_client(), body, msg_id="msg_replay", secret=k.OLD_SECRET)
    assert r.status_code == 201
    assert r.data == stored
    assert r.headers["Webhook-Replayed"] == "true"
    assert k.snapshot(db_path) == before


def test_replay_of_a_stored_refusal_shape_is_verbatim_too(app, db_path: Path) -> None:
    body = k.envelope("suspend")
    stored = json.dumps({"ok": False, "error": {"code": "x", "message": "y"}}).encode()
    _store_reply(db_path, body, "msg_err", 409, stored)
    r = k.post(app.test_client(), body, msg_id="msg_err")
    assert (r.status_code, r.data, r.headers["Webhook-Replayed"]) == (409, stored, "true")


def test_replay_still_needs_a_valid_signature(app, db_path: Path) -> None:
    body = k.envelope()
    _store_reply(db_path, body, "msg_sig", 201, b'{"ok":true}')
    r = k.post(app.test_client(), body, msg_id="msg_sig", secret=k.GENERIC_SECRET)
    assert (r.status_code, r.json["error"]["code"]) == (401, "invalid_signature")
    assert "Webhook-Replayed" not in r.headers


def test_reused_webhook_id_with_another_body_is_409(app, db_path: Path) -> None:
    body = k.envelope()
    _store_reply(db_path, body, "msg_reuse", 201, b'{"ok":true}')
    before = k.snapshot(db_path)
    r = k.post(app.test_client(), k.envelope("terminate"), msg_id="msg_reuse")
    assert (r.status_code, r.json["error"]["code"]) == (409, "webhook_id_reused")
    assert k.snapshot(db_path) == before


def test_same_webhook_id_on_another_panel_is_a_different_event(app, db_path: Path) -> None:
    body = k.envelope(product_id="404")
    _store_reply(db_path, k.envelope(), "msg_x", 201, b'{"ok":true}')
    r = k.post(app.test_client(), body, "generic", msg_id="msg_x", secret=k.GENERIC_SECRET)
    # Not replayed: it went through the checks and the generic map refuses product 404.
    assert (r.status_code, r.json["error"]["code"]) == (422, "unknown_product")


def test_webhook_ids_are_remembered_for_the_dedupe_window_then_pruned(app, db_path: Path) -> None:
    from bridge.clock import ManualClock
    from bridge.provisioning import worker

    bridge = app.extensions["otwa_bridge"]
    keep = bridge.settings.hook_dedupe_seconds
    assert keep >= 7 * 86400
    body = {"action": "status", "service": {"id": "1042"}, "client": {"id": "7"}}
    _store_reply(db_path, body, "msg_old", 200, b'{"ok":true}')
    _store_reply(db_path, body, "msg_recent", 200, b'{"ok":true}')
    clock = ManualClock(time.time())
    db = store.connect(db_path)
    with store.write(db):
        db.execute(
            "UPDATE webhook_events SET received_at = ? WHERE webhook_id = 'msg_old'",
            [clock.now() - keep - 60],
        )
        db.execute(
            "UPDATE webhook_events SET received_at = ? WHERE webhook_id = 'msg_recent'",
            [clock.now() - keep + 1800],
        )
    on_clock = dataclasses.replace(bridge, clock=clock)
    # The worker prunes at most hourly (across every worker, through the schedules table).
    assert worker.prune_if_due(on_clock, db) == 1
    left = [row[0] for row in db.execute("SELECT webhook_id FROM webhook_events")]
    assert left == ["msg_recent"]
    clock.advance(1800)  # msg_recent is now past the window, but the hour has not passed
    assert worker.prune_if_due(on_clock, db) == 0
    clock.advance(1800)
    assert worker.prune_if_due(on_clock, db) == 1
    assert db.execute("SELECT count(*) FROM webhook_events").fetchone()[0] == 0
    db.close()
