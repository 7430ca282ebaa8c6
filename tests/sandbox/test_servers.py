"""POST /servers validation and wallet, lifecycle, power, reinstall, delete, credentials,
stats, rename, password reset."""

from __future__ import annotations

import pytest

from tests.sandbox.helpers import (
    BROKE,
    DEFAULT,
    DESTROY,
    PRO,
    STANDARD,
    STARTER,
    WINDOWS,
    balance,
    call,
    create,
    freeze,
    running_server,
)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"productId": None}, "productId is required"),
        ({"productId": "00000000-0000-4000-8000-000000000000"}, "not a known product"),
        ({"os": None}, "os is required"),
        ({"osTemplate": None}, "osTemplate is required"),
        ({"os": "debian-12"}, "does not match osTemplate"),
        ({"os": "plan9"}, "not a known OS template or family"),
        ({"osTemplate": "ubuntu-20.04"}, "not a known OS template"),
        ({"region": "us-nyc-01"}, "not offered by product Standard"),
        ({"region": "mars-01"}, "not a known region"),
        ({"label": ""}, "label must be 1-64"),
        ({"label": "-bad"}, "label must be 1-64"),
        ({"label": "x" * 65}, "label must be 1-64"),
        ({"label": "bad!"}, "label must be 1-64"),
        ({"label": 7}, "label must be a string"),
        ({"hostname": "-a.example.com"}, "hostname must be an RFC 1123"),
        ({"hostname": "a..b"}, "hostname must be an RFC 1123"),
        ({"hostname": "x" * 64}, "hostname must be an RFC 1123"),
        ({"hostname": "web1.example.com\n"}, "hostname must be an RFC 1123"),  # `$` took it
        ({"hostname": "web1\n.example.com"}, "hostname must be an RFC 1123"),
        ({"label": "web-1\n"}, "label must be 1-64"),
        ({"addons": ["pr4ip001"]}, "not offered by product Standard"),
        ({"addons": ["sd2ip001", "vpk7wjf5"]}, "only one add-on of type extra-ip"),
        ({"addons": "sd2ip001"}, "addons must be a list"),
        ({"productId": 5}, "productId must be a string"),
    ],
)
def test_create_validation_is_400_with_a_list_and_changes_nothing(sandbox, body, fragment):
    payload = {"productId": STANDARD, "os": "ubuntu-24.04", "osTemplate": "ubuntu-24.04"}
    payload.update(body)
    payload = {k: v for k, v in payload.items() if v is not None}
    r = call(sandbox, "POST", "/servers", json=payload)
    assert r.status_code == 400, r.text
    msgs = r.json()["message"]
    assert isinstance(msgs, list) and any(fragment in m for m in msgs), msgs
    state = sandbox.state()
    assert state["servers"] == [] and state["charges"] == []
    assert state["balances"][DEFAULT] == "500.00"


def test_create_charges_plan_plus_addons_and_defaults(sandbox):
    r = create(sandbox, os="ubuntu", osTemplate="ubuntu-2404", addons=["vpk7wjf5", "sd2bk001"])
    assert r.status_code == 201
    s = r.json()
    assert s["status"] == "pending" and s["os"] == "ubuntu-24.04"
    assert s["region"] == "tr-ist-01"  # the plan's first region
    assert s["label"].startswith("srv-") and s["hostname"] == s["label"]
    assert len(s["additionalIps"]) == 8 == len(s["networking"]["additionalIps"])
    assert {a["type"] for a in s["addons"]} == {"extra-ip", "backup"}
    # wholesale: 7.99 + 9.60 + 2.00 = 19.59
    assert balance(sandbox) == "480.41"
    charges = sandbox.state()["charges"]
    assert [c["amount"] for c in charges] == ["7.99", "9.60", "2.00"]
    listed = call(sandbox, "GET", "/servers").json()
    assert [x["id"] for x in listed] == [s["id"]] and len(listed[0]["additionalIps"]) == 8


def test_dotted_and_dotless_os_and_fqdn_hostname(sandbox):
    r = create(sandbox, productId=PRO, os="rocky-101", osTemplate="rocky-10.1",
               region="us-nyc-01", label="web 1_a-b", hostname="srv1.example.com")  # fmt: skip
    assert r.status_code == 201, r.text
    s = r.json()
    assert (s["os"], s["region"], s["label"], s["hostname"]) == (
        "rocky-10.1", "us-nyc-01", "web 1_a-b", "srv1.example.com")  # fmt: skip


def test_insufficient_balance_is_402_with_nothing_created(sandbox):
    r = create(sandbox, BROKE)
    assert r.status_code == 402
    assert "Insufficient balance" in r.json()["message"]
    sandbox.set_balance(DEFAULT, "7.98")
    assert create(sandbox).status_code == 402
    st = sandbox.state()
    assert st["servers"] == [] and st["charges"] == [] and st["balances"][DEFAULT] == "7.98"
    sandbox.set_balance(DEFAULT, "7.99")
    assert create(sandbox).status_code == 201
    assert balance(sandbox) == "0.00"


def test_lifecycle_pending_building_running_on_the_clock(sandbox):
    freeze(sandbox)
    sid = create(sandbox).json()["id"]
    assert call(sandbox, "GET", f"/servers/{sid}").json()["status"] == "pending"
    assert call(sandbox, "GET", f"/servers/{sid}/credentials").status_code == 409
    stats = call(sandbox, "GET", f"/servers/{sid}/stats").json()
    assert stats == {"powerState": "POWERED_OFF", "live": None}
    sandbox.advance(16)
    assert call(sandbox, "GET", f"/servers/{sid}").json()["status"] == "building"
    assert call(sandbox, "POST", f"/servers/{sid}/power/stop").status_code == 409
    sandbox.advance(40)  # 56 s: never done before 60 s
    assert call(sandbox, "GET", f"/servers/{sid}").json()["status"] == "building"
    sandbox.advance(65)  # 121 s: always done
    assert call(sandbox, "GET", "/servers").json()[0]["status"] == "running"
    live = call(sandbox, "GET", f"/servers/{sid}/stats").json()
    assert live["powerState"] == "POWERED_ON" and live["live"]["memoryTotalMb"] == 4096


def test_build_failure_rate_sends_builds_to_failed(sandbox):
    import requests

    url = f"{sandbox.url}/_sandbox/build-failure-rate"
    requests.put(url, json={"rate": 1.0}, timeout=5).raise_for_status()
    sid = create(sandbox).json()["id"]
    sandbox.advance(200)
    assert call(sandbox, "GET", f"/servers/{sid}").json()["status"] == "failed"
    assert call(sandbox, "POST", f"/servers/{sid}/power/start").status_code == 409
    assert requests.put(url, json={"rate": 2}, timeout=5).status_code == 400


def test_power_actions_and_guards(sandbox):
    sid = running_server(sandbox)["id"]
    r = call(sandbox, "POST", f"/servers/{sid}/power/start")
    assert r.status_code == 409 and "already running" in r.json()["message"]
    r = call(sandbox, "POST", f"/servers/{sid}/power/stop")
    assert r.status_code == 200 and r.json()["status"] == "stopping"
    assert call(sandbox, "GET", f"/servers/{sid}").json()["status"] == "stopped"
    assert call(sandbox, "GET", f"/servers/{sid}/stats").json()["powerState"] == "POWERED_OFF"
    assert call(sandbox, "POST", f"/servers/{sid}/power/stop").status_code == 409
    assert call(sandbox, "POST", f"/servers/{sid}/power/reboot").status_code == 409
    assert call(sandbox, "POST", f"/servers/{sid}/password-reset").status_code == 409
    r = call(sandbox, "POST", f"/servers/{sid}/power", json={"action": "start"})
    assert r.status_code == 200 and r.json()["status"] == "starting"
    r = call(sandbox, "POST", f"/servers/{sid}/power/reboot")
    assert r.json()["status"] == "rebooting"
    assert call(sandbox, "GET", f"/servers/{sid}").json()["status"] == "running"
    assert call(sandbox, "POST", f"/servers/{sid}/power", json={"action": "x"}).status_code == 400
    assert call(sandbox, "POST", f"/servers/{sid}/power/explode", check=False).status_code == 400


def test_suspended_server_refuses_actions(sandbox):
    import requests

    sid = running_server(sandbox)["id"]
    requests.put(f"{sandbox.url}/_sandbox/servers/{sid}/status", json={"status": "suspended"},
                 timeout=5).raise_for_status()  # fmt: skip
    for path in ("/power/start", "/power/stop", "/power/reboot", "/password-reset"):
        assert call(sandbox, "POST", f"/servers/{sid}{path}").status_code == 409
    assert call(sandbox, "GET", f"/servers/{sid}/stats").json()["powerState"] == "SUSPENDED"


def test_credentials_linux_windows_server_and_windows_11(sandbox):
    linux = running_server(sandbox)
    c = call(sandbox, "GET", f"/servers/{linux['id']}/credentials").json()
    assert (c["username"], c["port"], c["ip"]) == ("root", 22, linux["ipAddress"])
    assert "rdpAddress" not in c and len(c["password"]) >= 12
    win = running_server(sandbox, productId=WINDOWS, os="windows-2022", osTemplate="windows-2022")
    c = call(sandbox, "GET", f"/servers/{win['id']}/credentials").json()
    assert (c["username"], c["port"]) == ("Administrator", 3389)
    assert c["rdpAddress"] == f"{win['ipAddress']}:3389"
    w11 = running_server(sandbox, productId=WINDOWS, os="windows",
                         osTemplate="windows-11-pro")  # fmt: skip
    c = call(sandbox, "GET", f"/servers/{w11['id']}/credentials").json()
    assert c["username"] == "OtwaCloud" and c["rdpAddress"].endswith(":3389")


def test_password_reset_returns_new_credential_seen_by_credentials(sandbox):
    sid = running_server(sandbox)["id"]
    old = call(sandbox, "GET", f"/servers/{sid}/credentials").json()["password"]
    r = call(sandbox, "POST", f"/servers/{sid}/password-reset")
    assert r.status_code == 200
    new = r.json()
    assert new["username"] == "root" and new["password"] != old
    assert call(sandbox, "GET", f"/servers/{sid}/credentials").json()["password"] == new["password"]


def test_rename_and_alias(sandbox):
    sid = running_server(sandbox)["id"]
    r = call(sandbox, "PATCH", f"/servers/{sid}/label", json={"label": "prod-api-01"})
    assert r.status_code == 200 and r.json()["label"] == "prod-api-01"
    r = call(sandbox, "PATCH", f"/servers/{sid}", json={"label": "Alias 2"})
    assert r.json()["label"] == "Alias 2"
    r = call(sandbox, "PATCH", f"/servers/{sid}/label", json={"label": "!"})
    assert r.status_code == 400
    r = call(sandbox, "PATCH", f"/servers/{sid}", json={"label": "Alias 3\n"})
    assert r.status_code == 400 and "label must be 1-64" in r.json()["message"][0]
    assert call(sandbox, "GET", f"/servers/{sid}").json()["label"] == "Alias 2"


def test_reinstall_keeps_identity_and_rotates_credentials(sandbox):
    s = running_server(sandbox, addons=["sd2ip001"])
    before = call(sandbox, "GET", f"/servers/{s['id']}/credentials").json()
    bal = balance(sandbox)
    freeze(sandbox)
    r = call(sandbox, "POST", f"/servers/{s['id']}/reinstall", DESTROY,
             json={"os": "debian-12", "osTemplate": "debian-12"})  # fmt: skip
    assert r.status_code == 200
    after = r.json()
    assert after["status"] == "building" and after["os"] == "debian-12"
    for field in ("id", "label", "region", "ipAddress", "additionalIps", "addons"):
        assert after[field] == s[field], field
    assert call(sandbox, "POST", f"/servers/{s['id']}/reinstall", DESTROY,
                json={"os": "debian-12"}).status_code == 409  # fmt: skip
    sandbox.advance(121)
    assert call(sandbox, "GET", f"/servers/{s['id']}").json()["status"] == "running"
    creds = call(sandbox, "GET", f"/servers/{s['id']}/credentials").json()
    assert creds["password"] != before["password"] and creds["ip"] == before["ip"]
    assert balance(sandbox) == bal  # free
    r = call(sandbox, "POST", f"/servers/{s['id']}/reinstall", DESTROY, json={"os": "beos"})
    assert r.status_code == 400


def test_delete_releases_ips_and_is_final(sandbox):
    s = running_server(sandbox, addons=["sd2ip001"])
    r = call(sandbox, "DELETE", f"/servers/{s['id']}", DESTROY)
    assert r.status_code == 200 and r.json() == {"ok": True, "id": s["id"], "status": "terminated"}
    got = call(sandbox, "GET", f"/servers/{s['id']}").json()
    assert got["status"] == "terminated" and got["ipAddress"] is None
    assert got["additionalIps"] == []
    assert [x["status"] for x in call(sandbox, "GET", "/servers").json()] == ["terminated"]
    for method, path, body in (("DELETE", "", None), ("POST", "/power/start", None),
                               ("PATCH", "/label", {"label": "x"}),
                               ("POST", "/addons", {"addonId": "sd2bk001"})):  # fmt: skip
        r = call(sandbox, method, f"/servers/{s['id']}{path}", DESTROY, json=body)
        assert r.status_code == 409, (method, path)
    # released addresses are handed out again
    again = create(sandbox).json()
    assert again["ipAddress"] == s["ipAddress"]


def test_starter_plan_only_in_its_regions(sandbox):
    assert create(sandbox, productId=STARTER, region="de-fra-01").status_code == 201
    assert create(sandbox, productId=STARTER, region="nl-ams-01").status_code == 400
