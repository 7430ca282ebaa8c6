"""Accepted hooks end to end through the Flask app, provisioning and the real sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge import create_app, store
from tests.web import hookkit as k

SAMPLES = Path(__file__).resolve().parents[2] / "webhooks" / "samples"


@pytest.fixture
def app(sandbox, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name, value in k.ENV.items():
        monkeypatch.setenv(name, value)
    return create_app(
        {
            "DATABASE": str(db_path),
            "CONFIG": str(k.write_config(tmp_path)),
            "OTWA_BASE_URL": sandbox.api,
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
            "TESTING": True,
        }
    )


def _rows(db_path: Path, table: str) -> list[dict]:
    db = store.connect(db_path)
    try:
        return list(db.query(f"SELECT * FROM {table}"))  # noqa: S608 - fixed names
    finally:
        db.close()


def _whmcs_create() -> dict:
    body = json.loads((SAMPLES / "whmcs" / "create.json").read_text())
    # Labels as a hand-written products map names them (tests/web/hookkit.py's map).
    body["configoptions"] = {"Operating System": "3|Ubuntu 24.04", "Extra IPv4": "7|Yes"}
    return body


def test_whmcs_create_orders_one_server_and_stores_the_reply(app, sandbox, db_path) -> None:
    client = app.test_client()
    r = k.post(client, _whmcs_create(), msg_id="msg_create_1", headers={"X-Request-Id": "rq-1"})
    assert r.status_code in (200, 201, 202), r.json
    assert r.json["ok"] is True and r.json["operation"]
    assert r.headers["X-Request-Id"] == "rq-1"
    assert "Webhook-Replayed" not in r.headers

    (event,) = _rows(db_path, "webhook_events")
    assert (event["panel"], event["webhook_id"], event["action"]) == (
        "whmcs",
        "msg_create_1",
        "create",
    )
    assert event["operation_id"] and event["request_id"] == "rq-1"
    assert (event["status"], event["reply"].encode()) == (r.status_code, r.data)
    ops = _rows(db_path, "operations")
    assert [(o["id"], o["request_id"]) for o in ops] == [(event["operation_id"], "rq-1")]

    servers = sandbox.state()["servers"]
    assert [s["label"] for s in servers] == ["whmcs-1042-g1"]
    assert servers[0]["hostname"] == "web1.example.com"


def test_replay_after_success_returns_the_first_bytes_and_orders_nothing(app, sandbox, db_path):
    client = app.test_client()
    first = k.post(client, _whmcs_create(), msg_id="msg_create_2")
    before = (k.snapshot(db_path), len(sandbox.state()["servers"]))
    again = k.post(client, _whmcs_create(), msg_id="msg_create_2", secret=k.OLD_SECRET)
    assert (again.status_code, again.data) == (first.status_code, first.data)
    assert again.headers["Webhook-Replayed"] == "true"
    assert (k.snapshot(db_path), len(sandbox.state()["servers"])) == before


def test_replay_when_the_first_reply_was_never_stored_reports_the_operation(
    app, sandbox, db_path
) -> None:
    client = app.test_client()
    first = k.post(client, _whmcs_create(), msg_id="msg_crash")
    op_id = first.json["operation"]["id"]
    # As if the process died after the commit, before the reply was stored.
    db = store.connect(db_path)
    with store.write(db):
        db.execute("UPDATE webhook_events SET reply = NULL, status = NULL")
    db.close()
    before = (k.snapshot(db_path), len(sandbox.state()["servers"]))
    again = k.post(client, _whmcs_create(), msg_id="msg_crash")
    assert again.headers["Webhook-Replayed"] == "true"
    assert again.json["ok"] is True and again.json["operation"]["id"] == op_id
    assert (k.snapshot(db_path), len(sandbox.state()["servers"])) == before


def test_a_refusal_from_provisioning_records_nothing(app, sandbox, db_path) -> None:
    before = k.snapshot(db_path)
    r = k.post(app.test_client(), k.envelope("suspend", id="9999"), msg_id="msg_no_server")
    assert r.status_code == 404, r.json
    assert r.json["ok"] is False and r.json["error"]["code"]
    assert k.snapshot(db_path) == before
    assert sandbox.state()["servers"] == []


def test_concurrent_deliveries_of_one_event_do_the_work_once(app, sandbox, db_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    raw, headers = k.signed(_whmcs_create(), msg_id="msg_race")

    def deliver(_: int):
        return app.test_client().post("/v1/hooks/whmcs", data=raw, headers=headers)

    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(deliver, range(6)))
    assert all(r.json["ok"] is True for r in replies), [r.json for r in replies]
    assert sum(r.headers.get("Webhook-Replayed") != "true" for r in replies) == 1
    assert len(_rows(db_path, "webhook_events")) == 1
    assert len(_rows(db_path, "operations")) == 1
    assert len(sandbox.state()["servers"]) == 1


def test_sso_link_is_never_stored_and_its_replay_is_refused(app, sandbox, db_path) -> None:
    client = app.test_client()
    assert k.post(client, _whmcs_create(), msg_id="msg_sso_create").json["ok"] is True
    sandbox.advance(200)  # the build finishes
    sso = _whmcs_create() | {"action": "sso"}
    first = k.post(client, sso, msg_id="msg_sso_1")
    assert first.status_code == 200, first.json
    url = first.json["result"]["url"]
    assert url.startswith(sandbox.url)
    (event,) = [e for e in _rows(db_path, "webhook_events") if e["webhook_id"] == "msg_sso_1"]
    assert url not in json.dumps(_rows(db_path, "webhook_events") + _rows(db_path, "operations"))
    again = k.post(client, sso, msg_id="msg_sso_1")
    assert again.status_code == 410
    assert again.json["error"]["code"] == "sso_link_already_issued"
    assert again.headers["Webhook-Replayed"] == "true"
    assert event["status"] == 410
