"""The WHMCS module (PHP, via php-cli) against a real bridge, sandbox and fake WHMCS:
the service lifecycle, admin buttons, SSO and the failure paths."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from tests.support.fake_whmcs import BRIDGE_ROLE, FakeWhmcs
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


def wait_written_back(stack: Stack, whmcs: FakeWhmcs, sid: int) -> dict:
    """The fake WHMCS's service once the bridge wrote its IP back."""
    return stack.wait_for(
        lambda: (s := whmcs.service(sid)).get("dedicatedip") and s, 30, f"write-back of {sid}"
    )


def running_service(stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs, sid: int, **kw) -> str:
    """Create service ``sid`` through the module and wait until it runs and is written back;
    the service is Active in WHMCS afterwards. Returns its ``service:<id>`` spec."""
    spec = module.add_service(sid, **kw)
    assert module.call("CreateAccount", spec) == "success"
    wait_status(stack, sid, "running")
    wait_written_back(stack, whmcs, sid)
    module.set_status(sid, "Active")
    return spec


@pytest.mark.parametrize("module", ["stream", "curl"], indirect=True)
def test_create_builds_one_server_written_back_and_a_retry_adds_none(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = module.add_service(1042)
    assert module.call("CreateAccount", spec) == "success"
    server = server_of(stack, 1042)
    assert server["label"] == label(1042)
    assert server["os"] == "ubuntu-24.04"  # "ubuntu-24.04|Ubuntu 24.04" arrives as its value

    running = wait_status(stack, 1042, "running")
    assert running["id"] == server["id"]
    service = wait_written_back(stack, whmcs, 1042)
    assert service["password"] not in ("", "canary-svc-pw-Q8xz4L"), "Otwa's root password"

    # WHMCS retries CreateAccount (Module Queue "Retry", a second Create click): a new
    # call, a new webhook-id, the same service: the bridge answers from the one operation.
    orders_before = stack.sandbox.state()["requests"]["byRoute"].get("POST /api/v1/servers")
    assert module.call("CreateAccount", spec) == "success"
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
    body = entries[0]["request"]["body"]
    assert body["configoptions"] == {"os": "ubuntu-24.04", "Location": "tr-ist-01", "Extra IPv4": 0}
    # The Otwa server id is kept in WHMCS too (custom field "Server ID", created on save).
    assert stack.wait_for(lambda: _server_id_field(whmcs, 1042) == server["id"], 10, "Server ID")


def _server_id_field(whmcs: FakeWhmcs, sid: int) -> str:
    state = whmcs.state()
    service = state["services"][str(sid)]
    fields = state["products"][str(service["pid"])].get("customfields", [])
    field = next((f for f in fields if f["name"] == "Server ID"), None)
    return service.get("customfields", {}).get(str(field["id"]), "") if field else ""


def test_yes_no_option_arrives_as_its_quantity_and_orders_the_add_on(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 1043, extra_ip=1, location=22)
    server = server_of(stack, 1043)
    assert server["region"] == "de-fra-01"
    assert [a["type"] for a in server.get("addons", [])] == ["extra-ip"], server


def test_suspend_unsuspend_terminate_drive_the_server_and_clear_the_ips(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = running_service(stack, module, whmcs, 2001)
    assert whmcs.service(2001)["dedicatedip"]
    whmcs.seed(services=[{**whmcs.service(2001), "suspendreason": "Overdue on Invoice #5012"}])

    assert module.call("SuspendAccount", spec) == "success"
    assert wait_status(stack, 2001, "stopped")
    assert module.call("UnsuspendAccount", spec) == "success"
    assert wait_status(stack, 2001, "running")
    assert module.call("TerminateAccount", spec) == "success"
    assert wait_status(stack, 2001, "terminated")
    assert stack.servers(label(2001)) == []
    # Terminating again (WHMCS retry) is not an error: the server is gone either way.
    assert module.call("TerminateAccount", spec) == "success"

    # AfterModuleTerminate clears the addresses the customer no longer has.
    params = json.loads(json.dumps(_params_of(whmcs, 2001)))
    module.hook("AfterModuleTerminate", {"params": params})
    service = whmcs.service(2001)
    assert service["dedicatedip"] == "" and service["assignedips"] == ""


def _params_of(whmcs: FakeWhmcs, sid: int) -> dict:
    return dict(
        requests.get(f"{whmcs.url}/_fake/params", params={"serviceid": sid}, timeout=5).json()
    )


def test_admin_buttons(stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs) -> None:
    assert module.call("AdminCustomButtonArray") == {
        "Start server": "AdminStart",
        "Stop server": "AdminStop",
        "Reboot server": "AdminReboot",
        "Reinstall OS": "AdminReinstall",
        "Reset root password": "AdminResetPassword",
        "Sync with bridge": "AdminSync",
    }
    assert module.call("ClientAreaCustomButtonArray") == []
    assert module.call("ClientAreaAllowedFunctions") == [
        "ClientPower",
        "ClientReinstall",
        "ClientResetPassword",
    ]
    spec = running_service(stack, module, whmcs, 2101)
    assert module.call("AdminReboot", spec, context="admin") == "success"
    assert module.call("AdminStop", spec, context="admin") == "success"
    assert wait_status(stack, 2101, "stopped")
    assert module.call("AdminStart", spec, context="admin") == "success"
    assert wait_status(stack, 2101, "running")
    assert module.call("AdminSync", spec, context="admin") == "success"


def test_change_password_is_gone_and_reset_writes_otwas_new_password_back(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs, php: str
) -> None:
    import subprocess

    from tests.whmcs.conftest import HARNESS, MODULE

    spec = running_service(stack, module, whmcs, 6001)
    first = whmcs.service(6001)["password"]
    # WHMCS hides "Change Password" when the module has no ChangePassword function.
    proc = subprocess.run(
        [php, str(HARNESS), "call", str(MODULE), "ChangePassword", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "no such module function" in proc.stderr

    assert module.call("AdminResetPassword", spec, context="admin") == "success"
    stack.wait_for(lambda: whmcs.service(6001)["password"] != first, 30, "new password")


def test_change_package_and_reinstall(stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs) -> None:
    spec = running_service(stack, module, whmcs, 6002)
    whmcs.seed(services=[{**whmcs.service(6002), "pid": 2}])  # upgraded to product 2
    other_plan = module.call("ChangePackage", spec)
    assert "[plan_change_unsupported, HTTP 422]" in other_plan, other_plan

    whmcs.seed(
        services=[{**whmcs.service(6002), "pid": 1, "configoptions": {"1": 12, "2": 21, "3": 0}}]
    )
    assert module.call("AdminReinstall", spec, context="admin") == "success"
    stack.wait_for(
        lambda: [s for s in stack.servers(label(6002)) if s.get("os") == "debian-12"],
        30,
        "reinstalled server",
    )
    assert len(stack.servers(label(6002))) == 1


def test_unknown_product_returns_the_bridge_message(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    whmcs.seed(
        products=[
            {
                "id": 99,
                "name": "Unmapped",
                "module": "otwabridge",
                "configoption": {"1": "http://127.0.0.1"},
                "configoptions": [],
            }
        ]
    )
    result = module.call("CreateAccount", module.add_service(3001, pid=99))
    assert result.startswith("Otwa bridge: ")
    assert "[unknown_product, HTTP 422]" in result and "99" in result
    assert stack.sandbox.state()["servers"] == []


def test_an_os_on_sale_in_whmcs_but_not_in_the_map_is_refused_before_anything_is_ordered(
    stack: Stack, module: WhmcsModule
) -> None:
    result = module.call("CreateAccount", module.add_service(3003, os=14))
    assert "[unmapped_option, HTTP 422]" in result and "windows-3.11" in result, result
    assert stack.sandbox.state()["servers"] == []


def test_action_on_a_service_without_server_is_a_readable_error(
    stack: Stack, module: WhmcsModule
) -> None:
    result = module.call("SuspendAccount", module.add_service(3002, status="Active"))
    assert "[no_server, HTTP 404]" in result, result


@pytest.mark.parametrize("module", ["stream", "curl"], indirect=True)
def test_sso_returns_a_one_time_link_on_the_dashboard(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = running_service(stack, module, whmcs, 4001)
    reply = module.call("ServiceSingleSignOn", spec, context="client")
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
    params = {**_params_of(whmcs, 4002), "configoption1": ""}  # default: otwa.cloud only
    staff = module.call("ServiceSingleSignOn", params, context="admin")
    assert staff["success"] is False and "redirectTo" not in staff
    assert "127.0.0.1" in staff["errorMsg"] and "SSO allowed hosts" in staff["errorMsg"]
    client = module.call("ServiceSingleSignOn", params, context="client")
    assert client["success"] is False
    assert_client_safe(client["errorMsg"])


def assert_client_safe(text: str) -> None:
    """What a client may read: no bridge URL, host, port, HTTP status or provider name."""
    for leak in ("http://", "127.0.0.1", "HTTP ", "Otwa", "bridge", "[", "whsec_"):
        assert leak not in text, (leak, text)
    assert "Reference:" in text or text, text


@pytest.mark.parametrize("module", ["stream", "curl"], indirect=True)
def test_wrong_secret_is_a_clear_error_and_changes_nothing(
    stack: Stack, module: WhmcsModule
) -> None:
    other = "whsec_" + "b3RoZXItc2VjcmV0LW5vdC10aGUtYnJpZGdlcy0xMjM0"
    params = module.params(5001, serverpassword=other)
    result = module.call("CreateAccount", params)
    assert "[invalid_signature, HTTP 401]" in result and "secret" in result, result
    assert other not in result
    assert stack.sandbox.state()["servers"] == []

    check = module.call("TestConnection", module.params(0, serverpassword=other))
    assert check["success"] is False and "invalid_signature" in check["error"]
    # The same failure in the client area: a plain sentence with a support reference.
    client = module.call(
        "ClientPower",
        {**params, "status": "Active"},
        context="client",
        post={"otwabridge_power": "reboot"},
    )
    assert_client_safe(client)
    assert "Reference: whmcs-ClientPower-5001-" in client


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
    client = module.call("ClientArea", module.params(5003, status="Active"), context="client")
    error = client["templateVariables"]["otwabridge"]["error"]
    assert_client_safe(error)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung bridge)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    sock.close()


@pytest.mark.parametrize("offline_module", ["stream", "curl"], indirect=True)
def test_a_bridge_that_never_answers_times_out_with_a_clear_error(
    offline_module: WhmcsModule, silent_port: int
) -> None:
    module = offline_module
    params = module.params(5004, serverport=str(silent_port), configoption2="2")
    started = time.monotonic()
    result = module.call("CreateAccount", params)
    assert time.monotonic() - started < 8
    assert result.startswith("Could not reach the Otwa bridge"), result
    assert module.log()[-1]["request"]["attempts"] == 1  # a slow failure is not resent


def test_wallet_too_low_is_named_for_staff(tmp_path, sandbox, whmcs: FakeWhmcs, php: str) -> None:
    """402 from Otwa: staff read what to top up; nothing is created."""
    from tests.whmcs.conftest import WHMCS_TOML, check_canaries, seed_world

    s = Stack(tmp_path, sandbox, whmcs, {"OTWA_API_KEY": "otwa_sandbox_broke"})
    s.config_path.write_text(WHMCS_TOML.format(api_url=whmcs.api_url))
    s.start(workers=1, serve=True)
    try:
        seed_world(whmcs, s.port)
        whmcs.set_role(BRIDGE_ROLE)
        module = WhmcsModule(php, tmp_path, s.port, "stream", whmcs)
        result = module.call("CreateAccount", module.add_service(5005))
        assert "[otwa_wallet, HTTP 402]" in result and "Top up" in result, result
        assert sandbox.state()["servers"] == []
        check_canaries(module)
    finally:
        s.stop()


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
    assert "Otwa" not in meta["ServiceSingleSignOnLabel"]  # clients see it
    assert meta["ListAccountsUniqueIdentifierField"] == "customfield.Server ID"
    options = module.call("ConfigOptions", {"producttype": "server", "isAddon": False})
    # Positions are the upgrade contract: 1 and 2 are module 1.0's two settings.
    assert list(options)[:2] == ["SSO allowed hosts", "Request timeout"]
    assert list(options)[2:] == [
        "Products map entry",
        "Default region",
        "Default operating system",
        "Add-on type",
        "Name shown to clients",
        "Hide reinstall from clients",
        "Bridge admin console URL",
    ]
    assert options["Products map entry"]["Loader"].endswith("Boot::loadProducts")


def test_a_missing_api_permission_fails_the_write_back(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    """The fake WHMCS enforces the credential's API role like WHMCS does."""
    whmcs.set_role([a for a in BRIDGE_ROLE if a != "UpdateClientProduct"])
    assert module.call("CreateAccount", module.add_service(7001)) == "success"
    wait_status(stack, 7001, "running")
    refused = stack.wait_for(
        lambda: [c for c in whmcs.calls("UpdateClientProduct") if c["serviceid"] == "7001"],
        30,
        "write-back attempt",
    )
    assert refused and not whmcs.service(7001).get("dedicatedip")
    reply = requests.post(
        whmcs.api_url,
        data={
            "identifier": FakeWhmcs.IDENTIFIER,
            "secret": FakeWhmcs.SECRET,
            "action": "UpdateClientProduct",
            "serviceid": "7001",
            "responsetype": "json",
        },
        timeout=5,
    ).json()
    assert reply == {
        "result": "error",
        "message": 'Invalid Permissions: API action "UpdateClientProduct" is not allowed',
    }


def test_a_create_run_by_checkout_auto_setup_still_answers_staff(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    """Auto-setup runs CreateAccount inside the client's request (CLIENTAREA is defined),
    but WHMCS shows the answer to staff only (Module Queue): keep the detail."""
    whmcs.seed(
        products=[
            {
                "id": 98,
                "name": "Unmapped",
                "module": "otwabridge",
                "configoption": {"1": "http://127.0.0.1"},
                "configoptions": [],
            }
        ]
    )
    result = module.call("CreateAccount", module.add_service(3004, pid=98), context="client")
    assert "[unknown_product, HTTP 422]" in result, result
