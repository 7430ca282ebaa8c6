"""Add-on catalogue and purchase (prorated), IP blocks, and the SSO links + dashboard."""

from __future__ import annotations

import requests

from tests.sandbox.helpers import DEFAULT, OTHER, call, freeze, running_server
from tests.support.processes import Sandbox


def test_addon_catalogue_prorates_and_marks_active_type(sandbox):
    freeze(sandbox)
    s = running_server(sandbox, addons=["sd2bk001"])  # created, then 200 s later
    offers = {o["id"]: o for o in call(sandbox, "GET", f"/servers/{s['id']}/addons").json()}
    assert offers["sd2bk001"]["active"] and offers["sd2bk001"]["attached"]
    assert not offers["sd2ip001"]["active"] and not offers["vpk7wjf5"]["active"]
    # day 1 of 30: ceil(29.99 days left) = 30 -> full price
    assert offers["sd2ipc25"]["proratedPrice"] == offers["sd2ipc25"]["monthlyPrice"] == "48.00"
    sandbox.advance(10 * 86400)  # 20 days (minus 200 s) left -> ceil = 20
    offers = {o["id"]: o for o in call(sandbox, "GET", f"/servers/{s['id']}/addons").json()}
    assert offers["sd2ipc25"]["proratedPrice"] == "32.00"  # 48 x 20/30
    assert offers["vpk7wjf5"]["proratedPrice"] == "6.40"  # 9.60 x 20/30
    sandbox.advance(25 * 86400)  # into the second period: 35 days in, 25 left (ceil)
    offers = {o["id"]: o for o in call(sandbox, "GET", f"/servers/{s['id']}/addons").json()}
    assert offers["sd2ip001"]["proratedPrice"] == "1.33"  # 1.60 x 25/30 = 1.3333


def test_addon_purchase_charges_prorated_and_adds_ips(sandbox):
    freeze(sandbox)
    s = running_server(sandbox)
    sandbox.advance(15 * 86400)  # 15 days left -> half price
    before = sandbox.state()["balances"][DEFAULT]
    r = call(sandbox, "POST", f"/servers/{s['id']}/addons", json={"addonId": "vpk7wjf5"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["charged"] == "4.80" and body["addon"]["active"] is True
    assert (before, body["balance"]) == ("492.01", "487.21")  # 500 - 7.99, then - 4.80
    assert len(body["server"]["networking"]["additionalIps"]) == 8
    # a second add-on of an active type -> 400, nothing charged
    r = call(sandbox, "POST", f"/servers/{s['id']}/addons", json={"addonId": "sd2ip001"})
    assert r.status_code == 400 and "already active" in r.json()["message"][0]
    r = call(sandbox, "POST", f"/servers/{s['id']}/addons", json={"addonId": "sd2ipc25"})
    block = [e for e in r.json()["server"]["additionalIps"] if e["type"] == "ip-class"]
    assert len(block) == 128 and block[0]["cidr"].endswith("/25")
    assert block[0]["netmask"] == "255.255.255.128"
    listed = call(sandbox, "GET", "/servers").json()[0]
    assert len(listed["additionalIps"]) == 136
    charges = sandbox.state()["charges"]
    assert [(c["kind"], c["addonId"], c["amount"]) for c in charges] == [
        ("server", None, "7.99"),
        ("addon", "vpk7wjf5", "4.80"),
        ("addon", "sd2ipc25", "24.00"),
    ]
    month, prorated = charges[0], charges[1]
    assert month["periodStart"] == month["createdAt"] == s["createdAt"]
    assert month["periodEnd"] == prorated["periodEnd"] == s["renewsAt"]  # the period's end
    assert prorated["periodStart"] == prorated["createdAt"] != s["createdAt"]  # day 15
    r = call(sandbox, "POST", f"/servers/{s['id']}/addons", json={"addonId": "pr4bkday"})
    assert r.status_code == 400  # not this plan's


def test_addon_purchase_402_when_short(sandbox):
    s = running_server(sandbox)
    sandbox.set_balance(DEFAULT, "1.00")
    r = call(sandbox, "POST", f"/servers/{s['id']}/addons", json={"addonId": "sd2ipc25"})
    assert r.status_code == 402
    st = sandbox.state()
    assert st["balances"][DEFAULT] == "1.00" and len(st["charges"]) == 1
    assert st["servers"][0]["additionalIps"] == []


def test_sso_link_works_once_then_410(sandbox):
    r = call(sandbox, "POST", "/sso", json={})
    assert r.status_code == 201
    body = r.json()
    assert body["expiresIn"] == 300 and body["url"].startswith(f"{sandbox.url}/sso/")
    s = requests.Session()
    first = s.get(body["url"], timeout=5)  # follows the redirect into the dashboard
    assert first.status_code == 200 and first.url == f"{sandbox.url}/dashboard"
    assert "demo@sandbox.otwa.test" in first.text
    second = requests.get(body["url"], timeout=5)
    assert second.status_code == 410 and "already been used or has expired" in second.text
    assert requests.get(f"{sandbox.url}/sso/nope", timeout=5).status_code == 404
    assert requests.get(f"{sandbox.url}/dashboard", timeout=5).status_code == 401


def test_sso_expires_after_300_sandbox_seconds(sandbox):
    freeze(sandbox)
    url = call(sandbox, "POST", "/sso").json()["url"]
    sandbox.advance(301)
    r = requests.get(url, timeout=5, allow_redirects=False)
    assert r.status_code == 410


def test_server_sso_lands_on_its_page_and_next_is_checked(sandbox):
    s = running_server(sandbox)
    url = call(sandbox, "POST", f"/servers/{s['id']}/sso").json()["url"]
    r = requests.get(url, timeout=5, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == f"/dashboard/servers/{s['id']}"
    page = requests.get(url.replace("/sso/", "/x/"), timeout=5)
    assert page.status_code == 404
    sess = requests.Session()
    url = call(sandbox, "POST", f"/servers/{s['id']}/sso").json()["url"]
    landed = sess.get(url, timeout=5)
    assert landed.status_code == 200 and s["label"] in landed.text
    url = call(sandbox, "POST", "/sso", json={"next": "/dashboard/billing"}).json()["url"]
    assert sess.get(url, timeout=5).url == f"{sandbox.url}/dashboard/billing"
    for bad in ("//evil.example", "https://evil.example", "dashboard", "/\\evil", 5):
        r = call(sandbox, "POST", "/sso", json={"next": bad})
        assert r.status_code == 400, bad
    assert call(sandbox, "POST", f"/servers/{s['id']}/sso", OTHER).status_code == 404
    assert call(sandbox, "POST", "/sso", "otwa_sandbox_readonly").status_code == 403


def test_sso_paths_are_redacted_from_the_sandbox_log(sandbox: Sandbox):
    url = call(sandbox, "POST", "/sso").json()["url"]
    requests.get(url, timeout=5)
    token = url.rsplit("/", 1)[1]
    assert token not in sandbox.process.log()
