"""Pure-PHP pieces of the module checked without a bridge: the SSO allow-list, the bridge
URL built from the server record (serversecure as WHMCS sends it), the body's allow-list
of $params keys, cart options as WHMCS will pass them, charts, strings, and the rules
WHMCS imposes on the module's files (PHP version guard, no otwabridge_ helpers)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ROOT

LIB = ROOT / "webhooks/whmcs/modules/servers/otwabridge/lib"
SECRET = "whsec_c3RhY2stdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OWFiY2Q="


def run_php(php: str, expression: str, arg: Any) -> Any:
    """Evaluate ``expression`` (PHP, sees ``$arg`` decoded from JSON) with the lib loaded."""
    code = (
        "define('WHMCS', true);"
        "spl_autoload_register(function ($c) use ($argv) {"
        " $p = 'WHMCS\\\\Module\\\\Server\\\\Otwabridge\\\\';"
        " if (str_starts_with($c, $p)) { require $argv[1] . '/' . str_replace('\\\\', '/',"
        " substr($c, strlen($p))) . '.php'; } });"
        "use WHMCS\\Module\\Server\\Otwabridge\\{Settings, Payload, SsoGuard, BridgeError, Charts,"
        " Signer, Lang, Messages};"
        "use WHMCS\\Module\\Server\\Otwabridge\\Hooks\\CartOptions;"
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


@pytest.mark.parametrize(
    ("secure", "scheme"),
    [
        ({"serversecure": True, "serverhttpprefix": "https"}, "https"),  # WHMCS 7+: a bool
        ({"serversecure": False, "serverhttpprefix": "http"}, "http"),
        ({"serversecure": "on"}, "https"),  # older WHMCS / hand-built params
        ({"serversecure": ""}, "http"),
        ({"serversecure": "0"}, "http"),
        ({"serversecure": 1}, "https"),
        ({"serversecure": False, "serverhttpprefix": "https"}, "http"),  # the tick box decides
        ({"serverhttpprefix": "http"}, "http"),  # no serversecure: the prefix
        ({}, "https"),  # nothing said: secure by default
    ],
)
def test_serversecure_as_whmcs_sends_it(php: str, secure: dict, scheme: str) -> None:
    params = {"serverpassword": SECRET, "serverhostname": "b.example.com", **secure}
    url = run_php(php, "Settings::fromParams($arg)->hookUrl", params)
    assert url == f"{scheme}://b.example.com/v1/hooks/whmcs"


def test_add_on_body_names_the_add_on_and_not_its_tbladdons_id_as_product(php: str) -> None:
    params = {"serviceid": 1042, "addonId": 9, "pid": 4, "userid": 77, "configoption6": "backup"}
    body = run_php(php, "Payload::build('add_addon', $arg, ['type' => 'backup'])", params)
    assert body["serviceid"] == 1042 and body["addonid"] == 9 and "pid" not in body
    assert body["params"] == {"type": "backup"}


def test_module_settings_3_to_5_travel_as_hints(php: str) -> None:
    params = {
        "serviceid": 1,
        "userid": 2,
        "pid": 3,
        "configoption3": "starter-eu",
        "configoption4": "de-fra-01",
        "configoption5": "",
    }
    body = run_php(php, "Payload::build('create', $arg)", params)
    assert body["product_key"] == "starter-eu"
    assert body["defaults"] == {"region": "de-fra-01"}


def test_cart_options_become_what_whmcs_will_pass_createaccount(php: str) -> None:
    product = {
        "pid": 1,
        "configoptions": {
            "configoption": [
                {
                    "id": 1,
                    "name": "os|Operating System",
                    "type": "1",
                    "options": {
                        "option": [
                            {
                                "id": 11,
                                "name": "Ubuntu 24.04",
                                "rawName": "ubuntu-24.04|Ubuntu 24.04",
                            },
                            {"id": 12, "name": "Debian 12", "rawName": "debian-12|Debian 12"},
                        ]
                    },
                },
                {
                    "id": 2,
                    "name": "Location",
                    "type": "2",
                    "options": {
                        "option": [{"id": 21, "name": "Istanbul", "rawName": "tr-ist-01|Istanbul"}]
                    },
                },
                {
                    "id": 3,
                    "name": "Extra IPv4",
                    "type": "3",
                    "options": {
                        "option": [{"id": 31, "name": "Extra IPv4", "rawName": "Extra IPv4"}]
                    },
                },
                {"id": 4, "name": "Backups", "type": "4", "options": {"option": []}},
            ]
        },
    }
    chosen = {"1": "12", "2": "21", "3": "1", "4": {"optionid": 5, "qty": 3}}
    out = run_php(php, "CartOptions::asModuleParams($arg[0], $arg[1])", [product, chosen])
    assert out == {"os": "debian-12", "Location": "tr-ist-01", "Extra IPv4": 1, "Backups": 3}
    names = run_php(php, "CartOptions::displayNames($arg)", product)
    assert names["os"] == "Operating System" and names["Location"] == "Location"


def test_charts_are_inline_svg_with_escaped_text(php: str) -> None:
    svg = run_php(php, "Charts::bar('cpu', 150, $arg)", "<script>x</script>")
    assert svg.startswith("<svg") and "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'width="196"' in svg  # clamped to 100 %
    line = run_php(php, "Charts::sparkline('net', [1, 5, 2], 10, 'n')", None)
    assert "<polyline" in line and "http" not in line.replace("http://www.w3.org/2000/svg", "")


def test_client_strings_are_neutral_unless_the_reseller_names_a_brand(php: str) -> None:
    neutral = run_php(php, "Lang::forParams($arg)->get('open_panel')", {})
    assert neutral == "Open control panel"
    branded = run_php(php, "Lang::forParams($arg)->get('open_panel')", {"configoption7": "Acme"})
    assert branded == "Open Acme"
    english = run_php(php, "Lang::forParams($arg)->all()", {})
    assert not [k for k, v in english.items() if "Otwa" in v or "bridge" in v.lower()]


def test_client_message_hides_the_detail_and_keeps_a_reference(php: str) -> None:
    expr = (
        "(function () { $e = new BridgeError('Otwa bridge: boom [invalid_signature, HTTP 401]',"
        " 'invalid_signature', 401); $e->reference = 'whmcs-X-1-abc';"
        " return Messages::forClient($e, Lang::forParams([])); })()"
    )
    text = run_php(php, expr, None)
    assert "401" not in text and "Otwa" not in text and "signature" not in text
    assert text.endswith("(Reference: whmcs-X-1-abc)")


ENTRY_FILES = [
    ROOT / "webhooks/whmcs/modules/servers/otwabridge/otwabridge.php",
    ROOT / "webhooks/whmcs/modules/servers/otwabridge/lib/Boot.php",
    ROOT / "webhooks/whmcs/includes/hooks/otwabridge.php",
]


@pytest.mark.parametrize("path", ENTRY_FILES, ids=lambda p: p.name)
def test_files_loaded_before_the_version_guard_use_no_newer_syntax(php: str, path) -> None:
    """What an old PHP parses before Boot refuses: nothing newer than PHP 5.6."""
    code = (
        "$bad = ['T_COALESCE', 'T_COALESCE_EQUAL', 'T_FN', 'T_MATCH', 'T_READONLY',"
        " 'T_NULLSAFE_OBJECT_OPERATOR', 'T_ATTRIBUTE', 'T_ENUM', 'T_ELLIPSIS'];"
        "$found = []; foreach (token_get_all(file_get_contents($argv[1])) as $t) {"
        " if (is_array($t) && in_array(token_name($t[0]), $bad, true)) {"
        " $found[] = token_name($t[0]); } }"
        "echo json_encode($found);"
    )
    out = subprocess.run([php, "-r", code, str(path)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
    text = path.read_text()
    assert not re.search(r"function\s+\w+\s*\([^)]*\)\s*:", text), "return types are PHP 7+"
    assert not re.search(r"(private|public|protected)\s+const", text), "const visibility: 7.1+"
    assert not re.search(r"\?[A-Za-z\\]+\s+\$", text), "nullable types: 7.1+"


def test_no_helper_functions_under_the_module_prefix() -> None:
    """WHMCS dispatches any otwabridge_<name> as a module function: only entry points."""
    source = ENTRY_FILES[0].read_text()
    names = set(re.findall(r"function\s+otwabridge_(\w+)", source))
    entry_points = {
        "MetaData",
        "ConfigOptions",
        "CreateAccount",
        "SuspendAccount",
        "UnsuspendAccount",
        "TerminateAccount",
        "ChangePackage",
        "TestConnection",
        "ServiceSingleSignOn",
        "AdminSingleSignOn",
        "ClientArea",
        "AdminCustomButtonArray",
        "ClientAreaCustomButtonArray",
        "ClientAreaAllowedFunctions",
        "AdminServicesTabFields",
        "AdminServicesTabFieldsSave",
        "UsageUpdate",
        "ListAccounts",
    }
    buttons = {
        "AdminStart",
        "AdminStop",
        "AdminReboot",
        "AdminReinstall",
        "AdminResetPassword",
        "AdminSync",
        "ClientPower",
        "ClientReinstall",
        "ClientResetPassword",
    }
    assert names == entry_points | buttons
    for path in (ROOT / "webhooks/whmcs").rglob("*.php"):
        if path != ENTRY_FILES[0]:
            assert "function otwabridge_" not in path.read_text(), path


@pytest.mark.parametrize("path", sorted((ROOT / "webhooks/whmcs").rglob("*.php")), ids=str)
def test_php_files_lint_and_refuse_direct_access(php: str, path) -> None:
    lint = subprocess.run([php, "-l", str(path)], capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "if (!defined('WHMCS'))" in path.read_text()


def test_an_old_php_gets_one_clear_sentence_everywhere(php: str, tmp_path) -> None:
    """Boot refuses before any PHP 8.1 file loads: each entry point returns its own shape."""
    harness = Path(__file__).with_name("harness.php")
    module = ENTRY_FILES[0]
    params = tmp_path / "p.json"
    params.write_text("{}")
    env = {"OTWABRIDGE_TEST_PHP_VERSION_ID": "70433", "PATH": "/usr/bin:/bin"}

    def call(function: str, arg: str = str(params)) -> object:
        out = subprocess.run(
            [php, str(harness), "call", str(module), function, arg],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        assert out.stderr == ""
        return json.loads(out.stdout)["return"]

    sentence = "The otwabridge module needs PHP 8.1 or later; this WHMCS runs PHP 7.4.33."
    assert call("CreateAccount").startswith(sentence)
    assert call("TestConnection") == {"success": False, "error": call("SuspendAccount")}
    assert call("ServiceSingleSignOn")["success"] is False
    assert call("ClientArea") == [] and call("ClientAreaAllowedFunctions", "-") == []
    assert sentence in json.dumps(call("ConfigOptions"))
    hooks = subprocess.run(
        [php, str(harness), "hooks", str(ENTRY_FILES[2]), "x", "-"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert json.loads(hooks.stdout)["return"] == []  # nothing registered


def test_whmcs_json_and_logo_ship_with_the_module() -> None:
    folder = ROOT / "webhooks/whmcs/modules/servers/otwabridge"
    meta = json.loads((folder / "whmcs.json").read_text())
    assert meta["type"] == "whmcs-servers" and meta["name"] == folder.name
    logo = (folder / meta["logo"]["filename"]).read_bytes()
    assert logo.startswith(b"\x89PNG\r\n\x1a\n") and len(logo) < 50_000


# WHMCS function names the bridge accepts as actions (bridge/panels/whmcs.py ALIASES).
ALIASES = {
    "CreateAccount": "create",
    "SuspendAccount": "suspend",
    "UnsuspendAccount": "unsuspend",
    "TerminateAccount": "terminate",
    "ChangePackage": "change_package",
    "ServiceSingleSignOn": "sso",
    "TestConnection": "test_connection",
}


def test_every_action_the_module_sends_has_a_sample_and_a_documented_contract() -> None:
    lib = ROOT / "webhooks/whmcs/modules/servers/otwabridge/lib"
    source = "\n".join(p.read_text() for p in lib.rglob("*.php"))
    sent = set(
        re.findall(
            r"(?:Bridge::call|Lifecycle::run|self::run|self::redirect)\('\w+', '(\w+)'", source
        )
    )
    sent |= set(re.findall(r"self::act\(\$params, \$lang, '\w+', '(\w+)'", source))
    sent |= set(re.findall(r"Bridge::call\(\$function, '(\w+)'", source))
    sent |= set(re.findall(r"self::send\([^;]*'(invoice_\w+)'\)", source))
    actions = {ALIASES.get(a, a) for a in sent}
    assert {"create", "add_addon", "validate", "adopt", "reconcile", "invoice_paid"} <= actions
    samples = ROOT / "webhooks/samples/whmcs"
    have = {p.stem for p in samples.glob("*.json")} | {
        p.stem for p in samples.glob("pending/*.json")
    }
    assert actions <= have, actions - have
    guide = (ROOT / "docs/panels/whmcs.md").read_text()
    section = guide.split("## 9. Hook actions used by the WHMCS module")[1].split("\n## 10.")[0]
    for action in actions:
        assert f"`{action}`" in section or f'"{action}"' in section, action
    for path in samples.glob("pending/*.json"):
        body = json.loads(path.read_text())
        assert body["action"] in actions and "serviceid" in body and "params" in body, path


@pytest.mark.parametrize(
    "body",
    ['{"action":"create","serviceid":1}', '{"name":"Çağrı ☁","note":"a\\/b"}', ""],
    ids=["ascii", "utf-8", "empty"],
)
def test_signatures_interoperate_both_ways(php: str, body: str) -> None:
    """PHP signs what Python verifies, and Python signs what PHP produces, byte for byte."""
    from bridge import signing

    ts = 1767225600
    msg_id = "whmcs-CreateAccount-1-0123456789abcdef"
    php_sig = run_php(
        php, "Signer::sign($arg[0], $arg[1], $arg[2], $arg[3])", [SECRET, msg_id, ts, body]
    )
    assert php_sig == signing.sign(SECRET, msg_id, ts, body.encode())
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": php_sig}
    assert signing.verify(headers, body.encode(), [SECRET], now=ts) == msg_id
    other = "whsec_" + "b3RoZXItc2VjcmV0LW5vdC10aGUtYnJpZGdlcy0xMjM0"
    with pytest.raises(signing.SignatureError):
        signing.verify(headers, body.encode(), [other], now=ts)
