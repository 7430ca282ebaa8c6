"""The console's pages and JSON over real provisioning data (sandbox, worker): filters,
the detail with history and jobs, retry/cancel behind a confirmation, services with their
servers and IPs, dead letters, health, and the margin-report slot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bridge import create_app, store
from tests.admin.conftest import HASH, csrf_of, log_in
from tests.support.stack import BridgeEnv


@pytest.fixture
def env(tmp_path: Path, sandbox, whmcs) -> BridgeEnv:
    return BridgeEnv(tmp_path, sandbox, whmcs, {"ADMIN_PASSWORD_HASH": HASH})


@pytest.fixture
def client(env: BridgeEnv):
    c = create_app(bridge=env.bridge).test_client()
    assert log_in(c).status_code == 303
    return c


def test_operations_filter_and_show_their_history_and_jobs(env: BridgeEnv, client) -> None:
    server_id = env.running_service("50")
    env.submit(env.command("power", "50", params={"action": "reboot"}))
    page = client.get("/admin/operations?action=create").get_data(as_text=True)
    assert "newest first by creation" in page
    op_ids = re.findall(r'href="/admin/operations/(op_\w+)"', page)
    assert len(op_ids) == 1
    rows = client.get("/admin/api/operations?action=power&panel=whmcs").json["operations"]
    assert [r["action"] for r in rows] == ["power"]
    assert client.get("/admin/api/operations?panel=nope").json["operations"] == []
    detail = client.get(f"/admin/operations/{op_ids[0]}").get_data(as_text=True)
    for text in ("queued", "building", "writeback", "done", server_id, "#"):
        assert text in detail
    api = client.get(f"/admin/api/operations/{op_ids[0]}").json
    assert [h["to_state"] for h in api["history"]][-1] == "done"
    assert {j["kind"] for j in api["jobs"]} >= {"run", "writeback"}


def test_time_filters_and_paging(env: BridgeEnv, client) -> None:
    for n in range(3):
        env.record(env.command("create", f"t{n}"))  # recorded, never run: no worker here
    first = client.get("/admin/api/operations?limit=2").json
    assert len(first["operations"]) == 2 and first["next"]
    rest = client.get(f"/admin/api/operations?limit=2&before={first['next']}").json
    assert len(rest["operations"]) == 1 and rest["next"] is None
    assert client.get("/admin/api/operations?since=2099-01-01").json["operations"] == []
    assert len(client.get("/admin/api/operations?until=2099-01-01T00:00").json["operations"]) == 3


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("state=bogus", "use one of: queued"),
        ("action=explode", "use one of: create"),
        ("since=yesterday", "YYYY-MM-DD"),
        ("limit=0", "from 1 to 500"),
        ("before=abc", "next link"),
    ],
)
def test_bad_filters_are_400_saying_what_to_send(client, query: str, says: str) -> None:
    r = client.get(f"/admin/api/operations?{query}")
    assert r.status_code == 400 and says in r.json["error"]["message"], r.json
    page = client.get(f"/admin/operations?{query}")
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert says in page.get_data(as_text=True)


def test_cancel_of_a_scheduled_terminate_asks_first_then_says_what_happens(
    env: BridgeEnv, client
) -> None:
    env.running_service("51")
    op_id, out = env.submit(env.command("terminate", "51", params={"grace_seconds": 600}))
    assert out.body["operation"]["state"] == "scheduled"
    confirm = client.get(f"/admin/operations/{op_id}/cancel")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Yes, cancel it" in text and "started again" in text
    assert env.op(op_id)["state"] == "scheduled"  # asking changed nothing
    done = client.post(f"/admin/operations/{op_id}/cancel", data={"csrf_token": csrf_of(text)})
    assert done.status_code == 200
    assert "the server is being started again" in done.get_data(as_text=True)
    assert env.op(op_id)["state"] == "cancelled"


def test_retry_through_the_api_and_a_refusal_in_the_json_shape(env: BridgeEnv, client) -> None:
    op_id = env.record(env.command("create", "r0"))
    token = client.get("/admin/api/session").json["csrf_token"]
    r = client.post(f"/admin/api/operations/{op_id}/retry", headers={"X-CSRF-Token": token})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_retryable"
    db = store.connect(env.db_path)
    with store.write(db):
        db.execute("UPDATE operations SET state = 'failed', error_code = 'x' WHERE id = ?", [op_id])
        db.execute(
            "UPDATE jobs SET state = 'dead', last_error = 'boom' WHERE operation_id = ?", [op_id]
        )
    db.close()
    dead = client.get("/admin/api/dead-letters").json["dead_letters"]
    assert [d["operation_id"] for d in dead] == [op_id]
    assert op_id in client.get("/admin/dead-letters").get_data(as_text=True)
    r = client.post(f"/admin/api/operations/{op_id}/retry", headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json == {"ok": True, "operation_id": op_id, "state": "queued"}


def test_services_show_the_server_ips_generation_and_state(env: BridgeEnv, client) -> None:
    server_id = env.running_service("52")
    server = next(s for s in env.sandbox.state()["servers"] if s["id"] == server_id)
    rows = client.get("/admin/api/services?service=52").json["services"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["server_id"], row["state"], row["generation"]) == (server_id, "active", 1)
    assert row["ip"] and row["ip"] == (server.get("ipAddress") or server["networking"]["primaryIp"])
    page = client.get("/admin/services").get_data(as_text=True)
    assert server_id in page and row["ip"] in page


def test_health_shows_reachability_budget_and_the_latest_errors(env: BridgeEnv, client) -> None:
    env.running_service("53")
    health = client.get("/admin/api/health").json
    assert health["otwa"]["reachable"] is True and health["otwa"]["latency_ms"] >= 0
    budget = health["budget"]
    assert (
        budget["limit"] == 90 and budget["window_seconds"] == env.bridge.settings.otwa_rate_window
    )
    # The tests' rate window is 0.1 s (the sandbox runs x600): the count is whatever is live.
    assert budget["used"] == budget["interactive"] + budget["background"] >= 0
    assert budget["mode"] in ("fallback", "probe", "learned") and budget["free"] >= 0
    page = client.get("/admin").get_data(as_text=True)
    assert "reachable" in page and "Otwa's window" in page


def test_the_console_links_to_the_margin_report(env: BridgeEnv) -> None:
    client = create_app(bridge=env.bridge).test_client()
    log_in(client)  # the ledger's /admin/reports/margins is registered: the console links it
    assert 'href="/admin/reports/margins"' in client.get("/admin").get_data(as_text=True)
    report = client.get("/admin/reports/margins")  # the same login opens it
    assert report.status_code == 200 and "Margins, " in report.get_data(as_text=True)


def test_pages_carry_a_script_free_csp_and_no_store(client) -> None:
    r = client.get("/admin/operations")
    policy = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy
    assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Frame-Options"] == "DENY"
    assert "<script" not in r.get_data(as_text=True)
