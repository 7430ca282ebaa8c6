"""The WHMCS module (PHP, via php-cli) against a real bridge, sandbox and fake WHMCS API."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import ROOT
from tests.support.stack import HOOK_SECRET, Stack
from tests.whmcs.conftest import WhmcsModule


def label(service_id: int, generation: int = 1) -> str:
    return f"whmcs-{service_id}-g{generation}"


def server_of(stack: Stack, service_id: int) -> dict:
    servers = stack.servers(label(service_id))
    assert len(servers) == 1, servers
    return servers[0]


def wait_status(stack: Stack, service_id: int, status: str, timeout: float = 30.0) -> dict:
    """The service's one sandbox server once it has ``status`` (live or terminated)."""

    def match() -> dict | None:
        found = [s for s in stack.servers(label(service_id), live=False) if s["status"] == status]
        return found[0] if found else None

    return stack.wait_for(match, timeout, f"server of {service_id} {status}")


def running_service(stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs, sid: int) -> dict:
    assert module.call("CreateAccount", module.params(sid)) == "success"
    server = wait_status(stack, sid, "running")
    stack.wait_for(
        lambda: [c for c in whmcs.calls("UpdateClientProduct") if c["serviceid"] == str(sid)],
        30,
        "write-back",
    )
    return server


@pytest.mark.parametrize("module", ["stream", "curl"], indirect=True)
def test_create_builds_one_server_written_back_and_a_retry_adds_none(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    assert module.call("CreateAccount", module.params(1042)) == "success"
    server = server_of(stack, 1042)
    assert server["label"] == label(1042)

    running = wait_status(stack, 1042, "running")
    assert running["id"] == server["id"]
    calls = stack.wait_for(
        lambda: [c for c in whmcs.calls("UpdateClientProduct") if c["serviceid"] == "1042"],
        30,
        "write-back",
    )
    assert calls[0]["dedicatedip"], calls[0]
    assert calls[0]["servicepassword"], "the Otwa root password is written back"

    # WHMCS retries CreateAccount (Module Queue "Retry", a second Create click): a new
    # call, a new webhook-id, the same service: the bridge answers from the one operation.
    orders_before = stack.sandbox.state()["requests"]["byRoute"].get("POST /api/v1/servers")
    assert module.call("CreateAccount", module.params(1042)) == "success"
    # Answered from the one operation: nothing recorded for a second order, nothing sent.
    creates = stack.rows(
        "SELECT id FROM operations WHERE service_id = '1042' AND action = 'create'"
    )
    assert len(creates) == 1, creates
    routes = stack.sandbox.state()["requests"]["byRoute"]
    assert routes.get("POST /api/v1/servers") == orders_before, routes
    assert [s["id"] for s in stack.servers(label(1042))] == [server["id"]]
    assert len(stack.sandbox.state()["servers"]) == 1

    entries = [e for e in module.log() if e["action"] == "CreateAccount"]
    assert len(entries) == 2
    ids = {e["request"]["webhook_id"] for e in entries}
    assert len(ids) == 2 and all(i.startswith("whmcs-CreateAccount-1042-") for i in ids)
    assert HOOK_SECRET in entries[0]["replaceVars"]


def test_suspend_unsuspend_terminate_drive_the_server(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 2001)
    params = module.params(2001, status="Active", suspendreason="Overdue on Invoice #5012")

    assert module.call("SuspendAccount", params) == "success"
    assert wait_status(stack, 2001, "stopped")
    assert module.call("UnsuspendAccount", params) == "success"
    assert wait_status(stack, 2001, "running")
    assert module.call("TerminateAccount", params) == "success"
    assert wait_status(stack, 2001, "terminated")
    assert stack.servers(label(2001)) == []
    # Terminating again (WHMCS retry) is not an error: the server is gone either way.
    assert module.call("TerminateAccount", params) == "success"


def test_power_buttons(stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs) -> None:
    assert module.call("AdminCustomButtonArray") == {
        "Start server": "Start",
        "Stop server": "Stop",
        "Reboot server": "Reboot",
        "Reinstall OS": "Reinstall",
    }
    assert "Reinstall OS" not in module.call("ClientAreaCustomButtonArray")
    running_service(stack, module, whmcs, 2101)
    params = module.params(2101, status="Active")
    assert module.call("Reboot", params) == "success"
    assert module.call("Stop", params) == "success"
    assert wait_status(stack, 2101, "stopped")
    assert module.call("Start", params) == "success"
    assert wait_status(stack, 2101, "running")


def test_unknown_product_returns_the_bridge_message(stack: Stack, module: WhmcsModule) -> None:
    result = module.call("CreateAccount", module.params(3001, pid=99))
    assert result != "success"
    assert result.startswith("Otwa bridge: ")
    assert "[unknown_product, HTTP 422]" in result
    assert "99" in result
    assert stack.sandbox.state()["servers"] == []


def test_action_on_a_service_without_server_is_a_readable_error(
    stack: Stack, module: WhmcsModule
) -> None:
    result = module.call("SuspendAccount", module.params(3002))
    assert "[no_server, HTTP 404]" in result, result


@pytest.mark.parametrize("module", ["stream", "curl"], indirect=True)
def test_sso_returns_a_one_time_link_on_the_dashboard(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 4001)
    reply = module.call("ServiceSingleSignOn", module.params(4001, status="Active"))
    assert reply["success"] is True, reply
    url = reply["redirectTo"]
    assert url.startswith(stack.sandbox.url + "/sso/"), url

    first = requests.get(url, timeout=5)
    assert first.status_code == 200, first.text
    again = requests.get(url, timeout=5, allow_redirects=False)
    assert again.status_code >= 400  # single use

    sso = [e for e in module.log() if e["action"] == "ServiceSingleSignOn"]
    assert url in sso[0]["replaceVars"]  # WHMCS would scrub it too, had it slipped in


def test_sso_refuses_a_host_outside_the_allow_list(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 4002)
    params = module.params(4002, status="Active", configoption1="")  # default: otwa.cloud only
    reply = module.call("ServiceSingleSignOn", params)
    assert reply["success"] is False
    assert "127.0.0.1" in reply["errorMsg"] and "SSO allowed hosts" in reply["errorMsg"]
    assert "redirectTo" not in reply


@pytest.mark.parametrize("module", ["stream", "curl"], indirect=True)
def test_wrong_secret_is_a_clear_error_and_changes_nothing(
    stack: Stack, module: WhmcsModule
) -> None:
    other = "whsec_" + "b3RoZXItc2VjcmV0LW5vdC10aGUtYnJpZGdlcy0xMjM0"
    result = module.call("CreateAccount", module.params(5001, serverpassword=other))
    assert "[invalid_signature, HTTP 401]" in result, result
    assert "secret" in result
    assert other not in result
    assert stack.sandbox.state()["servers"] == []

    check = module.call("TestConnection", module.params(0, serverpassword=other))
    assert check["success"] is False and "invalid_signature" in check["error"]


def test_a_password_that_is_no_hook_secret_is_named(stack: Stack, module: WhmcsModule) -> None:
    result = module.call("CreateAccount", module.params(5002, serverpassword="hunter2hunter2"))
    assert "whsec_" in result and "Password" in result, result
    assert "hunter2" not in result
    assert stack.sandbox.state()["servers"] == []


@pytest.mark.parametrize("offline_module", ["stream", "curl"], indirect=True)
def test_unreachable_bridge(offline_module: WhmcsModule) -> None:
    module = offline_module
    port = module.bridge_port
    started = time.monotonic()
    result = module.call("CreateAccount", module.params(5003))
    assert result.startswith(f"Could not reach the Otwa bridge at http://127.0.0.1:{port}/")
    assert time.monotonic() - started < 10
    entry = module.log()[-1]
    assert entry["request"]["attempts"] == 2  # a refused connect is resent once, same id


def test_test_connection(stack: Stack, module: WhmcsModule) -> None:
    server_only = {
        k: v for k, v in module.params(0).items() if k.startswith("server") or k == "serverid"
    }
    assert module.call("TestConnection", server_only) == {"success": True, "error": ""}


def test_meta_data_and_config_options(offline_module: WhmcsModule) -> None:
    module = offline_module
    meta = module.call("MetaData")
    assert meta["DisplayName"] == "Otwa Cloud (otwa-bridge)"
    assert meta["APIVersion"] == "1.1" and meta["RequiresServer"] is True
    assert meta["ServiceSingleSignOnLabel"]
    options = module.call("ConfigOptions")
    assert list(options) == ["SSO allowed hosts", "Request timeout"]


def test_signer_matches_the_standard_webhooks_vector(php: str) -> None:
    """The PHP signer interoperates: the spec's published vector (docs/hooks.md)."""
    import subprocess

    lib = ROOT / "webhooks/whmcs/modules/servers/otwabridge/lib"
    code = (
        "define('WHMCS', true); require $argv[1] . '/BridgeError.php'; "
        "require $argv[1] . '/Signer.php'; echo WHMCS\\Module\\Server\\Otwabridge\\Signer::sign("
        "'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, "
        "'{\"test\": 2432232314}');"
    )
    out = subprocess.run(
        [php, "-r", code, str(lib)], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_change_password_writes_otwas_new_password_back(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 6001)
    first = [c for c in whmcs.calls("UpdateClientProduct") if c["serviceid"] == "6001"]
    typed = "typed-in-whmcs-Xy12"
    params = module.params(6001, status="Active", password=typed)
    assert module.call("ChangePassword", params) == "success"

    def second() -> list[dict]:
        calls = [c for c in whmcs.calls("UpdateClientProduct") if c["serviceid"] == "6001"]
        return calls[len(first) :]

    again = stack.wait_for(second, 30, "password write-back")
    assert again[0]["servicepassword"] not in ("", typed, first[0]["servicepassword"])
    # The typed password is neither sent nor logged (only listed for WHMCS to scrub).
    for entry in module.log():
        assert typed not in json.dumps([entry["request"], entry["response"], entry["processed"]])


def test_change_package_and_reinstall(stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs) -> None:
    running_service(stack, module, whmcs, 6002)
    other_plan = module.call("ChangePackage", module.params(6002, status="Active", pid=2))
    assert "[plan_change_unsupported, HTTP 422]" in other_plan, other_plan

    params = module.params(6002, status="Active", configoptions={"Operating System": "Debian 12"})
    assert module.call("Reinstall", params) == "success"
    server = stack.wait_for(
        lambda: [s for s in stack.servers(label(6002)) if s.get("os") == "debian-12"],
        30,
        "reinstalled server",
    )
    assert len(stack.servers(label(6002))) == 1, server
