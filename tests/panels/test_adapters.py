"""Panel adapters: WHMCS vocabulary -> Command, and the panels config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge import signing
from bridge.panels import PanelConfig, PanelConfigError, load_panels, whmcs
from bridge.panels.whmcs import WhmcsPanel

WHMCS = WhmcsPanel(PanelConfig(name="whmcs", adapter="whmcs"))

SAMPLES = Path(__file__).resolve().parents[2] / "webhooks" / "samples"


def _whmcs(name: str) -> dict:
    return json.loads((SAMPLES / "whmcs" / f"{name}.json").read_text())


def test_whmcs_params_map_onto_the_command() -> None:
    body = _whmcs("create")
    body["password"] = "s3cret-service-pw"
    body["clientsdetails"]["password"] = "client-pw"
    body["configoptions"] = {
        "Operating System": "3|Ubuntu 24.04",
        "Location": "1|Istanbul",
        "Extra IPv4": "7|Yes",
    }
    body["customfields"] = {"Operating System": "Debian 12", "Notes": "rack 4"}
    body = {**body, "action": WHMCS.action_of(body)}
    cmd = WHMCS.to_command(body, webhook_id="msg_9", request_id="rq")
    assert cmd.action == "create"
    assert (cmd.service_id, cmd.product_id, cmd.client_id) == ("1042", "1", "77")
    assert cmd.hostname == "web1.example.com"
    # "id|Label" values lose their id; configoptions win over customfields of the same name.
    assert cmd.options == {
        "Operating System": "Ubuntu 24.04",
        "Location": "Istanbul",
        "Extra IPv4": "Yes",
        "Notes": "rack 4",
    }
    assert cmd.client == {
        "id": "77",
        "firstname": "Ada",
        "lastname": "Lovelace",
        "email": "ada@example.com",
        "country": "TR",
        "language": "english",
    }
    assert "pw" not in repr(cmd)


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("3|Ubuntu 24.04", "Ubuntu 24.04"),
        ("Ubuntu 24.04", "Ubuntu 24.04"),
        ("a|b", "a|b"),
        (2, "2"),
    ],
)
def test_option_label(raw, label) -> None:
    assert whmcs.option_label(raw) == label


def test_change_package_product_is_the_target() -> None:
    body = _whmcs("change_package")
    cmd = WHMCS.to_command({**body, "action": "change_package"}, webhook_id="m")
    assert cmd.product_id == "2"


@pytest.mark.parametrize(
    ("spelling", "action"),
    [
        ("CreateAccount", "create"),
        ("ChangePassword", "reset_password"),
        ("sso", "sso"),
        ("Renew", None),
        ("", None),
        (None, None),
    ],
)
def test_whmcs_action_spellings(spelling, action) -> None:
    assert WHMCS.action_of({"action": spelling}) == action


def test_load_panels_reads_secrets_and_credentials_from_env_only() -> None:
    new, old = signing.generate_secret(), signing.generate_secret()
    toml = {
        "panels": {
            "whmcs": {"api_url": "https://b.example/includes/api.php", "notify_admins": True},
            "blesta": {"secrets_env": "BLESTA_KEYS"},
        }
    }
    env = {
        "BRIDGE_WHMCS_HOOK_SECRETS": f" {new} , {old},",
        "BRIDGE_WHMCS_API_IDENTIFIER": "ident",
        "BRIDGE_WHMCS_API_SECRET": "apisecret",
        "BLESTA_KEYS": new,
    }
    panels = load_panels(toml, env)
    assert isinstance(panels["whmcs"], WhmcsPanel)
    w = panels["whmcs"].config
    assert (w.adapter, w.secrets, w.notify_admins) == ("whmcs", [new, old], True)
    assert (w.api_identifier, w.api_secret, w.api_access_key) == ("ident", "apisecret", None)
    assert w.api_url == "https://b.example/includes/api.php"
    blesta = panels["blesta"].config
    assert blesta.adapter == "generic" and blesta.secrets == [new]
    assert new not in repr(w) and "apisecret" not in repr(w) and new not in repr(panels)


@pytest.mark.parametrize(
    ("toml", "env", "needle"),
    [
        ({"panels": {"whmcs": {"secrets": ["whsec_x"]}}}, {}, "secrets never go in the TOML"),
        ({"panels": {"whmcs": {"api_secret": "x"}}}, {}, "api_secret_env"),
        ({"panels": {"Bad Name": {}}}, {}, "panel names"),
        ({"panels": {"x": {"adapter": "hostbill"}}}, {}, "adapter"),
        ({"panels": {"whmcs": {}}}, {"BRIDGE_WHMCS_HOOK_SECRETS": "notwhsec"}, "entry 1"),
        ({"panels": {"x": {"api_url": "ftp://x"}}}, {}, "http"),
        ({"panels": {"x": {"webhook_secret": "whsec_x"}}}, {}, "webhook_secret_env"),
        ({"panels": {"x": {}}}, {"BRIDGE_X_WEBHOOK_SECRET": "nope"}, "BRIDGE_X_WEBHOOK_SECRET"),
    ],
)
def test_load_panels_refuses_bad_config(toml, env, needle) -> None:
    with pytest.raises(PanelConfigError, match=needle):
        load_panels(toml, env)


@pytest.mark.parametrize(
    ("action", "verb"),
    [("TerminateAccount", "remove"), ("SuspendAccount", "suspend"), ("ChangePackage", "change")],
)
def test_a_product_add_ons_call_never_acts_on_the_parent(action: str, verb: str) -> None:
    """WHMCS passes addonid and the *parent* serviceid: only add_addon may go through."""
    from bridge.errors import BridgeError

    body = {**_whmcs("terminate"), "action": action, "addonid": 901}
    body = {**body, "action": WHMCS.action_of(body)}
    with pytest.raises(BridgeError) as info:
        WHMCS.to_command(body, webhook_id="m")
    assert (info.value.status, info.value.code) == (422, "addon_action_unsupported")
    assert f"Otwa v1.9 cannot {verb} an add-on" in info.value.message
    assert "Nothing was changed on the server of service 1042" in info.value.message
    attach = {**_whmcs("add_addon"), "action": "add_addon"}
    assert WHMCS.to_command(attach, webhook_id="m").params == {"type": "extra-ip"}
