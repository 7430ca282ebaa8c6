"""`otwa-bridge dev` (what `make run` starts) brings up a stack that provisions a server,
from a checkout and from an installed wheel (what `pip install .` gives a user)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.processes import ROOT, free_port


def _wait_for(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached")


def _round_trip(command: list[str], work: Path, env: dict[str, str], log_path: Path) -> None:
    """Start ``command dev`` in ``work``, send a create with `send`, see it running."""
    bridge_port, sandbox_port, panel_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in env.items() if not k.startswith("BRIDGE_")}
    with log_path.open("wb") as log:
        dev = subprocess.Popen(
            [
                *command,
                "dev",
                "--bind",
                f"127.0.0.1:{bridge_port}",
                "--sandbox-port",
                str(sandbox_port),
                "--panel-port",
                str(panel_port),
                "--time-scale",
                "600",
                "--workers",
                "1",
            ],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(lambda: "otwa-bridge is running" in log_path.read_text(), 60)
        secrets = (work / "var/dev.env").read_text()
        assert (work / "var/dev.env").stat().st_mode & 0o077 == 0
        send_env = {**env}
        for line in secrets.splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            send_env[name] = value
        sent = subprocess.run(
            [
                *command,
                "send",
                "--url",
                f"http://127.0.0.1:{bridge_port}",
                "--panel",
                "generic",
                "create",
                "--service",
                "demo-1",
                "--product",
                "starter",
                "--client",
                "7",
                "--option",
                "os=ubuntu-24.04",
            ],
            cwd=work,
            env=send_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sent.returncode == 0, sent.stdout + sent.stderr

        def running() -> list[dict[str, Any]]:
            state = requests.get(
                f"http://127.0.0.1:{sandbox_port}/_sandbox/state", timeout=5
            ).json()
            return [s for s in state["servers"] if s["status"] == "running"]

        servers = _wait_for(running, 60)
        assert len(servers) == 1
        assert "demo-1" in servers[0]["label"]

        # The demo panel got the write-back: the console says so (no password), and its
        # service page holds what a panel would store.
        panel = f"http://127.0.0.1:{panel_port}"
        line = _wait_for(
            lambda: next(
                (x for x in log_path.read_text().splitlines() if "generic service demo-1" in x),
                None,
            ),
            60,
        )
        assert f"IP {servers[0]['ipAddress']}" in line and "user root" in line, line
        stored = requests.get(f"{panel}/services/generic/demo-1", timeout=5).json()
        assert stored["ip"] == servers[0]["ipAddress"]
        assert stored["password"] == servers[0]["password"]
        assert servers[0]["password"] not in log_path.read_text()
        assert "***" in requests.get(panel, timeout=5).text  # the list masks passwords

        def sso_link() -> dict[str, Any] | None:
            """The link once the service is active (409 service_not_ready until then)."""
            asked = subprocess.run(
                [*command, "send", "--url", f"http://127.0.0.1:{bridge_port}", "--panel",
                 "generic", "sso_link", "--service", "demo-1", "--client", "7"],
                cwd=work, env=send_env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            reply: dict[str, Any] = json.loads(asked.stdout)
            if reply.get("ok") is not True:
                assert reply["error"]["code"] == "service_not_ready", reply
                return None
            return reply

        # dev generated an SSO secret into var/dev.env and points links at the bridge.
        assert "BRIDGE_SSO_SECRETS=" in secrets
        url = _wait_for(sso_link, 60)["result"]["url"]
        assert url.startswith(f"http://127.0.0.1:{bridge_port}/sso/bsso_")
        first = requests.get(url, allow_redirects=False, timeout=10)
        assert first.status_code == 302
        assert first.headers["Location"].startswith(f"http://127.0.0.1:{sandbox_port}/sso/")
        second = requests.get(url, timeout=10)  # the page comes from the packaged templates
        assert second.status_code == 410 and "already been used" in second.text
    finally:
        os.killpg(dev.pid, signal.SIGTERM)
        dev.wait(timeout=30)
    assert "Traceback" not in log_path.read_text()


def test_dev_stack_provisions_a_server_from_a_sent_hook(tmp_path: Path) -> None:
    # Run from a copy of the config in a scratch dir so var/ of the checkout is untouched.
    work = tmp_path / "work"
    (work / "config").mkdir(parents=True)
    shutil.copy(ROOT / "config" / "bridge.toml", work / "config" / "bridge.toml")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    _round_trip([sys.executable, "-m", "bridge"], work, env, tmp_path / "dev.log")


@pytest.mark.slow
def test_an_installed_wheel_runs_on_its_own(tmp_path: Path) -> None:
    """`pip install .` as a user does it: a wheel (not editable) in a fresh venv, run from an
    empty folder with no checkout, no config and no BRIDGE_* variables."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(ROOT)],
        check=True,
        timeout=300,
    )  # fmt: skip
    (wheel,) = dist.glob("otwa_bridge-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {n for n in names if n.startswith("bridge/sso/templates/")} == {
        f"bridge/sso/templates/{p.name}" for p in (ROOT / "bridge/sso/templates").glob("*.html")
    }
    for needed in (
        "bridge/panels/schema/generic.schema.json",
        "bridge/panels/schema/whmcs.schema.json",
        "bridge/defaults/bridge.toml",
        "bridge/sandbox/openapi.yaml",
        "bridge/web/admin/templates/admin/base.html",
        "bridge/web/admin/templates/admin/login.html",
        "bridge/web/templates/reports/margins.html",
        "bridge/web/templates/reports/margins.css",
    ):
        assert needed in names, needed
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # The venv sees this run's third-party packages (no download), but not the checkout.
    site = next((venv / "lib").glob("python3*/site-packages"))
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "deps.pth").write_text("\n".join(deps) + "\n")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps"]
    subprocess.run([*pip, str(wheel)], check=True, timeout=300)
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import bridge; print(bridge.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(venv) in where and str(ROOT) not in where, where
    _round_trip([str(venv / "bin" / "otwa-bridge")], work, env, tmp_path / "wheel.log")


def test_a_second_dev_fails_clearly_and_the_banner_names_the_database(tmp_path: Path) -> None:
    """The banner names the database BRIDGE_DATABASE points at; a second `dev` on the same
    ports ends at once with one line, no banner, and the first keeps running."""
    work = tmp_path / "work"
    (work / "config").mkdir(parents=True)
    shutil.copy(ROOT / "config" / "bridge.toml", work / "config" / "bridge.toml")
    database = tmp_path / "elsewhere" / "mine.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env |= {"PYTHONPATH": str(ROOT), "BRIDGE_DATABASE": str(database)}
    ports = ["--bind", f"127.0.0.1:{free_port()}", "--sandbox-port", str(free_port()),
             "--panel-port", str(free_port()), "--workers", "1"]  # fmt: skip
    command = [sys.executable, "-m", "bridge", "dev", *ports]
    log_path = tmp_path / "first.log"
    with log_path.open("wb") as log:
        first = subprocess.Popen(command, cwd=work, env=env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        _wait_for(lambda: "otwa-bridge is running" in log_path.read_text(), 60)
        shown = next(
            x for x in log_path.read_text().splitlines() if x.strip().startswith("database")
        )
        assert shown.split()[-1] == str(database), shown
        assert database.exists()
        second = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True,
                                timeout=60)  # fmt: skip
        assert second.returncode == 1
        assert "is in use" in second.stderr and "another `otwa-bridge dev`" in second.stderr
        assert "otwa-bridge is running" not in second.stdout + second.stderr
        assert "Traceback" not in second.stderr
        assert first.poll() is None, "the first stack is untouched"
    finally:
        os.killpg(first.pid, signal.SIGTERM)
        first.wait(timeout=30)


def test_the_readme_tour_is_what_dev_prints() -> None:
    """The README shows the banner of a plain `make run` (checkout, default ports) as is."""
    from bridge.devstack import DEV_TOML, Plan, banner

    plan = Plan(bind="127.0.0.1:8700", sandbox_port=8780, panel_port=8790, time_scale=1.0,
                workers=2, database="var/bridge.sqlite", config="config/bridge.toml",
                config_text="")  # fmt: skip
    printed = banner(plan, f"{DEV_TOML} (config/bridge.toml + the demo panel's URLs)")
    readme = (ROOT / "README.md").read_text()
    shown = readme.split("<!-- dev banner -->\n```\n", 1)[1].split(
        "```\n<!-- end of dev banner -->"
    )[0]
    assert shown.strip("\n") == printed.strip("\n")


def test_demo_wiring_leaves_configured_panels_alone() -> None:
    import tomllib

    from bridge.devstack import demo_wiring
    from bridge.settings import packaged_config

    wiring = demo_wiring(packaged_config(), "http://127.0.0.1:8790")
    assert wiring.config_text is not None
    panels = tomllib.loads(wiring.config_text)["panels"]
    assert panels["whmcs"]["api_url"] == "http://127.0.0.1:8790/includes/api.php"
    assert panels["generic"]["webhook_url"] == "http://127.0.0.1:8790/hooks/generic"
    assert wiring.whmcs == {"whmcs": ("BRIDGE_WHMCS_API_IDENTIFIER", "BRIDGE_WHMCS_API_SECRET")}
    assert wiring.generic == {"generic": "BRIDGE_GENERIC_WEBHOOK_SECRET"}
    mine = demo_wiring(
        '[panels.billing]\nadapter = "whmcs"\napi_url = "https://billing.example.com/api"\n',
        "http://127.0.0.1:8790",
    )
    assert mine.config_text is None and not mine.whmcs


def test_the_tour_activates_the_environment_the_bridge_runs_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pip install .` into any virtualenv: the tour names that one, not a checkout's .venv."""
    from bridge.devstack import _activate

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "prefix", "/opt/otwa/venv")
    assert _activate() == "source /opt/otwa/venv/bin/activate && "
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "env"))
    assert _activate() == "source env/bin/activate && "
    monkeypatch.setattr(sys, "prefix", sys.base_prefix)  # no virtualenv: nothing to activate
    assert _activate() == ""
