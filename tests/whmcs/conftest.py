"""Fixtures driving the PHP module (webhooks/whmcs/modules/servers/otwabridge) through
php-cli against a real bridge (gunicorn + worker), the sandbox and the fake WHMCS API.

``module.call("CreateAccount", params)`` runs tests/whmcs/harness.php, which plays WHMCS:
it defines ``WHMCS`` and ``logModuleCall`` and prints the function's return value as JSON.
Every call's module log lines land in ``module.log_path``; after each test the log is
checked for the canary secrets (the hook secret, the server access hash, the service and
client passwords) as the module handed them over, i.e. before any WHMCS scrubbing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.provisioning.conftest import whmcs, whmcs_process  # noqa: F401 - fixtures, reused
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import ROOT, Sandbox
from tests.support.stack import HOOK_SECRET, Stack

MODULE = ROOT / "webhooks/whmcs/modules/servers/otwabridge/otwabridge.php"
HARNESS = Path(__file__).with_name("harness.php")

# Canaries: values WHMCS hands the module that must never be sent or logged by it.
SERVER_ACCESS_HASH = "canary-accesshash-7f3a9c"
SERVICE_PASSWORD = "canary-svc-pw-Q8xz4L"
CLIENT_PASSWORD = "canary-client-pw-M2k9"


def php_binary() -> str:
    """php-cli, or skip with the way to install it (`make test` installs it as root)."""
    php = shutil.which("php")
    if php is None:
        pytest.skip(
            "php-cli is not installed, so the WHMCS module cannot be run: "
            "`sudo apt-get install php-cli` (or run `make test` as root, which installs it)"
        )
    return php


class WhmcsModule:
    """The PHP module as WHMCS would call it, pointed at ``bridge_url``."""

    def __init__(self, php: str, tmp: Path, bridge_port: int, transport: str) -> None:
        self.php = php
        self.tmp = tmp
        self.bridge_port = bridge_port
        self.transport = transport
        self.log_path = tmp / "module-log.jsonl"
        self.calls = 0

    def params(self, service_id: int, **overrides: Any) -> dict[str, Any]:
        """A realistic WHMCS ``$params`` for ``service_id`` on the test bridge."""
        params: dict[str, Any] = {
            "accountid": service_id,
            "serviceid": service_id,
            "userid": 77,
            "pid": 1,
            "packageid": 1,
            "serverid": 3,
            "domain": f"srv{service_id}.example.com",
            "username": f"srv{service_id}",
            "password": SERVICE_PASSWORD,
            "producttype": "server",
            "moduletype": "otwabridge",
            "status": "Pending",
            "whmcsVersion": "8.13.1-release.1",
            "configoption1": "http://127.0.0.1",  # SSO allowed hosts: the sandbox dashboard
            "configoption2": "20",
            "configoptions": {"Operating System": "Ubuntu 24.04", "Extra IPv4": "No"},
            "customfields": {"Notes": ""},
            "clientsdetails": {
                "userid": 77,
                "id": 77,
                "firstname": "Ada",
                "lastname": "Lovelace",
                "email": "ada@example.com",
                "country": "TR",
                "password": CLIENT_PASSWORD,
                "securityqans": CLIENT_PASSWORD,
            },
            "server": True,
            "serverip": "127.0.0.1",
            "serverhostname": "127.0.0.1",
            "serverusername": "",
            "serverpassword": HOOK_SECRET,
            "serveraccesshash": SERVER_ACCESS_HASH,
            "serversecure": False,
            "serverport": str(self.bridge_port),
            "serverhttpprefix": "http",
        }
        params.update(overrides)
        return params

    def call(self, function: str, params: dict[str, Any] | None = None, **env: str) -> Any:
        """``otwabridge_<function>($params)``'s return value (no stray output, no warnings)."""
        self.calls += 1
        args = [self.php, str(HARNESS), str(MODULE), function]
        if params is None:
            args.append("-")
        else:
            path = self.tmp / f"params-{self.calls}.json"
            path.write_text(json.dumps(params))
            args.append(str(path))
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=60,
            env={
                **os.environ,
                "OTWABRIDGE_MODULE_LOG": str(self.log_path),
                "OTWABRIDGE_TRANSPORT": self.transport,
                **env,
            },
            check=False,
        )
        assert proc.returncode == 0, proc.stderr + proc.stdout
        assert proc.stderr == "", proc.stderr  # no PHP notices or warnings
        out = json.loads(proc.stdout)
        assert out["output"] == "", out  # the module prints nothing
        return out["return"]

    def log(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines()]

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


@pytest.fixture(scope="session")
def php() -> str:
    return php_binary()


@pytest.fixture
def stack(tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs) -> Iterator[Stack]:  # noqa: F811
    """gunicorn + one worker on the reset session sandbox and fake WHMCS."""
    s = Stack(tmp_path, sandbox, whmcs).start(workers=1, serve=True)
    try:
        yield s
    finally:
        s.stop()


def _transport(request: pytest.FixtureRequest, php: str) -> str:
    """``stream`` (Debian php-cli: no cURL) unless the test asks for ``curl`` (the usual
    WHMCS host) via ``@pytest.mark.parametrize("module", ["curl"], indirect=True)``."""
    transport = str(getattr(request, "param", "stream"))
    if transport == "curl":
        mods = subprocess.run([php, "-m"], capture_output=True, text=True, check=True).stdout
        if "curl" not in mods.split():
            pytest.skip("the PHP curl extension is not installed (apt-get install php-curl)")
    return transport


def _check_canaries(m: WhmcsModule) -> None:
    key = HOOK_SECRET.removeprefix("whsec_")
    canaries = (HOOK_SECRET, key, SERVER_ACCESS_HASH, SERVICE_PASSWORD, CLIENT_PASSWORD, "/sso/")
    for entry in m.log():
        # replaceVars legitimately lists secrets (that is how WHMCS scrubs); nothing else may.
        logged = json.dumps([entry["request"], entry["response"], entry["processed"]])
        for canary in canaries:
            assert canary not in logged, (canary, entry["action"])


@pytest.fixture
def module(
    request: pytest.FixtureRequest, php: str, tmp_path: Path, stack: Stack
) -> Iterator[WhmcsModule]:
    """The module pointed at ``stack``; after the test its log must hold no canary."""
    m = WhmcsModule(php, tmp_path, stack.port, _transport(request, php))
    yield m
    _check_canaries(m)


@pytest.fixture
def offline_module(
    request: pytest.FixtureRequest, php: str, tmp_path: Path
) -> Iterator[WhmcsModule]:
    """The module pointed at a port nobody listens on (no bridge started)."""
    from tests.support.processes import free_port

    m = WhmcsModule(php, tmp_path, free_port(), _transport(request, php))
    yield m
    _check_canaries(m)
