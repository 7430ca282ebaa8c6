"""Fixtures driving the PHP module (webhooks/whmcs/modules/servers/otwabridge) through
php-cli against a real bridge (gunicorn + worker), the sandbox and the fake WHMCS.

The fake WHMCS is seeded like a real installation (:func:`seed_world`): one server record
pointing at the test bridge, products 1 and 2 with WHMCS configurable options named the
WHMCS way ("os|Operating System" with sub-options "ubuntu-24.04|Ubuntu 24.04"..., a yes/no
"Extra IPv4"), a client, and services added per test. ``module.call("CreateAccount",
"service:1042")`` then gets the ``$params`` WHMCS would build for service 1042 (values as
WHMCS sends them, ``model`` included); a dict is passed through as-is.

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
from tests.support.fake_whmcs import BRIDGE_ROLE, FakeWhmcs
from tests.support.processes import ROOT, Sandbox
from tests.support.stack import HOOK_SECRET, Stack

MODULE = ROOT / "webhooks/whmcs/modules/servers/otwabridge/otwabridge.php"
HOOKS = ROOT / "webhooks/whmcs/includes/hooks/otwabridge.php"
HARNESS = Path(__file__).with_name("harness.php")

# Canaries: values WHMCS hands the module that must never be sent or logged by it.
SERVER_ACCESS_HASH = "canary-accesshash-7f3a9c"
SERVICE_PASSWORD = "canary-svc-pw-Q8xz4L"
CLIENT_PASSWORD = "canary-client-pw-M2k9"
SSO_SECRET = "canary-sso-link-secret-0123456789abcdefghij"  # signs the bridge's SSO links

WHMCS_SERVER_ID = 3
CLIENT_ID = 77

# The bridge's products map for these tests, written for what WHMCS sends: the option
# "os|Operating System" arrives as "os" with values "ubuntu-24.04"..., the yes/no option
# "Extra IPv4" as its quantity 0/1.
WHMCS_TOML = """
[panels.whmcs]
adapter = "whmcs"
api_url = "{api_url}"
notify_admins = true
label_template = "{{panel}}-{{service}}-g{{generation}}"

[panels.whmcs.os]
option = "os"
default = "ubuntu-24.04"
[panels.whmcs.os.values]
"ubuntu-24.04" = "ubuntu-24.04"
"debian-12" = "debian-12"
"rocky-10.1" = "rocky-10.1"

[panels.whmcs.region]
option = "Location"
[panels.whmcs.region.values]
"tr-ist-01" = "tr-ist-01"
"de-fra-01" = "de-fra-01"

[panels.whmcs.addons."Extra IPv4"]
"1" = "extra-ip"
"0" = ""

[panels.whmcs.products.1]
plan = "Starter"
regions = ["tr-ist-01", "de-fra-01"]

[panels.whmcs.products.2]
plan = "Standard"
regions = ["tr-ist-01", "de-fra-01", "nl-ams-01"]
"""

# WHMCS configurable options of products 1 and 2 (type 1 dropdown, 3 yes/no).
CONFIG_OPTIONS = [
    {
        "id": 1,
        "name": "os|Operating System",
        "type": 1,
        "subs": [
            {"id": 11, "name": "ubuntu-24.04|Ubuntu 24.04"},
            {"id": 12, "name": "debian-12|Debian 12"},
            {"id": 13, "name": "rocky-10.1|Rocky Linux 10.1"},
            {"id": 14, "name": "windows-3.11|Windows 3.11"},  # on sale in WHMCS, not in the map
        ],
    },
    {
        "id": 2,
        "name": "Location",
        "type": 1,
        "subs": [
            {"id": 21, "name": "tr-ist-01|Istanbul"},
            {"id": 22, "name": "de-fra-01|Frankfurt"},
        ],
    },
    {"id": 3, "name": "Extra IPv4", "type": 3, "subs": [{"id": 31, "name": "Extra IPv4"}]},
]


def php_binary() -> str:
    """php-cli, or skip with the way to install it (`make test` installs it as root)."""
    php = shutil.which("php")
    if php is None:
        pytest.skip(
            "php-cli is not installed, so the WHMCS module cannot be run: "
            "`sudo apt-get install php-cli` (or run `make test` as root, which installs it)"
        )
    return php


def seed_world(fake: FakeWhmcs, bridge_port: int, **server: Any) -> None:
    """A WHMCS with one otwabridge server record (the test bridge), products 1-2, a client."""
    record = {
        "id": WHMCS_SERVER_ID,
        "name": "bridge",
        "type": "otwabridge",
        "hostname": "127.0.0.1",
        "ipaddress": "127.0.0.1",
        "secure": False,
        "port": str(bridge_port),
        "username": "",
        "password": HOOK_SECRET,
        "accesshash": SERVER_ACCESS_HASH,
        "active": True,
        **server,
    }
    settings = {"1": "http://127.0.0.1", "2": "20"}  # SSO hosts: the sandbox dashboard
    products = [
        {
            "id": pid,
            "name": name,
            "module": "otwabridge",
            "configoption": settings,
            "configoptions": CONFIG_OPTIONS,
            "customfields": [],
        }
        for pid, name in ((1, "VPS Starter"), (2, "VPS Standard"))
    ]
    client = {
        "id": CLIENT_ID,
        "firstname": "Ada",
        "lastname": "Lovelace",
        "email": "ada@example.com",
        "country": "TR",
        "language": "english",
        "currency_code": "USD",
        "password": CLIENT_PASSWORD,
        "securityqans": CLIENT_PASSWORD,
    }
    fake.seed(servers=[record], products=products, clients=[client], strict=True)


class WhmcsModule:
    """The PHP module as WHMCS would call it, pointed at the bridge on ``bridge_port``."""

    def __init__(
        self, php: str, tmp: Path, bridge_port: int, transport: str, fake: FakeWhmcs | None
    ) -> None:
        self.php = php
        self.tmp = tmp
        self.bridge_port = bridge_port
        self.transport = transport
        self.whmcs = fake
        self.log_path = tmp / "module-log.jsonl"
        self.calls = 0

    def add_service(
        self,
        service_id: int,
        *,
        pid: int = 1,
        os: int = 11,
        location: int = 21,
        extra_ip: int = 0,
        status: str = "Pending",
        **fields: Any,
    ) -> str:
        """A service in the fake WHMCS (options as sub-option ids / quantities, the way
        WHMCS stores them); returns the ``service:<id>`` spec for :meth:`call`."""
        assert self.whmcs is not None
        service = {
            "id": service_id,
            "clientid": CLIENT_ID,
            "pid": pid,
            "serverid": WHMCS_SERVER_ID,
            "domain": f"srv{service_id}.example.com",
            "username": f"srv{service_id}",
            "password": SERVICE_PASSWORD,
            "status": status,
            "configoptions": {"1": os, "2": location, "3": extra_ip},
            **fields,
        }
        self.whmcs.seed(services=[service])
        return f"service:{service_id}"

    def set_status(self, service_id: int, status: str) -> None:
        assert self.whmcs is not None
        service = self.whmcs.service(service_id)
        self.whmcs.seed(services=[{**service, "status": status}])

    def params(self, service_id: int, **overrides: Any) -> dict[str, Any]:
        """Hand-built ``$params`` (for calls with no fake WHMCS state behind them)."""
        params: dict[str, Any] = {
            "accountid": service_id,
            "serviceid": service_id,
            "addonId": 0,
            "userid": CLIENT_ID,
            "pid": 1,
            "packageid": 1,
            "serverid": WHMCS_SERVER_ID,
            "domain": f"srv{service_id}.example.com",
            "username": f"srv{service_id}",
            "password": SERVICE_PASSWORD,
            "producttype": "server",
            "moduletype": "otwabridge",
            "status": "Pending",
            "configoption1": "http://127.0.0.1",
            "configoption2": "20",
            "configoptions": {"os": "ubuntu-24.04", "Location": "tr-ist-01", "Extra IPv4": 0},
            "customfields": {},
            "clientsdetails": {
                "userid": CLIENT_ID,
                "id": CLIENT_ID,
                "firstname": "Ada",
                "email": "ada@example.com",
                "password": CLIENT_PASSWORD,
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

    def _run(self, args: list[str], env: dict[str, str]) -> Any:
        proc = subprocess.run(
            [self.php, str(HARNESS), *args],
            capture_output=True,
            text=True,
            timeout=90,
            env={
                **os.environ,
                "OTWABRIDGE_MODULE_LOG": str(self.log_path),
                "OTWABRIDGE_TRANSPORT": self.transport,
                "OTWABRIDGE_FAKE_WHMCS": self.whmcs.url if self.whmcs else "",
                **env,
            },
            check=False,
        )
        assert proc.returncode == 0, proc.stderr + proc.stdout
        assert proc.stderr == "", proc.stderr  # no PHP notices or warnings
        out = json.loads(proc.stdout)
        assert out["output"] == "", out  # the module prints nothing
        return out["return"]

    def _file(self, name: str, value: Any) -> str:
        self.calls += 1
        path = self.tmp / f"{name}-{self.calls}.json"
        path.write_text(json.dumps(value))
        return str(path)

    def call(
        self,
        function: str,
        params: dict[str, Any] | str | None = None,
        *,
        context: str = "",
        post: dict[str, Any] | None = None,
        session: dict[str, Any] | None = None,
        **env: str,
    ) -> Any:
        """``otwabridge_<function>($params)``'s return value (no stray output, no warnings).

        ``context``: "client" (CLIENTAREA), "admin" (ADMINAREA) or "" (cron/API)."""
        spec = "-" if params is None else params if isinstance(params, str) else None
        if spec is None:
            spec = self._file("params", params)
        extra = {
            "OTWABRIDGE_CONTEXT": context,
            "OTWABRIDGE_POST": json.dumps(post or {}),
            "OTWABRIDGE_SESSION": json.dumps(session or {}),
            **env,
        }
        return self._run(["call", str(MODULE), function, spec], extra)

    def loader(self, callable_name: str, params: dict[str, Any] | str) -> dict[str, Any]:
        """A ConfigOptions loader called like WHMCS does: ``{"options": ...}`` or
        ``{"exception": message}``."""
        spec = params if isinstance(params, str) else self._file("params", params)
        return dict(self._run(["loader", str(MODULE), callable_name, spec], {}))

    def hook(self, name: str, variables: dict[str, Any] | None = None, **kw: Any) -> list[Any]:
        """Run every callback the hooks file registers for ``name``; their return values."""
        session = kw.pop("session", None)
        extra = {"OTWABRIDGE_SESSION": json.dumps(session or {}), **kw}
        return list(
            self._run(["hook", str(HOOKS), name, self._file("vars", variables or {})], extra)
        )

    def entries(self, kind: str = "module") -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        rows = [json.loads(line) for line in self.log_path.read_text().splitlines()]
        return [r for r in rows if r.get("kind") == kind]

    def log(self) -> list[dict[str, Any]]:
        return self.entries("module")

    def activity(self) -> list[str]:
        return [e["message"] for e in self.entries("activity")]


@pytest.fixture(scope="session")
def php() -> str:
    return php_binary()


@pytest.fixture
def stack(tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs) -> Iterator[Stack]:  # noqa: F811
    """gunicorn + one worker on the reset session sandbox and fake WHMCS, with the
    WHMCS-shaped products map; the fake WHMCS seeded and its API role set as documented."""
    s = Stack(tmp_path, sandbox, whmcs, {"SSO_SECRETS": SSO_SECRET})
    s.config_path.write_text(WHMCS_TOML.format(api_url=whmcs.api_url))
    s.reconfigure(PUBLIC_BASE_URL=s.url)  # SSO links on (AdminSingleSignOn: sso_link)
    s.start(workers=1, serve=True)
    seed_world(whmcs, s.port)
    whmcs.set_role(BRIDGE_ROLE)
    try:
        yield s
    finally:
        s.stop()


def _transport(request: pytest.FixtureRequest, php: str) -> str:
    """``stream`` unless the test asks for ``curl`` (the usual WHMCS host) via
    ``@pytest.mark.parametrize("module", ["curl"], indirect=True)``."""
    transport = str(getattr(request, "param", "stream"))
    if transport == "curl":
        mods = subprocess.run([php, "-m"], capture_output=True, text=True, check=True).stdout
        if "curl" not in mods.split():
            pytest.skip("the PHP curl extension is not installed (apt-get install php-curl)")
    return transport


def check_canaries(m: WhmcsModule) -> None:
    key = HOOK_SECRET.removeprefix("whsec_")
    canaries = (HOOK_SECRET, key, SERVER_ACCESS_HASH, SERVICE_PASSWORD, CLIENT_PASSWORD, "/sso/")
    for entry in m.log():
        # replaceVars legitimately lists secrets (that is how WHMCS scrubs); nothing else may.
        logged = json.dumps([entry["request"], entry["response"], entry["processed"]])
        for canary in canaries:
            assert canary not in logged, (canary, entry["action"])
    for message in m.activity():
        for canary in canaries:
            assert canary not in message, canary


@pytest.fixture
def module(
    request: pytest.FixtureRequest,
    php: str,
    tmp_path: Path,
    stack: Stack,
    whmcs: FakeWhmcs,  # noqa: F811
) -> Iterator[WhmcsModule]:
    """The module pointed at ``stack``; after the test its log must hold no canary."""
    m = WhmcsModule(php, tmp_path, stack.port, _transport(request, php), whmcs)
    yield m
    check_canaries(m)


@pytest.fixture
def offline_module(
    request: pytest.FixtureRequest, php: str, tmp_path: Path
) -> Iterator[WhmcsModule]:
    """The module pointed at a port nobody listens on (no bridge, no fake WHMCS)."""
    from tests.support.processes import free_port

    m = WhmcsModule(php, tmp_path, free_port(), _transport(request, php), None)
    yield m
    check_canaries(m)
