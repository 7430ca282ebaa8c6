"""schemathesis against the bridge's own OpenAPI document, over real HTTP to a real
gunicorn: every check, every operation; no failure and never a 5xx.

The fuzzer has no hook secret (it is the outside world: what anyone can send), holds the
metrics token, and is signed in to the admin console (its cookie; the CSRF token it is
given may be overridden by a generated one, which must then be refused cleanly)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from bridge import create_app
from bridge.access import passwords
from bridge.web import openapi
from tests.support.processes import Process, bridge_cmd, free_port
from tests.web import hookkit as k

PASSWORD = "fuzzing-admin-passphrase-1"
TOKEN = "fuzz-metrics-token-0192"
schema = schemathesis.openapi.from_dict(openapi.document())


def _served_paths() -> set[str]:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"DATABASE": f"{folder}/b.sqlite", "OTWA_BUDGET_PATH": f"{folder}/budget.sqlite"}
        )
        return {re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", r.rule) for r in app.url_map.iter_rules()}


SERVED = _served_paths()


@pytest.fixture(scope="module")
def bridge_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    config = k.write_config(tmp)
    config.write_text(k.TEST_TOML.split("[panels.nosecret]")[0])  # every panel has a secret
    port = free_port()
    env = {
        "BRIDGE_DATABASE": str(tmp / "bridge.sqlite"),
        "BRIDGE_OTWA_BUDGET_PATH": str(tmp / "budget.sqlite"),
        "BRIDGE_OTWA_BASE_URL": "http://127.0.0.1:9/api/v1",
        "BRIDGE_CONFIG": str(config),
        "BRIDGE_ADMIN_PASSWORD_HASH": passwords.hash_password(PASSWORD),
        "BRIDGE_ADMIN_LOGIN_MAX_PER_ADDRESS": "1000",
        "BRIDGE_METRICS_TOKEN": TOKEN,
        **k.ENV,
    }
    proc = Process(
        bridge_cmd("serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"),
        tmp / "gunicorn.log",
        env=env,
    ).start()
    url = f"http://127.0.0.1:{port}"
    try:
        proc.wait_http(f"{url}/healthz", ok_only=True)
        s = requests.Session()
        page = s.get(f"{url}/admin/login", timeout=10)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = s.post(
            f"{url}/admin/login",
            data={"csrf_token": csrf, "password": PASSWORD},
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 303, r.text
        cookie = s.cookies.get("otwa_admin")
        session = s.get(f"{url}/admin/api/session", timeout=10).json()
        yield {"url": url, "cookie": str(cookie), "csrf": session["csrf_token"]}
    finally:
        proc.stop()
        log = proc.log()
        assert "Traceback" not in log, log[-3000:]
        assert PASSWORD not in log and TOKEN not in log


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_bridge_conforms_to_its_own_openapi(case, bridge_url: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    if case.path not in SERVED:
        pytest.skip(f"{case.path} is not served by this build (documented for when it is)")
    headers = {"Authorization": f"Bearer {TOKEN}"} if case.path == "/metrics" else {}
    if case.path.startswith("/admin/api"):
        headers["Cookie"] = f"otwa_admin={bridge_url['cookie']}"
        headers.setdefault("X-CSRF-Token", bridge_url["csrf"])
    response = case.call(base_url=bridge_url["url"], headers=headers, timeout=15)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    case.validate_response(response)
