"""Every action against the sandbox: suspend/unsuspend/terminate, reinstall, power, rename,
add-ons, plan changes, reads, invoice_paid."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
import requests

from bridge.errors import BridgeError
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.stack import BridgeEnv


def _status(env: BridgeEnv, server_id: str) -> str:
    return next(s for s in env.sandbox.state()["servers"] if s["id"] == server_id)["status"]


def _refused(env: BridgeEnv, action: str, service_id: str, **kw) -> BridgeError:
    with pytest.raises(BridgeError) as info:
        env.record(env.command(action, service_id, **kw))
    return info.value


def test_suspend_stops_blocks_power_and_sso_then_unsuspend_starts(env: BridgeEnv) -> None:
    server_id = env.running_service("20")
    _, out = env.submit(env.command("suspend", "20"))
    assert out.status == 200 and out.body["result"]["suspended"] is True
    assert _status(env, server_id) == "stopped"

    for action, params in (("power", {"action": "start"}), ("sso", {})):
        err = _refused(env, action, "20", params=params)
        assert (err.status, err.code) == (409, "service_suspended")
        assert "unsuspend" in err.message
    assert _status(env, server_id) == "stopped"

    _, out = env.submit(env.command("unsuspend", "20"))
    assert out.status == 200, out
    assert _status(env, server_id) == "running"
    _, out = env.submit(env.command("power", "20", params={"action": "reboot"}))
    assert out.status == 200 and out.body["result"]["power"] == "reboot"


def test_terminate_destroys_with_the_destroy_key(env: BridgeEnv) -> None:
    server_id = env.running_service("21")
    _, out = env.submit(env.command("terminate", "21"))
    assert out.status == 200, out
    assert out.body["result"]["already_gone"] is False
    assert _status(env, server_id) == "terminated"
    assert env.service("21")["state"] == "terminated"


def test_terminate_without_destroy_scope_is_refused_clearly(env: BridgeEnv) -> None:
    env.reconfigure(OTWA_DESTROY_KEY="otwa_sandbox_default")  # the everyday key: no destroy
    server_id = env.running_service("22")
    _, out = env.submit(env.command("terminate", "22"))
    assert out.status == 403
    assert out.body["error"]["code"] == "otwa_scope"
    assert "servers:destroy" in out.body["error"]["message"]
    assert _status(env, server_id) == "running"


@pytest.mark.parametrize("how", ["deleted-elsewhere", "unknown-to-otwa"])
def test_terminate_of_a_server_already_gone_is_success(env: BridgeEnv, how: str) -> None:
    server_id = env.running_service("23")
    if how == "deleted-elsewhere":
        requests.delete(
            f"{env.sandbox.api}/servers/{server_id}",
            headers={"Authorization": "Bearer otwa_sandbox_destroy"},
            timeout=5,
        ).raise_for_status()
    else:
        conn = sqlite3.connect(env.db_path)
        conn.execute("UPDATE services SET server_id = ?", [str(uuid.uuid4())])
        conn.commit()
        conn.close()
    _, out = env.submit(env.command("terminate", "23"))
    assert out.status == 200, out
    assert out.body["result"]["already_gone"] is True
    assert env.service("23")["state"] == "terminated"


def test_terminate_with_grace_stops_now_and_destroys_later(env: BridgeEnv) -> None:
    server_id = env.running_service("24")
    op_id, out = env.submit(env.command("terminate", "24", params={"grace_seconds": 0.5}))
    assert out.status == 202 and out.body["operation"]["state"] == "scheduled"
    assert _status(env, server_id) == "stopped"
    env.drain()
    assert env.op(op_id)["state"] == "done"
    assert _status(env, server_id) == "terminated"


def test_unsuspend_cancels_a_terminate_in_its_grace_period(env: BridgeEnv) -> None:
    server_id = env.running_service("25")
    op_id, out = env.submit(env.command("terminate", "25", params={"grace_seconds": 30}))
    assert out.status == 202
    _, out = env.submit(env.command("unsuspend", "25"))
    assert out.status == 200
    assert env.op(op_id)["state"] == "cancelled"
    assert [j["state"] for j in env.jobs(op_id) if j["kind"] == "destroy"] == ["cancelled"]
    assert _status(env, server_id) == "running"
    assert env.service("25")["state"] == "active"


def test_reinstall_rebuilds_and_writes_the_new_password_back(
    env: BridgeEnv, whmcs: FakeWhmcs
) -> None:
    server_id = env.running_service("26")
    before = env.credentials(server_id)["password"]
    op_id, out = env.submit(env.command("reinstall", "26", params={"os": "Debian 12"}))
    assert out.status == 200, out
    assert out.body["operation"]["state"] == "building"
    env.drain()
    assert env.op(op_id)["state"] == "done"
    after = env.credentials(server_id)
    assert after["password"] != before
    assert whmcs.calls("UpdateClientProduct")[-1]["servicepassword"] == after["password"]
    server = next(s for s in env.sandbox.state()["servers"] if s["id"] == server_id)
    assert server["os"] == "debian-12"


def test_reset_password_is_written_back_not_stored(env: BridgeEnv, whmcs: FakeWhmcs) -> None:
    server_id = env.running_service("27")
    op_id, out = env.submit(env.command("reset_password", "27"))
    assert out.status == 200, out
    new = env.credentials(server_id)["password"]
    assert new not in str(out.body)
    env.drain()
    assert whmcs.calls("UpdateClientProduct")[-1]["servicepassword"] == new
    assert new not in env.db_path.read_bytes().decode("latin-1")


def test_change_package_to_another_plan_is_refused_and_changes_nothing(env: BridgeEnv) -> None:
    env.running_service("28")
    before = env.sandbox.state()
    err = _refused(env, "change_package", "28", product_id="2")
    assert (err.status, err.code) == (422, "plan_change_unsupported")
    assert "Starter" in err.message and "Standard" in err.message
    assert "Nothing was changed" in err.message
    after = env.sandbox.state()
    assert after["servers"] == before["servers"] and after["charges"] == before["charges"]
    assert env.rows("SELECT * FROM operations WHERE action = 'change_package'") == []


def test_change_package_same_plan_adds_the_addon_types_asked_for(env: BridgeEnv) -> None:
    server_id = env.running_service("29")
    _, out = env.submit(
        env.command("change_package", "29", options={"Backups": "Daily", "Extra IPv4": "Yes"})
    )
    assert out.status == 200, out
    assert sorted(out.body["result"]["bought"]) == ["backup", "extra-ip"]
    server = next(s for s in env.sandbox.state()["servers"] if s["id"] == server_id)
    assert len(server["networking"]["additionalIps"]) == 1


def test_change_package_that_would_drop_a_paid_addon_is_refused_in_words(
    env: BridgeEnv,
) -> None:
    from bridge import store
    from bridge.provisioning import checks

    env.running_service("34", options={"Extra IPv4": "Yes"})
    env.submit(env.command("add_addon", "34", params={"type": "backup"}))  # a product add-on
    before = env.sandbox.state()
    # The options no longer ask for the extra IP (and never asked for the backup).
    drop = {"Extra IPv4": "No"}
    err = _refused(env, "change_package", "34", options=drop)
    assert (err.status, err.code) == (422, "addon_detach_unsupported")
    assert err.details == {"types": ["extra-ip"], "options": ["Extra IPv4"]}
    assert "cannot remove the extra-ip add-on" in err.message and '"Extra IPv4"' in err.message
    assert "Nothing was changed" in err.message
    assert env.rows("SELECT * FROM operations WHERE action = 'change_package'") == []
    assert env.sandbox.state()["charges"] == before["charges"]
    # validate asks the same before the customer pays.
    db = store.connect(env.db_path)
    try:
        with pytest.raises(BridgeError) as info:
            checks.validate(
                env.bridge,
                db,
                env.command("validate", "34", options=drop, params={"for": "change_package"}),
            )
    finally:
        db.close()
    assert info.value.code == "addon_detach_unsupported"
    # Keeping the option is fine; the product add-on's backup is not the options' to drop.
    _, out = env.submit(env.command("change_package", "34", options={"Extra IPv4": "Yes"}))
    assert out.status == 200 and out.body["result"]["already_active"] == ["extra-ip"]


def test_add_addon_buys_one_per_type(env: BridgeEnv) -> None:
    env.running_service("30")
    _, out = env.submit(env.command("add_addon", "30", params={"type": "backup"}))
    assert out.status == 200 and out.body["result"]["bought"] == ["backup"]
    _, out = env.submit(env.command("add_addon", "30", params={"type": "backup"}))
    assert out.status == 200 and out.body["result"]["already_active"] == ["backup"]
    _, out = env.submit(env.command("add_addon", "30", params={"type": "ip-class"}))
    assert out.status == 422 and out.body["error"]["code"] == "addon_not_offered"


def test_rename_keeps_the_recognisable_label(env: BridgeEnv) -> None:
    server_id = env.running_service("31")
    _, out = env.submit(env.command("rename", "31", params={"label": "web shop!"}))
    assert out.status == 200, out
    label = next(s for s in env.sandbox.state()["servers"] if s["id"] == server_id)["label"]
    assert label == "web shop whmcs-31-g1"


def _answer(env: BridgeEnv, action: str, service_id: str, **kw):
    """What the hook endpoint answers at once for a read (bridge.web.answers)."""
    from bridge import store
    from bridge.web.answers import ANSWERS

    db = store.connect(env.db_path)
    try:
        return ANSWERS[action](env.bridge, db, env.command(action, service_id, **kw))
    finally:
        db.close()


def test_reads_are_answered_without_operations_and_sso_once(env: BridgeEnv) -> None:
    server_id = env.running_service("32")
    recorded = env.rows("SELECT id FROM operations")
    out = _answer(env, "status", "32", params={"detail": "client"})
    assert out.status == 200 and out.body["operation"] is None
    result = out.body["result"]
    assert (result["status"], result["server_id"]) == ("running", server_id)
    assert result["plan_name"] == "Starter" and result["stats"]["live"]["cpu_percent"] >= 0
    assert {"Ubuntu 24.04", "Debian 12"} <= {c["value"] for c in result["os_choices"]}
    assert result["last_operation"]["action"] == "create"
    out = _answer(env, "usage", "32")
    assert out.status == 200 and out.body["result"]["power_state"]
    out = _answer(env, "test_connection", "0")
    assert out.status == 200 and out.body["result"]["connected"] is True
    assert env.rows("SELECT id FROM operations") == recorded  # reads record nothing
    with pytest.raises(BridgeError) as info:
        env.record(env.command("status", "32"))
    assert info.value.code == "not_recorded"

    op_id, out = env.submit(env.command("sso", "32"))
    assert out.status == 200 and out.body["result"]["url"].startswith("http")
    assert "url" not in (env.op(op_id)["result"] or {})  # handed out once, never stored


@pytest.mark.parametrize("action", ["invoice_paid", "invoice_refunded", "validate"])
def test_answered_actions_are_never_recorded_as_operations(env: BridgeEnv, action: str) -> None:
    err = _refused(env, action, "33")  # the hook answers them (bridge.web.answers)
    assert (err.status, err.code) == (400, "not_recorded")
    assert env.rows("SELECT * FROM operations") == []


def test_actions_on_an_unknown_service_are_404(env: BridgeEnv) -> None:
    err = _refused(env, "suspend", "nope")
    assert (err.status, err.code) == (404, "no_server")
    op_id, out = env.submit(env.command("terminate", "nope"))
    assert out.status == 200 and out.body["result"]["already_gone"] is True
