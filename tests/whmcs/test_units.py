"""Pure-PHP pieces of the module checked without a bridge: the SSO allow-list, the bridge
URL built from the server record, and the body's allow-list of $params keys."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.support.processes import ROOT

LIB = ROOT / "webhooks/whmcs/modules/servers/otwabridge/lib"
SECRET = "whsec_c3RhY2stdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OWFiY2Q="


def run_php(php: str, expression: str, arg: Any) -> Any:
    """Evaluate ``expression`` (PHP, sees ``$arg`` decoded from JSON) with the lib loaded."""
    code = (
        "define('WHMCS', true);"
        "foreach (['BridgeError','Signer','Settings','Payload','SsoGuard'] as $f) "
        "{ require $argv[1] . '/' . $f . '.php'; }"
        "use WHMCS\\Module\\Server\\Otwabridge\\{Settings, Payload, SsoGuard, BridgeError};"
        "$arg = json_decode($argv[2], true);"
        f"try {{ $out = {expression}; }} "
        "catch (BridgeError $e) { $out = ['error' => $e->getMessage()]; }"
        "echo json_encode($out, JSON_UNESCAPED_SLASHES);"
    )
    proc = subprocess.run(
        [php, "-r", code, str(LIB), json.dumps(arg)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr + proc.stdout
    return json.loads(proc.stdout)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://otwa.cloud/sso/abc", True),
        ("https://eu.otwa.cloud:8443/sso/abc", True),
        ("http://otwa.cloud/sso/abc", False),  # plain http only where listed as http://
        ("https://otwa.cloud.evil.com/sso/abc", False),
        ("https://evilotwa.cloud/sso/abc", False),
        ("https://otwa.cloud@evil.com/sso/abc", False),  # the host is evil.com
        ("https://user:pw@otwa.cloud/sso/abc", False),  # user info is always refused
        ("javascript:alert(1)", False),
        ("//otwa.cloud/sso/abc", False),
        ("https://otwa.cloud/sso/a b", False),
        ("http://127.0.0.1:5000/sso/abc", False),
    ],
)
def test_sso_allow_list_default(php: str, url: str, allowed: bool) -> None:
    expr = "SsoGuard::allowed($arg, ['otwa.cloud', '*.otwa.cloud'])"
    assert run_php(php, expr, url) is allowed


def test_sso_allow_list_http_entry(php: str) -> None:
    expr = "SsoGuard::allowed($arg, ['http://127.0.0.1:8780'])"
    assert run_php(php, expr, "http://127.0.0.1:5000/sso/x") is True
    assert run_php(php, expr, "https://127.0.0.1/sso/x") is True
    assert run_php(php, expr, "http://127.0.0.2/sso/x") is False


@pytest.mark.parametrize(
    ("server", "url"),
    [
        ({"serverhostname": "bridge.example.com"}, "https://bridge.example.com/v1/hooks/whmcs"),
        (
            {"serverhostname": "bridge.example.com", "serversecure": False, "serverport": "8080"},
            "http://bridge.example.com:8080/v1/hooks/whmcs",
        ),
        (
            {"serverhostname": "bridge.example.com:8443/otwa/", "serverport": "443"},
            "https://bridge.example.com:8443/otwa/v1/hooks/whmcs",
        ),
        (
            {"serverhostname": "http://10.0.0.5:8000/", "serverusername": "whmcs-eu"},
            "http://10.0.0.5:8000/v1/hooks/whmcs-eu",
        ),
        ({"serverhostname": "", "serverip": "10.0.0.5"}, "https://10.0.0.5/v1/hooks/whmcs"),
    ],
)
def test_bridge_url_from_server_record(php: str, server: dict, url: str) -> None:
    params = {"serverpassword": SECRET, **server}
    assert run_php(php, "Settings::fromParams($arg)->hookUrl", params) == url


@pytest.mark.parametrize(
    ("server", "says"),
    [
        ({"serverhostname": "b.example.com"}, "no Password"),
        ({"serverhostname": "b.example.com", "serverpassword": "abc"}, "whsec_"),
        ({"serverpassword": SECRET}, "no Hostname"),
        ({"serverhostname": "https://u:p@b.example.com", "serverpassword": SECRET}, "credentials"),
        (
            {"serverhostname": "b.example.com", "serverpassword": SECRET, "serverusername": "a b"},
            "panel name",
        ),
    ],
)
def test_misconfigured_server_record_names_the_field(php: str, server: dict, says: str) -> None:
    out = run_php(php, "Settings::fromParams($arg)->hookUrl", server)
    assert says in out["error"], out


def test_body_forwards_an_allow_list_of_params(php: str) -> None:
    params = {
        "serviceid": "1042",
        "userid": 77,
        "pid": "2",
        "domain": "web1.example.com",
        "password": "svc-pw",
        "serverpassword": SECRET,
        "serveraccesshash": "hash",
        "serverusername": "whmcs",
        "model": {"attributes": {"password": "x"}},
        "configoptions": {"Operating System": "3|Ubuntu 24.04", "Cores": 2, "Nested": {"a": 1}},
        "customfields": [],
        "clientsdetails": {"firstname": "Ada", "email": "a@example.com", "password": "cpw"},
    }
    body = run_php(php, "Payload::build('CreateAccount', $arg)", params)
    assert body == {
        "action": "CreateAccount",
        "serviceid": 1042,
        "userid": 77,
        "pid": 2,
        "domain": "web1.example.com",
        "configoptions": {"Operating System": "3|Ubuntu 24.04", "Cores": 2},
        "customfields": {},
        "clientsdetails": {"firstname": "Ada", "email": "a@example.com"},
        "params": {},
    }
    raw = run_php(php, "Payload::encode(Payload::build('TestConnection', []))", None)
    assert json.loads(raw) == {
        "action": "TestConnection",
        "serviceid": 0,
        "userid": 0,
        "configoptions": {},
        "customfields": {},
        "clientsdetails": {},
        "params": {},
    }
    assert '"customfields":{}' in raw  # an empty PHP array stays a JSON object
