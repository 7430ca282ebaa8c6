"""Reads and adoption through the hook endpoint, against the real sandbox: status, usage,
unlinked_servers, reconcile, catalog and test_connection are answered at once (no
operation, no job) from a shared few-second cache; adopt links an existing server."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from bridge import create_app, runtime, store
from bridge.clock import ManualClock
from tests.web import hookkit as k

KEY = {"Authorization": "Bearer otwa_sandbox_default"}
STARTER = "6f1c1a52-3d0e-4f5a-9a57-0c1e2b7d5a01"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock.following_system()


@pytest.fixture
def app(sandbox, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock):
    for name, value in k.ENV.items():
        monkeypatch.setenv(name, value)
    bridge = runtime.build(
        {
            "DATABASE": str(db_path),
            "CONFIG": str(k.write_config(tmp_path)),
            "OTWA_BASE_URL": sandbox.api,
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
            "INLINE_HOLD_SECONDS": 0.0,
            # Long enough that a loaded machine cannot age a shared read mid-test; tests
            # that need it older move the clock.
            "READ_CACHE_SECONDS": 60.0,
            "TESTING": True,
        },
        clock=clock,
    )
    return create_app(bridge=bridge)


def order(sandbox, label: str, *, running: bool = True, region: str = "tr-ist-01") -> str:
    """A server ordered at Otwa outside the bridge; built at once on the sandbox clock."""
    r = requests.post(
        f"{sandbox.api}/servers",
        json={
            "productId": STARTER,
            "os": "debian-12",
            "osTemplate": "debian-12",
            "region": region,
            "label": label,
        },
        headers=KEY,
        timeout=5,
    )
    assert r.status_code == 201, r.text
    if running:
        sandbox.advance(900)
    return str(r.json()["id"])


def hook(app, what: str, service: str = "1042", **params: Any) -> Any:
    body = k.envelope(what, id=service)
    body["params"] = params
    return k.post(app.test_client(), body, msg_id="msg_" + uuid.uuid4().hex[:16])


def routes(sandbox) -> dict[str, int]:
    return dict(sandbox.state()["requests"]["byRoute"])


def recorded(db_path: Path) -> dict[str, int]:
    counts = k.snapshot(db_path)
    return {t: counts[t] for t in ("operations", "jobs", "services")}


def test_adopt_links_an_existing_server_and_orders_nothing(app, sandbox, db_path) -> None:
    server_id = order(sandbox, "legacy-web-1")
    r = hook(app, "adopt", server_id=server_id)
    assert r.status_code == 200, r.json
    assert r.json["operation"]["action"] == "adopt"
    result = r.json["result"]
    assert (result["server_id"], result["adopted"], result["label"]) == (
        server_id,
        True,
        "legacy-web-1",
    )
    assert routes(sandbox)["POST /api/v1/servers"] == 1  # only the test's own order
    db = store.connect(db_path)
    service = db.execute(
        "SELECT state, server_id, label, plan FROM services WHERE service_id = '1042'"
    ).fetchone()
    db.close()
    assert service == ("active", server_id, "legacy-web-1", "Starter")
    # Adopting it again for the same service is a harmless repeat (the write-back again).
    assert hook(app, "adopt", server_id=server_id).status_code == 200


def test_adopt_refusals_change_nothing(app, sandbox, db_path) -> None:
    first, second = order(sandbox, "legacy-a"), order(sandbox, "legacy-b")
    assert hook(app, "adopt", "1042", server_id=first).status_code == 200
    before = k.snapshot(db_path)
    cases = [
        (("1043", "nope-" + "0" * 20), 404, "server_not_found"),
        (("1043", first), 409, "server_already_linked"),
        (("1042", second), 409, "service_has_server"),
        (("1043", "../etc"), 400, "invalid_body"),
    ]
    for (service, server_id), status, code in cases:
        r = hook(app, "adopt", service, server_id=server_id)
        assert (r.status_code, r.json["error"]["code"]) == (status, code), r.json
        assert r.json["error"]["message"]
    r = hook(app, "adopt", "1043", server_id=first)
    assert r.json["error"]["details"] == {"panel": "whmcs", "service_id": "1042"}
    after = k.snapshot(db_path)
    assert {t: after[t] for t in after if t != "read_cache"} == {
        t: before[t] for t in before if t != "read_cache"
    }


def test_status_answers_what_a_client_area_shows_and_records_nothing(app, sandbox, db_path) -> None:
    server_id = order(sandbox, "web-1")
    hook(app, "adopt", server_id=server_id)
    before = recorded(db_path)
    r = hook(app, "status", detail="client")
    assert r.status_code == 200 and r.json["operation"] is None
    s = r.json["result"]
    assert (s["server_id"], s["status"], s["label"]) == (server_id, "running", "web-1")
    assert s["ip"] and s["hostname"] and s["additional_ips"] == []
    assert (s["os"], s["region"], s["plan"], s["plan_name"]) == (
        "debian-12",
        "tr-ist-01",
        STARTER,
        "Starter",
    )
    assert s["os_label"] and s["region_label"] and s["region_label"] != "tr-ist-01"
    assert [c["value"] for c in s["os_choices"]] == ["Ubuntu 24.04", "Debian 12"]
    assert s["stats"]["live"]["memory_total_mb"] == 2048 and s["stats"]["history"] == []
    assert s["last_operation"]["action"] == "adopt" and s["last_operation"]["id"]
    admin = hook(app, "status", detail="admin").json["result"]
    assert "stats" not in admin and "os_choices" not in admin
    assert recorded(db_path) == before  # no operation, no job, no service change
    bad = hook(app, "status", detail="everything")
    assert (bad.status_code, bad.json["error"]["code"]) == (400, "invalid_body")
    unknown = hook(app, "status", "9999")
    assert (unknown.status_code, unknown.json["error"]["code"]) == (404, "no_server")
    assert "adopt" in unknown.json["error"]["message"]


def test_reads_are_shared_for_a_few_seconds_and_a_change_makes_them_stale(
    app, sandbox, db_path, clock: ManualClock
) -> None:
    server_id = order(sandbox, "web-2")
    hook(app, "adopt", server_id=server_id)
    base = routes(sandbox)

    def calls(route: str) -> int:
        return routes(sandbox).get(route, 0) - base.get(route, 0)

    for _ in range(5):
        assert hook(app, "status", detail="client").status_code == 200
    assert calls("GET /api/v1/servers/:id") == 1
    assert calls("GET /api/v1/servers/:id/stats") == 1
    clock.advance(61)  # READ_CACHE_SECONDS (60) later: asked again, the sample kept
    again = hook(app, "status", detail="client").json["result"]
    assert calls("GET /api/v1/servers/:id") == 2
    assert len(again["stats"]["history"]) == 1
    assert hook(app, "power", action="stop").status_code == 200
    stopped = hook(app, "status").json["result"]
    assert stopped["status"] == "stopped"  # the power change made the cached read stale
    assert calls("GET /api/v1/servers/:id") == 3


def test_a_storm_of_concurrent_page_views_makes_one_otwa_call(app, sandbox) -> None:
    server_id = order(sandbox, "web-3")
    hook(app, "adopt", server_id=server_id)
    sandbox.set_latency(0.4, routes=["GET /api/v1/servers/:id", "GET /api/v1/servers/:id/stats"])
    base = routes(sandbox)
    answers: list[int] = []

    def view() -> None:
        answers.append(hook(app, "status", detail="client").status_code)

    try:
        threads = [threading.Thread(target=view) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        sandbox.set_latency(0.0)
    assert answers == [200] * 8
    after = routes(sandbox)
    for route in ("GET /api/v1/servers/:id", "GET /api/v1/servers/:id/stats"):
        assert after.get(route, 0) - base.get(route, 0) == 1, route


def test_a_read_otwa_cannot_answer_is_503_and_changes_nothing(
    app, sandbox, db_path, clock: ManualClock
) -> None:
    server_id = order(sandbox, "web-4")
    hook(app, "adopt", server_id=server_id)
    clock.advance(61)  # the adopt's own read has aged
    before = recorded(db_path)
    sandbox.faults(1.0, ["500"], methods=["GET"])
    try:
        r = hook(app, "status")
    finally:
        sandbox.clear_faults()
    assert r.status_code == 503 and r.json["error"]["code"] == "otwa_unavailable"
    assert "Ask again" in r.json["error"]["message"]
    assert recorded(db_path) == before
    # The failure is shared briefly (a storm during an outage is not multiplied) ...
    asked = routes(sandbox).get("GET /api/v1/servers/:id", 0)
    assert hook(app, "status").status_code == 503
    assert routes(sandbox).get("GET /api/v1/servers/:id", 0) == asked
    clock.advance(3)  # ... and for 2 s at most
    assert hook(app, "status").json["result"]["status"] == "running"


def test_batched_usage_reads_the_server_list_once(app, sandbox) -> None:
    for service, label in (("2001", "u-1"), ("2002", "u-2")):
        hook(app, "adopt", service, server_id=order(sandbox, label))
    base = routes(sandbox).get("GET /api/v1/servers", 0)
    r = hook(app, "usage", "0", services=[2001, "2002", 2003])
    assert r.status_code == 200 and r.json["operation"] is None
    result = r.json["result"]
    assert set(result["services"]) == {"2001", "2002"} and result["missing"] == [2003]
    figures = result["services"]["2001"]
    assert (figures["disk_limit_mb"], figures["bw_limit_mb"]) == (25 * 1024, 1000 * 1024)
    assert "disk_used_mb" not in figures  # Otwa v1.9 reports no consumption: nothing invented
    assert routes(sandbox).get("GET /api/v1/servers", 0) - base == 1


def test_unlinked_servers_lists_what_no_service_holds(app, sandbox) -> None:
    linked, free = order(sandbox, "linked-1"), order(sandbox, "free-1")
    hook(app, "adopt", server_id=linked)
    r = hook(app, "unlinked_servers", "0")
    assert r.status_code == 200 and r.json["operation"] is None
    [server] = r.json["result"]["servers"]
    assert (server["server_id"], server["label"], server["status"]) == (free, "free-1", "running")
    assert server["plan"] == "Starter" and server["product_key"] == "1"
    assert server["ip"] and server["created_at"].endswith("Z")


def test_reconcile_names_each_kind_of_problem(app, sandbox) -> None:
    ids = {n: order(sandbox, f"rc-{n}") for n in ("ok", "stopped", "moved", "gone")}
    for n, service in (("ok", "3001"), ("stopped", "3002"), ("moved", "3003"), ("gone", "3004")):
        hook(app, "adopt", service, server_id=ids[n])
    servers = {s["id"]: s for s in sandbox.state()["servers"]}
    requests.post(f"{sandbox.api}/servers/{ids['stopped']}/power/stop", headers=KEY, timeout=5)
    requests.delete(
        f"{sandbox.api}/servers/{ids['gone']}",
        headers={"Authorization": "Bearer otwa_sandbox_destroy"},
        timeout=5,
    ).raise_for_status()

    def seen(service: str, name: str, **kw: Any) -> dict[str, Any]:
        server = servers[ids[name]]
        return {
            "id": service,
            "status": "Active",
            "server_id": ids[name],
            "dedicatedip": server["ipAddress"],
            "assignedips": [],
            **kw,
        }

    described = [
        seen("3001", "ok"),
        seen("3002", "stopped"),
        seen("3003", "moved", dedicatedip="198.51.100.254", server_id="somebody-else"),
        seen("3004", "gone"),
        {"id": "3005", "status": "Active", "server_id": "", "dedicatedip": "", "assignedips": []},
    ]
    r = hook(app, "reconcile", "0", services=described)
    assert r.status_code == 200 and r.json["operation"] is None
    result = r.json["result"]
    assert result["checked"] == 5
    kinds = sorted((str(p["service_id"]), p["kind"]) for p in result["problems"])
    assert kinds == [
        ("3002", "not_running"),
        ("3003", "ip_changed"),
        ("3003", "server_id_mismatch"),
        ("3004", "missing_server"),
        ("3005", "unknown_to_bridge"),
    ]
    moved = next(p for p in result["problems"] if p["kind"] == "ip_changed")
    assert moved["ip"] == servers[ids["moved"]]["ipAddress"] and moved["additional_ips"] == []
    assert all(p["message"] for p in result["problems"])


def test_catalog_gives_the_map_with_otwas_names(app, sandbox) -> None:
    r = hook(app, "catalog", "0")
    assert r.status_code == 200 and r.json["operation"] is None
    result = r.json["result"]
    assert result["products"]["1"] == {
        "plan": "Starter",
        "plan_name": "Starter",
        "regions": ["tr-ist-01"],
        "region": "tr-ist-01",
    }
    regions = {x["value"]: x["label"] for x in result["regions"]}
    assert set(regions) == {"tr-ist-01", "de-fra-01"} and regions["tr-ist-01"] != "tr-ist-01"
    assert [x["value"] for x in result["os"]] == ["Ubuntu 24.04", "Debian 12"]
    assert result["addons"]["Extra IPv4"] == {"Yes": "extra-ip", "No": ""}


def test_test_connection_is_a_read(app, sandbox, db_path) -> None:
    r = hook(app, "test_connection", "0")
    assert r.status_code == 200 and r.json["operation"] is None
    assert r.json["result"]["connected"] is True and r.json["result"]["balance"] == "500.00"
    assert recorded(db_path)["operations"] == 0


def test_a_revealed_password_is_in_the_reply_once_and_never_kept(app, sandbox, db_path) -> None:
    server_id = order(sandbox, "pw-1")
    hook(app, "adopt", server_id=server_id)
    body = k.envelope("reset_password")
    body["params"] = {"reveal": True}
    first = k.post(app.test_client(), body, msg_id="msg_reveal_1")
    assert first.status_code == 200, first.json
    password = first.json["result"]["password"]
    current = requests.get(f"{sandbox.api}/servers/{server_id}/credentials", headers=KEY, timeout=5)
    assert password == current.json()["password"]
    assert first.json["result"]["username"] == "root"
    db = store.connect(db_path)
    kept = "\n".join(str(v) for row in db.execute("SELECT * FROM operations") for v in row)
    kept += "\n".join(str(v) for row in db.execute("SELECT * FROM webhook_events") for v in row)
    db.close()
    assert password not in kept  # neither the operation nor the stored reply holds it
    again = k.post(app.test_client(), body, msg_id="msg_reveal_1")
    assert again.status_code == 410 and again.headers["Webhook-Replayed"] == "true"
    assert again.json["error"]["code"] == "password_already_shown"
    assert password not in again.get_data(as_text=True)
    # Without reveal the reply carries no password (staff: it is written back to the panel).
    plain = hook(app, "reset_password")
    assert plain.status_code == 200 and "password" not in plain.json["result"]
