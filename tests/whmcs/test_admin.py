"""Staff-side functions: the admin service tab and its save, sync and adoption, Server Sync
(ListAccounts), the ConfigOptions loaders, UsageUpdate and AdminSingleSignOn."""

from __future__ import annotations

import requests

from tests.support.fake_whmcs import FakeWhmcs
from tests.support.stack import Stack
from tests.whmcs.conftest import WhmcsModule
from tests.whmcs.test_module import _params_of, _server_id_field, label, running_service

BOOT = "WHMCS\\Module\\Server\\Otwabridge\\Boot::"


def server_params(module: WhmcsModule, whmcs: FakeWhmcs) -> dict:
    return dict(
        requests.get(f"{whmcs.url}/_fake/server-params", params={"serverid": 3}, timeout=5).json()
    )


def foreign_server(stack: Stack, name: str = "legacy-web-1") -> dict:
    """A server ordered at Otwa outside the bridge (to import / adopt)."""
    starter = next(
        p
        for p in requests.get(
            f"{stack.sandbox.api}/products",
            timeout=5,
            headers={"Authorization": "Bearer otwa_sandbox_default"},
        ).json()
        if p["name"] == "Starter"
    )
    reply = requests.post(
        f"{stack.sandbox.api}/servers",
        json={
            "productId": starter["id"],
            "os": "debian-12",
            "osTemplate": "debian-12",
            "region": "tr-ist-01",
            "label": name,
        },
        headers={"Authorization": "Bearer otwa_sandbox_default"},
        timeout=5,
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def test_admin_tab_shows_the_link_and_live_status(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = running_service(stack, module, whmcs, 9501)
    server = stack.servers(label(9501))[0]
    fields = module.call("AdminServicesTabFields", spec, context="admin")
    assert list(fields) == [
        "Server ID",
        "Live status",
        "Bridge operation",
        "Last error",
        "Bridge console",
    ]
    assert f'name="otwabridge_server_id" value="{server["id"]}"' in fields["Server ID"]
    assert f'name="otwabridge_server_id_original" value="{server["id"]}"' in fields["Server ID"]
    assert fields["Live status"] == f"running, {server['ipAddress']}"
    assert fields["Last error"] == "—"
    console = f"http://127.0.0.1:{stack.port}/admin/services/whmcs/9501"
    assert f'href="{console}"' in fields["Bridge console"]


def test_admin_tab_escapes_what_it_shows(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = module.add_service(9502, status="Active")
    params = {**_params_of(whmcs, 9502), "customfields": {"Server ID": '"><script>x</script>'}}
    fields = module.call("AdminServicesTabFields", params, context="admin")
    assert "<script>" not in fields["Server ID"] and "&lt;script&gt;" in fields["Server ID"]
    assert "no_server" in fields["Last error"]  # staff see the bridge's code
    assert spec


def test_saving_an_unchanged_tab_calls_nothing(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = running_service(stack, module, whmcs, 9503)
    sid = _server_id_field(whmcs, 9503)
    post = {"otwabridge_server_id": sid, "otwabridge_server_id_original": sid}
    assert module.call("AdminServicesTabFieldsSave", spec, context="admin", post=post) is None
    assert not [e for e in module.log() if e["action"] == "Adopt"]


def test_relinking_sends_adopt_with_the_server_id(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = module.add_service(9504, status="Active")
    server = foreign_server(stack)
    post = {"otwabridge_server_id": server["id"], "otwabridge_server_id_original": ""}
    module.call("AdminServicesTabFieldsSave", spec, context="admin", post=post)
    [entry] = [e for e in module.log() if e["action"] == "Adopt"]
    assert entry["request"]["body"]["action"] == "adopt"
    assert entry["request"]["body"]["params"] == {"server_id": server["id"]}
    bad = {"otwabridge_server_id": "../../etc", "otwabridge_server_id_original": ""}
    module.call("AdminServicesTabFieldsSave", spec, context="admin", post=bad)
    assert [m for m in module.activity() if "not linked to ../../etc" in m]


def test_an_existing_server_is_adopted_and_nothing_is_created(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = module.add_service(9505, status="Active")
    server = foreign_server(stack)
    post = {"otwabridge_server_id": server["id"], "otwabridge_server_id_original": ""}
    module.call("AdminServicesTabFieldsSave", spec, context="admin", post=post)
    assert _server_id_field(whmcs, 9505) == server["id"]
    assert len(stack.sandbox.state()["servers"]) == 1  # nothing ordered
    assert module.call("AdminSync", spec, context="admin") == "success"
    stack.wait_for(lambda: whmcs.service(9505).get("dedicatedip"), 30, "IP written back")
    assert module.call("AdminStop", spec, context="admin") == "success"


def test_sync_adopts_a_service_imported_by_server_sync(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    server = foreign_server(stack)
    module.add_service(9506, status="Active")
    params = {**_params_of(whmcs, 9506), "customfields": {"Server ID": server["id"]}}
    assert module.call("AdminSync", params, context="admin") == "success"
    assert [e for e in module.log() if e["action"] == "Adopt"]


def test_server_sync_lists_only_servers_no_service_is_linked_to(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 9507)
    server = foreign_server(stack)
    reply = module.call("ListAccounts", server_params(module, whmcs), context="admin")
    assert reply["success"] is True, reply
    [account] = reply["accounts"]
    assert account["uniqueIdentifier"] == server["id"] and account["username"] == "legacy-web-1"
    assert account["status"] == "Active" and len(account["created"]) == 19


def test_server_sync_failure_is_a_clear_error(stack: Stack, module: WhmcsModule, whmcs) -> None:
    reply = module.call(
        "ListAccounts", {**server_params(module, whmcs), "serverport": "9"}, context="admin"
    )
    assert reply["success"] is False and reply["error"].startswith("Could not reach")


def test_loaders_ask_the_bridge_and_surface_its_answer(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    out = module.loader(BOOT + "loadProducts", server_params(module, whmcs))
    if "exception" in out:  # phase 1 bridge: no catalog read yet, said in words
        assert "Otwa bridge:" in out["exception"]
    else:
        assert out["options"]["1"].startswith("1: ")
    sent = [e for e in module.log() if e["action"] == "ConfigOptions"]
    assert sent[0]["request"]["body"]["action"] == "catalog"


def test_loaders_fill_products_regions_and_os_from_the_map(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    params = server_params(module, whmcs)
    products = module.loader(BOOT + "loadProducts", params)["options"]
    assert products["1"].startswith("1: Starter") and products["2"].startswith("2: Standard")
    regions = module.loader(BOOT + "loadRegions", params)["options"]
    assert {"tr-ist-01", "de-fra-01"} <= set(regions)
    systems = module.loader(BOOT + "loadOperatingSystems", params)["options"]
    assert {"ubuntu-24.04", "debian-12", "rocky-10.1"} <= set(systems)


def test_usage_update_asks_once_for_every_service_of_the_server(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    for sid in (9601, 9602):
        running_service(stack, module, whmcs, sid)
    module.add_service(9603, status="Cancelled")
    assert module.call("UsageUpdate", server_params(module, whmcs)) is None
    calls = [e for e in module.log() if e["action"] == "UsageUpdate" and "url" in e["request"]]
    assert len(calls) == 1
    body = calls[0]["request"]["body"]
    assert body["action"] == "usage" and body["params"] == {"services": [9601, 9602]}


def test_usage_update_writes_disk_and_bandwidth_to_whmcs(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    for sid in (9611, 9612):
        running_service(stack, module, whmcs, sid)
    before = stack.sandbox.state()["requests"]["byRoute"].get("GET /api/v1/servers", 0)
    module.call("UsageUpdate", server_params(module, whmcs))
    for sid in (9611, 9612):
        service = whmcs.service(sid)
        assert int(service["disklimit"]) == 25 * 1024  # Starter: a 25 GB disk
        assert int(service["bwlimit"]) == 1000 * 1024  # and 1000 GB of traffic a month
        assert service["lastupdate"]
        # Otwa v1.9 reports no disk or traffic consumption: WHMCS keeps its own figures.
        assert "diskusage" not in service and "bwusage" not in service
    after = stack.sandbox.state()["requests"]["byRoute"].get("GET /api/v1/servers", 0)
    assert after - before == 1  # one GET /servers for the whole batch


def test_admin_single_sign_on_opens_the_dashboard(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    params = {**server_params(module, whmcs), "configoption1": "http://127.0.0.1"}
    reply = module.call("AdminSingleSignOn", params, context="admin")
    assert reply["success"] is True and reply["redirectTo"].startswith(f"{stack.url}/sso/")
    # The bridge's one-time link: the staff member lands on the reseller's dashboard, once.
    landed = requests.get(reply["redirectTo"], timeout=10)
    assert landed.status_code == 200 and landed.url.startswith(f"{stack.sandbox.url}/dashboard")
    again = requests.get(reply["redirectTo"], timeout=10)
    assert again.status_code == 410 and "already been used" in again.text
