"""sso_link: the panel asks for a one-time client-area link; the bridge checks the service and
answers at once with its own signed link. No Otwa call (Otwa is unreachable here), no
operation; a refusal records nothing; a replay never hands the link out again."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from bridge import create_app, runtime, store
from bridge.clock import ManualClock
from bridge.sso.tokens import LinkSigner, Target, generate_secret
from tests.web import hookkit as k

SSO_SECRET = generate_secret()
BASE = "https://bridge.acme.test/b"


def _settings(db_path: Path, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "DATABASE": str(db_path),
        "CONFIG": str(k.write_config(tmp_path)),
        "OTWA_BASE_URL": "http://127.0.0.1:9/api/v1",  # unreachable: sso_link never calls it
        "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
        "SSO_SECRETS": SSO_SECRET,
        "PUBLIC_BASE_URL": BASE,
        **extra,
    }


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(float(int(time.time())))  # hooks are signed with the real time


@pytest.fixture
def make_app(db_path: Path, tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch):
    for name, value in k.ENV.items():
        monkeypatch.setenv(name, value)

    def make(**extra: Any) -> Flask:
        bridge = runtime.build(_settings(db_path, tmp_path, **extra), clock=clock)
        return create_app(bridge=bridge)

    return make


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


def add_service(
    db_path: Path,
    service_id: str = "1042",
    *,
    state: str = "active",
    suspended: int = 0,
    client_id: str | None = "77",
    server_id: str | None = "srv-1",
    panel: str = "whmcs",
) -> None:
    db = store.connect(db_path)
    with store.write(db):
        db.execute(
            "INSERT INTO services (panel, service_id, generation, state, suspended, server_id,"
            " client_id, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?, 0, 0)",
            [panel, service_id, state, suspended, server_id, client_id],
        )
    db.close()


def sso_link(client_id: str = "77", service_id: str = "1042", **params: Any) -> dict[str, Any]:
    body = {
        "action": "sso_link",
        "service": {"id": service_id},
        "client": {"id": client_id},
    }
    if params:
        body["params"] = params
    return body


def ask(app: Flask, db_path: Path, body: Any, **kw: Any) -> tuple[Any, dict[str, int]]:
    """Post the hook; the reply and the row counts it changed."""
    before = k.snapshot(db_path)
    r = k.post(app.test_client(), body, **kw)
    after = k.snapshot(db_path)
    return r, {t: after[t] - before[t] for t in after if after[t] != before[t]}


def stored_replies(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return [row[0] for row in conn.execute("SELECT reply FROM webhook_events")]
    finally:
        conn.close()


def test_a_link_for_the_clients_active_service(app: Flask, db_path: Path, clock) -> None:
    add_service(db_path)
    r, recorded = ask(app, db_path, sso_link())
    assert r.status_code == 200, r.json
    assert r.json["ok"] is True and r.json["operation"] is None
    result = r.json["result"]
    assert set(result) == {"url", "expires_at", "expires_in", "target"}
    assert result["target"] == "server" and result["expires_in"] == 600
    assert result["url"].startswith(f"{BASE}/sso/bsso_")
    expected = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock.now() + 600))
    assert result["expires_at"] == expected
    claims = LinkSigner([SSO_SECRET]).verify(result["url"].rsplit("/", 1)[1], now=clock.now())
    assert (claims.panel, claims.service_id, claims.client_id) == ("whmcs", "1042", "77")
    assert claims.target is Target.SERVER and claims.next_path is None
    assert recorded == {"webhook_events": 1}  # no operation, no job, no Otwa call
    # The link is a bearer credential: it never rests in the database.
    token = result["url"].rsplit("/", 1)[1]
    assert all(token not in reply for reply in stored_replies(db_path))


def test_a_replay_never_hands_the_link_out_again(app: Flask, db_path: Path) -> None:
    add_service(db_path)
    first = k.post(app.test_client(), sso_link(), msg_id="msg_link_1")
    assert first.status_code == 200
    again = k.post(app.test_client(), sso_link(), msg_id="msg_link_1")
    assert again.status_code == 410 and again.headers["Webhook-Replayed"] == "true"
    assert again.json["error"]["code"] == "sso_link_already_issued"
    assert "sso_link" in again.json["error"]["message"]
    assert first.json["result"]["url"] not in again.get_data(as_text=True)
    fresh = k.post(app.test_client(), sso_link(), msg_id="msg_link_2")
    assert fresh.status_code == 200 and fresh.json["result"]["url"] != first.json["result"]["url"]


def test_a_dashboard_link_with_a_deep_link(app: Flask, db_path: Path, clock) -> None:
    add_service(db_path, server_id=None)  # the dashboard needs no server of its own
    r, _ = ask(app, db_path, sso_link(target="dashboard", next="/dashboard/billing"))
    assert r.status_code == 200, r.json
    assert r.json["result"]["target"] == "dashboard"
    assert r.json["result"]["next"] == "/dashboard/billing"
    token = r.json["result"]["url"].rsplit("/", 1)[1]
    claims = LinkSigner([SSO_SECRET]).verify(token, now=clock.now())
    assert claims.target is Target.DASHBOARD and claims.next_path == "/dashboard/billing"


def test_staff_get_an_account_link_with_no_service_behind_it(
    app: Flask, db_path: Path, clock
) -> None:
    # What the WHMCS module sends for AdminSingleSignOn (webhooks/samples/whmcs/sso_link.json).
    body = {"action": "sso_link", "serviceid": 0, "userid": 0, "params": {"target": "account"}}
    r, recorded = ask(app, db_path, body)
    assert r.status_code == 200, r.json
    assert r.json["result"]["target"] == "account"
    claims = LinkSigner([SSO_SECRET]).verify(
        r.json["result"]["url"].rsplit("/", 1)[1], now=clock.now()
    )
    assert claims.target is Target.ACCOUNT and claims.service_id == "0"
    assert recorded == {"webhook_events": 1}  # no service was looked up, none recorded


def test_the_whmcs_vocabulary_asks_for_a_link_too(app: Flask, db_path: Path) -> None:
    add_service(db_path)
    body = {"action": "sso_link", "serviceid": 1042, "pid": 1, "userid": 77}
    r, _ = ask(app, db_path, body)
    assert r.status_code == 200, r.json
    assert r.json["result"]["url"].startswith(f"{BASE}/sso/")


@pytest.mark.parametrize(
    ("service", "params", "status", "code"),
    [
        (None, {}, 404, "no_server"),
        ({"client_id": "78"}, {}, 403, "client_mismatch"),
        ({"suspended": 1}, {}, 409, "service_suspended"),
        ({"state": "terminated", "server_id": None}, {}, 404, "no_server"),
        ({"state": "terminating"}, {}, 404, "no_server"),
        ({"state": "provisioning", "server_id": None}, {}, 409, "service_not_ready"),
        ({"state": "failed", "server_id": None}, {}, 409, "service_not_ready"),
        ({"server_id": None}, {"target": "server"}, 409, "service_not_ready"),
        ({}, {"target": "everything"}, 400, "invalid_body"),
        ({}, {"next": "//evil.test/"}, 400, "invalid_body"),
        ({}, {"next": "/dashboard/../admin"}, 400, "bad_request"),
    ],
)
def test_refusals_say_why_and_change_nothing(
    app: Flask,
    db_path: Path,
    service: dict[str, Any] | None,
    params: dict[str, Any],
    status: int,
    code: str,
) -> None:
    if service is not None:
        add_service(db_path, **service)
    r, recorded = ask(app, db_path, sso_link(**params))
    assert r.status_code == status, r.json
    assert r.json["ok"] is False and r.json["error"]["code"] == code
    assert recorded == {}


def test_a_terminate_on_its_way_refuses_new_links(app: Flask, db_path: Path) -> None:
    add_service(db_path)
    body = {**sso_link(), "action": "terminate", "params": {"grace_seconds": 3600}}
    # Otwa is unreachable: the terminate stays queued, the service row still "active".
    assert k.post(app.test_client(), body).status_code == 202
    r, recorded = ask(app, db_path, sso_link())
    assert (r.status_code, r.json["error"]["code"]) == (404, "no_server")
    assert recorded == {}


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"SSO_SECRETS": ""}, "BRIDGE_SSO_SECRETS"),
        ({"PUBLIC_BASE_URL": ""}, "BRIDGE_PUBLIC_BASE_URL"),
    ],
)
def test_without_secrets_or_public_url_links_are_not_configured(
    make_app, db_path: Path, extra: dict[str, str], named: str
) -> None:
    app = make_app(**extra)
    add_service(db_path)
    r, recorded = ask(app, db_path, sso_link())
    assert r.status_code == 503 and r.json["error"]["code"] == "sso_not_configured"
    assert named in r.json["error"]["message"] and recorded == {}


# -- services recorded before owners were (m004) -------------------------------------------------


def owner(db_path: Path, service_id: str = "1042") -> str | None:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute(
            "SELECT client_id FROM services WHERE service_id = ?", [service_id]
        ).fetchone()
        return row[0]
    finally:
        conn.close()


def test_an_ownerless_service_takes_the_first_client_a_signed_hook_names(
    app: Flask, db_path: Path
) -> None:
    add_service(db_path, client_id=None)
    r, recorded = ask(app, db_path, sso_link("77"))
    assert r.status_code == 200, r.json
    assert owner(db_path) == "77" and recorded == {"webhook_events": 1}
    # From then on the usual check: another client gets no link.
    r, _ = ask(app, db_path, sso_link("78"))
    assert (r.status_code, r.json["error"]["code"]) == (403, "client_mismatch")
    assert owner(db_path) == "77"


def test_an_ownerless_service_refused_for_another_reason_stays_ownerless(
    app: Flask, db_path: Path
) -> None:
    add_service(db_path, client_id=None, suspended=1)
    r, recorded = ask(app, db_path, sso_link("77"))
    assert (r.status_code, r.json["error"]["code"]) == (409, "service_suspended")
    assert owner(db_path) is None and recorded == {}
