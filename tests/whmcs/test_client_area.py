"""The client area end to end: ClientArea's variables from a running service, the template
rendered by real Smarty and opened in headless Chromium, and the actions its forms post."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import ROOT
from tests.support.stack import Stack
from tests.whmcs.conftest import WhmcsModule
from tests.whmcs.test_module import assert_client_safe, label, running_service, wait_status

TEMPLATES = ROOT / "webhooks/whmcs/modules/servers/otwabridge/templates"
RENDER = Path(__file__).with_name("render.php")
ARTIFACTS = ROOT / "var/test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def render(php: str, tmp: Path, template: str, module_vars: dict, whmcs_vars: dict) -> Path:
    """The template rendered by Smarty into a page (skip when Smarty is not installed)."""
    vars_path = tmp / "render-vars.json"
    vars_path.write_text(json.dumps({"module": module_vars, "whmcs": whmcs_vars}))
    out = tmp / "client-area.html"
    proc = subprocess.run(
        [php, str(RENDER), str(TEMPLATES), template, str(vars_path), str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode == 3:
        pytest.skip("Smarty is not installed: apt-get install smarty4 (make system-deps)")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr + proc.stdout
    return out


def chromium(tmp: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("Chromium is not installed: apt-get install chromium (make system-deps)")
    profile = tmp / "chromium-profile"
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def whmcs_page_vars(service: dict, serviceid: int) -> dict:
    """What WHMCS itself assigns on the product details page (a subset)."""
    return {
        "serviceid": serviceid,
        "dedicatedip": service.get("dedicatedip", ""),
        "assignedips": service.get("assignedips", ""),
        "token": "csrf-token-123",
        "product": "VPS Starter",
        "groupname": "VPS",
    }


def test_client_area_shows_the_server_and_renders_in_a_browser(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs, php: str, tmp_path: Path
) -> None:
    spec = running_service(stack, module, whmcs, 8001, extra_ip=1)
    server = stack.servers(label(8001))[0]
    out = module.call("ClientArea", spec, context="client")
    assert out["tabOverviewReplacementTemplate"] == "templates/overview.tpl"
    view = out["templateVariables"]["otwabridge"]
    assert view["error"] == ""
    assert view["status"] == "running" and view["primary_ip"] == server["ipAddress"]
    assert view["extra_ips"] and view["extra_ips"][0] != view["primary_ip"]
    assert [c["name"] for c in view["charts"]] == ["cpu", "memory", "disk", "network"]
    assert all(c["svg"].startswith("<svg") for c in view["charts"])
    assert view["can_power"] and view["can_reinstall"] and view["can_reset_password"]
    assert view["sso_url"].endswith("id=8001&dosinglesignon=1")
    assert "Otwa" not in json.dumps(view["lang"])

    page = render(
        php,
        tmp_path,
        "overview.tpl",
        out["templateVariables"],
        whmcs_page_vars(whmcs.service(8001), 8001),
    )
    html = page.read_text()
    assert server["ipAddress"] in html and "<script>" in html
    assert "http://127.0.0.1" not in html  # no bridge or sandbox address in the page

    shot = tmp_path / "client-area.png"
    taken = chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,1500")
    assert shot.exists() and shot.stat().st_size > 10_000, taken.stderr[-2000:]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "whmcs-client-area.png")

    dom = chromium(tmp_path, page, "--dump-dom", "--enable-logging=stderr", "--v=0")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-js-errors=""' in dom.stdout, "JavaScript errors on the page"
    assert "Uncaught" not in dom.stderr and "CONSOLE" not in dom.stderr.upper().replace(
        "CONSOLE(", "CONSOLE"
    ).replace("INFO:CONSOLE", ""), dom.stderr[-2000:]
    assert 'id="otwabridge-primary-ip"' in dom.stdout and server["ipAddress"] in dom.stdout
    assert dom.stdout.count('class="otwabridge-chart"') == 4
    assert 'id="otwabridge-reinstall-submit"' in dom.stdout
    # The reinstall button stays disabled until the confirmation box is ticked (client-side).
    submit = dom.stdout.split('id="otwabridge-reinstall-submit"')[1].split(">")[0]
    assert "disabled" in submit


def test_client_power_reinstall_and_reset_password(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = running_service(stack, module, whmcs, 8002)
    stop = {"otwabridge_power": "stop"}
    assert module.call("ClientPower", spec, context="client", post=stop) == "success"
    wait_status(stack, 8002, "stopped")
    start = {"otwabridge_power": "start"}
    assert module.call("ClientPower", spec, context="client", post=start) == "success"
    wait_status(stack, 8002, "running")
    bad = module.call("ClientPower", spec, context="client", post={"otwabridge_power": "nuke"})
    assert_client_safe(bad)

    unconfirmed = module.call(
        "ClientReinstall", spec, context="client", post={"otwabridge_os": "debian-12"}
    )
    assert "confirmation" in unconfirmed
    assert stack.servers(label(8002))[0]["os"] == "ubuntu-24.04"
    confirmed = {"otwabridge_os": "debian-12", "otwabridge_confirm": "yes"}
    assert module.call("ClientReinstall", spec, context="client", post=confirmed) == "success"
    stack.wait_for(
        lambda: stack.servers(label(8002))[0].get("os") == "debian-12", 30, "reinstalled"
    )
    wait_status(stack, 8002, "running", timeout=60)

    page = module.call("ClientResetPassword", spec, context="client")
    assert page["templatefile"] == "templates/password"
    assert page["vars"]["otwabridge"]["back_url"].endswith("id=8002")
    resets = [e for e in module.log() if e["action"] == "ClientResetPassword"]
    assert resets[0]["request"]["body"]["params"] == {"reveal": True}


def test_client_actions_need_an_active_service(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = running_service(stack, module, whmcs, 8003)
    module.set_status(8003, "Suspended")
    refused = module.call("ClientPower", spec, context="client", post={"otwabridge_power": "stop"})
    assert refused == "This action is only available while the service is active."
    assert not [e for e in module.log() if e["action"] == "ClientPower"]  # never sent
    view = module.call("ClientArea", spec, context="client")["templateVariables"]["otwabridge"]
    assert view["suspended"] and not view["can_power"] and not view["can_reinstall"]


def test_the_reinstall_form_can_be_switched_off_per_product(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = running_service(stack, module, whmcs, 8004)
    product = whmcs.state()["products"]["1"]
    whmcs.seed(products=[{**product, "configoption": {**product["configoption"], "8": "on"}}])
    view = module.call("ClientArea", spec, context="client")["templateVariables"]["otwabridge"]
    assert view["can_reinstall"] is False
    post = {"otwabridge_os": "debian-12", "otwabridge_confirm": "yes"}
    refused = module.call("ClientReinstall", spec, context="client", post=post)
    assert "not available" in refused


def test_reset_password_shows_the_new_password_once(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = running_service(stack, module, whmcs, 8005)
    page = module.call("ClientResetPassword", spec, context="client")
    password = page["vars"]["otwabridge"]["password"]
    assert password and password != "canary-svc-pw-Q8xz4L"
    for entry in module.log():
        assert password not in json.dumps([entry["request"], entry["response"]])


def test_client_area_shows_plan_region_os_choices_and_history(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    spec = running_service(stack, module, whmcs, 8006, location=22)
    view = module.call("ClientArea", spec, context="client")["templateVariables"]["otwabridge"]
    assert view["plan"] == "Starter" and view["region"] and view["os"]
    values = [c["value"] for c in view["os_choices"]]
    assert {"ubuntu-24.04", "debian-12", "rocky-10.1"} <= set(values)
    assert len([e for e in module.log() if e["action"] == "ClientArea"]) == 1  # one read
