"""Issue 9's proof, end to end over php-cli, gunicorn, the worker, the sandbox and the fake
WHMCS: a customer's whole service life in one run (order, client area in a real browser,
reinstall, new password, SSO through Otwa's link and the bridge's own, suspend, unsuspend,
terminate), an add-on that never touches its parent, the import of an existing server, and
a page-view storm through gunicorn's processes that makes one Otwa call. The failure paths
(402, a wrong secret, the bridge down or hung) are tests/whmcs/test_module.py's
test_wallet_too_low_is_named_for_staff, test_wrong_secret_is_a_clear_error_and_changes_nothing,
test_unreachable_bridge and test_a_bridge_that_never_answers_times_out_with_a_clear_error."""

from __future__ import annotations

import shutil
import threading
import uuid
from pathlib import Path

import requests

from tests.support.fake_whmcs import FakeWhmcs
from tests.support.stack import Stack
from tests.whmcs.conftest import WhmcsModule
from tests.whmcs.test_addons import addon_types, order_addon
from tests.whmcs.test_admin import foreign_server, server_params
from tests.whmcs.test_client_area import ARTIFACTS, chromium, render, whmcs_page_vars
from tests.whmcs.test_module import (
    _params_of,
    _server_id_field,
    label,
    running_service,
    wait_status,
    wait_written_back,
)


def _sent(module: WhmcsModule, function: str) -> list[dict]:
    return [e for e in module.log() if e["action"] == function and "url" in e["request"]]


def test_a_service_from_order_to_termination(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs, php: str, tmp_path: Path
) -> None:
    sid = 7101
    # Order: CreateAccount -> one server, built, IP and root password written back.
    spec = running_service(stack, module, whmcs, sid, extra_ip=1)
    server = stack.servers(label(sid))[0]
    first_password = whmcs.service(sid)["password"]
    assert _server_id_field(whmcs, sid) == server["id"]

    # The client area: one status read carries IPs, plan, stats; rendered and opened.
    out = module.call("ClientArea", spec, context="client")
    view = out["templateVariables"]["otwabridge"]
    assert view["primary_ip"] == server["ipAddress"] and view["extra_ips"]
    assert view["plan"] == "Starter" and len(view["charts"]) == 4
    assert len(_sent(module, "ClientArea")) == 1  # stats came with status: one read
    whmcs_vars = whmcs_page_vars(whmcs.service(sid), sid)
    page = render(php, tmp_path, "overview.tpl", out["templateVariables"], whmcs_vars)
    shot = tmp_path / "journey.png"
    chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,1500")
    assert shot.exists() and shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "whmcs-journey-client-area.png")
    dom = chromium(tmp_path, page, "--dump-dom")
    assert server["ipAddress"] in dom.stdout and 'data-js-errors=""' in dom.stdout

    # Reinstall from the client area: a new OS, the new password written back.
    post = {"otwabridge_os": "debian-12", "otwabridge_confirm": "yes"}
    assert module.call("ClientReinstall", spec, context="client", post=post) == "success"
    stack.wait_for(lambda: stack.servers(label(sid))[0]["os"] == "debian-12", 30, "reinstall")
    wait_status(stack, sid, "running", timeout=60)
    stack.wait_for(lambda: whmcs.service(sid)["password"] != first_password, 30, "new password")

    # Reset password: shown once to the client, and written to WHMCS all the same.
    page_vars = module.call("ClientResetPassword", spec, context="client")["vars"]["otwabridge"]
    shown = page_vars["password"]
    assert shown and shown == stack.credentials(server["id"])["password"]
    stack.wait_for(lambda: whmcs.service(sid)["password"] == shown, 30, "password written back")

    # SSO into the control panel (the service's `sso`): a one-time link, used once.
    sso = module.call("ServiceSingleSignOn", spec, context="client")
    assert sso["success"] is True and requests.get(sso["redirectTo"], timeout=5).ok
    # Staff: the bridge's own one-time link (sso_link) into the reseller's dashboard.
    staff = {**server_params(module, whmcs), "configoption1": "http://127.0.0.1"}
    admin_sso = module.call("AdminSingleSignOn", staff, context="admin")
    assert admin_sso["success"] is True, admin_sso
    assert admin_sso["redirectTo"].startswith(f"{stack.url}/sso/")
    assert requests.get(admin_sso["redirectTo"], timeout=10).status_code == 200

    # An add-on: attached to the parent's server; its cancellation never touches it.
    settings = {"1": "http://127.0.0.1", "6": "backup"}
    addon = order_addon(whmcs, 7901, sid, configoption=settings, friendly={"Add-on type": "backup"})
    assert module.call("CreateAccount", addon) == "success"
    assert sorted(addon_types(stack, sid)) == ["backup", "extra-ip"]
    assert "cannot remove an add-on" in module.call("TerminateAccount", addon)
    assert sorted(addon_types(stack, sid)) == ["backup", "extra-ip"]
    assert stack.servers(label(sid))[0]["status"] == "running"

    # Suspend, unsuspend, terminate; AfterModuleTerminate clears the IPs.
    assert module.call("SuspendAccount", spec) == "success"
    wait_status(stack, sid, "stopped")
    assert module.call("UnsuspendAccount", spec) == "success"
    wait_status(stack, sid, "running")
    assert module.call("TerminateAccount", spec) == "success"
    wait_status(stack, sid, "terminated")
    module.hook("AfterModuleTerminate", {"params": _params_of(whmcs, sid)})
    assert whmcs.service(sid)["dedicatedip"] == ""
    # Only changes were recorded: no operation for any of the reads above.
    actions = {r["action"] for r in stack.rows("SELECT action FROM operations")}
    assert actions == {
        "create",
        "reinstall",
        "reset_password",
        "sso",
        "add_addon",
        "suspend",
        "unsuspend",
        "terminate",
    }


def test_an_existing_server_is_imported_with_server_sync(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    legacy = foreign_server(stack, "legacy-shop")
    stack.sandbox.advance(900)  # built
    listed = module.call("ListAccounts", server_params(module, whmcs), context="admin")
    assert [a["uniqueIdentifier"] for a in listed["accounts"]] == [legacy["id"]]
    # WHMCS imports it as a service whose "Server ID" field holds the id; Sync adopts it.
    module.add_service(7201, status="Active")
    params = {**_params_of(whmcs, 7201), "customfields": {"Server ID": legacy["id"]}}
    assert module.call("AdminSync", params, context="admin") == "success"
    service = wait_written_back(stack, whmcs, 7201)
    assert service["dedicatedip"] == stack.sandbox.state()["servers"][0]["ipAddress"]
    assert len(stack.sandbox.state()["servers"]) == 1  # nothing ordered
    assert module.call("ListAccounts", server_params(module, whmcs))["accounts"] == []
    assert module.call("AdminStop", "service:7201", context="admin") == "success"
    stack.wait_for(lambda: stack.sandbox.state()["servers"][0]["status"] == "stopped", 30)


def test_a_page_view_storm_through_every_gunicorn_process_makes_one_otwa_call(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 7301)
    stack.sandbox.set_latency(0.5, routes=["GET /api/v1/servers/:id"])
    before = stack.sandbox.state()["requests"]["byRoute"].get("GET /api/v1/servers/:id", 0)
    body = {**_params_of(whmcs, 7301), "action": "status", "params": {"detail": "admin"}}
    body = {k: body[k] for k in ("action", "serviceid", "pid", "userid", "params")}
    codes: list[int] = []

    def view() -> None:
        reply = stack.hook("whmcs", body, webhook_id=f"msg_{uuid.uuid4().hex[:12]}")
        codes.append(reply.status_code)

    try:
        threads = [threading.Thread(target=view) for _ in range(12)]  # 2 processes x 4 threads
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        stack.sandbox.set_latency(0.0)
    assert codes == [200] * 12
    after = stack.sandbox.state()["requests"]["byRoute"].get("GET /api/v1/servers/:id", 0)
    assert after - before == 1
