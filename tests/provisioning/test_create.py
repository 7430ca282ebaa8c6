"""create: one server per service and generation, built, written back to the panel."""

from __future__ import annotations

from tests.support.fake_whmcs import FakeWhmcs
from tests.support.stack import BridgeEnv


def _written_back(env: BridgeEnv, whmcs: FakeWhmcs, op_id: str) -> dict:
    op = env.wait_state(op_id, "done", "failed", "dead")
    assert op["state"] == "done", op
    calls = [c for c in whmcs.calls("UpdateClientProduct") if "_failed" not in c]
    assert calls, "no write-back reached the panel"
    return calls[-1]


def test_create_builds_and_writes_ip_and_credentials_back(env: BridgeEnv, whmcs: FakeWhmcs) -> None:
    cmd = env.command("create", "42", options={"Extra IPv4": "Yes"})
    op_id, outcome = env.submit(cmd)
    assert outcome.status == 200, outcome
    assert outcome.body["operation"]["state"] == "building"
    server_id = outcome.body["operation"]["server_id"]

    with env.worker():
        call = _written_back(env, whmcs, op_id)

    creds = env.credentials(server_id)
    server = next(s for s in env.servers() if s["id"] == server_id)
    extra = [ip["ip"] for ip in server["networking"]["additionalIps"]]
    assert extra, "the extra-ip add-on was ordered with the server"
    assert call["serviceid"] == "42"
    assert call["dedicatedip"] == creds["ip"]
    assert call["assignedips"].split("\n") == extra
    assert call["serviceusername"] == creds["username"]
    assert call["servicepassword"] == creds["password"]
    assert call["identifier"] == FakeWhmcs.IDENTIFIER and call["responsetype"] == "json"
    assert env.service("42")["state"] == "active"
    assert whmcs.calls("SendEmail") == []  # no welcome_email configured
    # Never a password in the database.
    assert creds["password"] not in env.db_path.read_bytes().decode("latin-1")


def test_duplicate_create_hooks_make_one_server(env: BridgeEnv, whmcs: FakeWhmcs) -> None:
    first, out1 = env.submit(env.command("create", "7"))
    second, out2 = env.submit(env.command("create", "7"))
    third = env.record(env.command("create", "7"))
    assert first == second == third
    assert out1.status == out2.status == 200
    assert len(env.servers("whmcs-7-")) == 1
    assert len(env.rows("SELECT * FROM operations WHERE action = 'create'")) == 1


def test_inline_lost_response_is_queued_and_the_worker_finishes_with_one_server(
    env: BridgeEnv, whmcs: FakeWhmcs
) -> None:
    env.sandbox.faults(1.0, ["lost-response"], methods=["POST"], paths=["/servers"], limit=1)
    op_id, outcome = env.submit(env.command("create", "9"))
    assert outcome.status == 202, outcome
    assert outcome.body["result"]["queued"] is True
    assert "same idempotency key" in outcome.body["result"]["reason"]
    assert len(env.servers("whmcs-9-")) == 1  # Otwa did commit it
    env.sandbox.clear_faults()
    with env.worker():
        _written_back(env, whmcs, op_id)
    assert len(env.servers("whmcs-9-")) == 1
    op = env.op(op_id)
    assert op["result"]["server_id"] == env.servers("whmcs-9-")[0]["id"]


def test_inline_500_is_queued_and_retried_by_the_worker(env: BridgeEnv, whmcs: FakeWhmcs) -> None:
    env.sandbox.faults(1.0, ["500"], methods=["POST"], paths=["/servers"])
    op_id, outcome = env.submit(env.command("create", "10"))
    assert outcome.status == 202 and outcome.body["ok"] is True
    assert env.servers("whmcs-10-") == []
    env.sandbox.clear_faults()
    with env.worker():
        _written_back(env, whmcs, op_id)
    assert len(env.servers("whmcs-10-")) == 1
    assert env.jobs(op_id)[0]["attempts"] >= 2


def test_402_refusal_names_plan_price_and_balance_and_records_no_server(
    env: BridgeEnv, whmcs: FakeWhmcs
) -> None:
    env.sandbox.set_balance("otwa_sandbox_default", "3.20")
    op_id, outcome = env.submit(env.command("create", "11"))
    assert outcome.status == 402
    error = outcome.body["error"]
    assert error["code"] == "otwa_wallet"
    assert "Otwa wallet balance too low to deploy plan Starter" in error["message"]
    assert "has 3.20" in error["message"] and "needs " in error["message"]
    assert env.servers() == []
    op = env.op(op_id)
    assert op["state"] == "failed" and op["server_id"] is None
    assert env.service("11")["server_id"] is None
    # After a top-up the panel's retry (a new hook) orders with a fresh key and succeeds.
    env.sandbox.set_balance("otwa_sandbox_default", "500.00")
    again, outcome = env.submit(env.command("create", "11"))
    assert again == op_id and outcome.status == 200
    assert env.op(op_id)["idempotency_key"] != op["idempotency_key"]
    assert len(env.servers("whmcs-11-")) == 1


def test_recreate_after_terminate_is_a_new_generation(env: BridgeEnv, whmcs: FakeWhmcs) -> None:
    first, out = env.submit(env.command("create", "12"))
    assert out.status == 200
    _, out = env.submit(env.command("terminate", "12"))
    assert out.status == 200, out
    second, out = env.submit(env.command("create", "12"))
    assert second != first and out.status == 200
    assert env.op(second)["generation"] == 2
    live = env.servers("whmcs-12-")
    assert [s["label"] for s in live] == ["whmcs-12-g2"]


def test_welcome_email_is_sent_after_the_credentials_are_written(
    env: BridgeEnv, whmcs: FakeWhmcs
) -> None:
    text = env.config_path.read_text()
    env.config_path.write_text(
        text.replace("notify_admins = true", 'notify_admins = true\nwelcome_email = "VPS Welcome"')
    )
    op_id, _ = env.submit(env.command("create", "43"))
    with env.worker():
        _written_back(env, whmcs, op_id)
    actions = [
        c["action"] for c in whmcs.calls() if c.get("serviceid") == "43" or c.get("id") == "43"
    ]
    assert actions == ["UpdateClientProduct", "SendEmail"]
    (mail,) = whmcs.calls("SendEmail")
    assert (mail["messagename"], mail["id"]) == ("VPS Welcome", "43")


def test_the_service_remembers_its_client_and_product(env: BridgeEnv) -> None:
    env.record(env.command("create", "o1", client_id="77", product_id="1"))
    service = env.service("o1")
    assert (service["client_id"], service["product_id"]) == ("77", "1")
    # The panel moved the service to another client: the next hook says so.
    env.record(env.command("suspend", "o1", client_id="88"))
    service = env.service("o1")
    assert (service["client_id"], service["product_id"]) == ("88", "1")
    env.record(env.command("unsuspend", "o1", client_id=None))  # says nothing of the owner
    assert env.service("o1")["client_id"] == "88"
