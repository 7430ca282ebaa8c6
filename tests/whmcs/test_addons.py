"""Product add-ons: WHMCS calls the module with addonId and the *parent* service's id."""

from __future__ import annotations

from tests.support.fake_whmcs import BRIDGE_ROLE, FakeWhmcs
from tests.support.stack import Stack
from tests.whmcs.conftest import WHMCS_SERVER_ID, WHMCS_TOML, WhmcsModule, seed_world
from tests.whmcs.test_module import label, running_service, wait_status

EXTRA_IP_ADDON = {
    "id": 5,
    "name": "Extra IPv4 address",
    "module": "otwabridge",
    "configoption": {"1": "http://127.0.0.1", "2": "20", "6": "extra-ip"},
    "friendly": {"Add-on type": "extra-ip"},
}


def order_addon(whmcs: FakeWhmcs, addon_id: int, parent: int, **addon: object) -> str:
    whmcs.seed(
        addons=[{**EXTRA_IP_ADDON, **addon}],
        hosting_addons=[
            {
                "id": addon_id,
                "serviceid": parent,
                "addonid": addon.get("id", 5),
                "status": "Pending",
                "serverid": WHMCS_SERVER_ID,
            }
        ],
    )
    return f"addon:{addon_id}"


def _writes(stack: Stack) -> dict[str, int]:
    """Otwa's counts of state-changing requests, by route."""
    routes = stack.sandbox.state()["requests"]["byRoute"]
    return {k: v for k, v in routes.items() if not k.startswith("GET ")}


def addon_types(stack: Stack, sid: int) -> list[str]:
    return [a["type"] for a in stack.servers(label(sid))[0].get("addons", [])]


def test_an_add_on_is_attached_to_the_parent_and_its_cancellation_never_touches_it(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 9001)
    addon = order_addon(whmcs, 901, 9001)

    assert module.call("CreateAccount", addon) == "success"
    assert addon_types(stack, 9001) == ["extra-ip"]
    sent = [e for e in module.log() if e["action"] == "AddonCreate"][0]["request"]["body"]
    assert sent["action"] == "add_addon" and sent["serviceid"] == 9001
    assert sent["addonid"] == 901 and "pid" not in sent and sent["params"] == {"type": "extra-ip"}

    before = _writes(stack)
    for function, verb in (("SuspendAccount", "suspend"), ("TerminateAccount", "remove")):
        message = module.call(function, addon)
        assert message != "success"
        assert f"Otwa v1.9 cannot {verb} an add-on" in message, message
        assert "Nothing was changed on the server of service #9001" in message
    assert module.call("UnsuspendAccount", addon) == "success"
    assert "Order the new add-on" in module.call("ChangePackage", addon)
    assert "parent service" in module.call("AdminStop", addon, context="admin")

    # The parent server was never stopped or stripped, and no hook left for those calls.
    assert stack.servers(label(9001))[0]["status"] == "running"
    assert addon_types(stack, 9001) == ["extra-ip"]
    untouched = {"AddonSuspend", "AddonTerminate", "AddonUnsuspend", "AddonChangePackage"}
    assert not [e for e in module.log() if e["action"] in untouched and "url" in e["request"]]
    assert _writes(stack) == before  # no call reached Otwa


def test_an_add_on_without_a_type_is_named_and_orders_nothing(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 9002)
    addon = order_addon(whmcs, 902, 9002, id=6, configoption={"1": "http://127.0.0.1"}, friendly={})
    message = module.call("CreateAccount", addon)
    assert '"Add-on type"' in message and "nothing was attached" in message
    assert addon_types(stack, 9002) == []


def test_dropping_a_paid_add_on_by_changing_options_is_refused_in_words(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = running_service(stack, module, whmcs, 9003, extra_ip=1)
    whmcs.seed(services=[{**whmcs.service(9003), "configoptions": {"1": 11, "2": 21, "3": 0}}])
    message = module.call("ChangePackage", spec)
    assert message != "success"
    assert "add-on" in message and "addon_detach_unsupported" in message


def test_a_map_written_with_display_labels_matches_what_whmcs_sends(
    tmp_path, sandbox, whmcs: FakeWhmcs, php: str
) -> None:
    """WHMCS sends 1 for a ticked yes/no option; a hand-written map says "Yes"."""
    toml = WHMCS_TOML.replace('"1" = "extra-ip"\n"0" = ""', '"Yes" = "extra-ip"\n"No" = ""')
    s = Stack(tmp_path, sandbox, whmcs)
    s.config_path.write_text(toml.format(api_url=whmcs.api_url))
    s.start(workers=1, serve=True)
    try:
        seed_world(whmcs, s.port)
        whmcs.set_role(BRIDGE_ROLE)
        module = WhmcsModule(php, tmp_path, s.port, "stream", whmcs)
        assert module.call("CreateAccount", module.add_service(9004, extra_ip=1)) == "success"
        wait_status(s, 9004, "running")
        assert addon_types(s, 9004) == ["extra-ip"]
    finally:
        s.stop()
