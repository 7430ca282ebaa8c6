"""The shipped config/nginx/otwa-bridge.conf as deployed: TLS, the plain-HTTP redirect,
the proxy headers, JSON when the bridge is down, /metrics kept off the public edge, and
no SSO token in nginx's logs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from bridge.processes import NGINX_SITE, NginxProcess
from tests.edge.conftest import Web, require_nginx, self_signed
from tests.support.processes import free_port


def test_the_shipped_file_keeps_its_promises() -> None:
    """The values docs/operations.md quotes, read from the file itself."""
    text = NGINX_SITE.read_text()
    assert re.search(r"client_max_body_size\s+64k;", text)  # = the HOOK_MAX_BYTES default
    from bridge.settings import Settings

    assert Settings.model_fields["hook_max_bytes"].default == 64 * 1024
    promised = (
        "client_header_timeout",
        "client_body_timeout",
        "proxy_request_buffering on",
        "listen 443 ssl",
        "ssl_certificate",
        "X-Forwarded-Proto",
        "return 308 https",
    )
    for directive in promised:
        assert directive in text, directive
    assert "proxy_intercept_errors on" not in text  # the bridge's own errors pass through


@pytest.fixture(scope="module")
def tls_edge(web: Web, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    require_nginx()
    folder = tmp_path_factory.mktemp("tls")
    edge = NginxProcess(folder, f"127.0.0.1:{web.port}", tls=self_signed(folder))
    edge.check()
    edge.start()
    yield edge, folder / "edge.crt"
    edge.stop()


def test_tls_in_front_of_the_bridge(tls_edge: tuple[NginxProcess, Path]) -> None:
    edge, cert = tls_edge
    r = requests.get(f"{edge.url}/healthz", verify=str(cert), timeout=10)
    assert r.status_code == 200 and r.json()["ok"] is True
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "nginx/" not in r.headers.get("Server", "")  # server_tokens off
    plain = requests.get(
        f"http://127.0.0.1:{edge.redirect_port}/v1/hooks/whmcs", allow_redirects=False, timeout=10
    )
    assert plain.status_code == 308
    assert plain.headers["Location"].startswith("https://") and plain.headers["Location"].endswith(
        "/v1/hooks/whmcs"
    )


def test_request_ids_pass_through(web: Web, nginx: NginxProcess) -> None:
    given = requests.post(f"{nginx.url}/v1/hooks/whmcs", data=b"{}", timeout=10,
                          headers={"X-Request-Id": "panel-req-42"})  # fmt: skip
    assert given.headers["X-Request-Id"] == "panel-req-42"
    made = requests.post(f"{nginx.url}/v1/hooks/whmcs", data=b"{}", timeout=10)
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-Id"])  # nginx's $request_id


def test_metrics_are_not_served_on_the_public_edge(nginx: NginxProcess) -> None:
    r = requests.get(f"{nginx.url}/metrics", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_the_bridges_own_errors_pass_through(nginx: NginxProcess) -> None:
    r = requests.get(f"{nginx.url}/no/such/page", timeout=10)
    assert r.status_code == 404 and r.json() == {
        "ok": False,
        "error": {
            "code": "not_found",
            "message": "No such endpoint. See the README for the bridge's endpoints.",
        },
    }


def test_a_bridge_that_is_down_is_a_json_503(tmp_path: Path) -> None:
    require_nginx()
    edge = NginxProcess(tmp_path, f"127.0.0.1:{free_port()}")  # nothing listens there
    edge.start()
    try:
        r = requests.post(f"{edge.url}/v1/hooks/whmcs", data=b"{}", timeout=10)
    finally:
        edge.stop()
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert r.json()["error"]["code"] == "bridge_unavailable"


def test_sso_tokens_never_reach_nginx_logs(tmp_path: Path) -> None:
    """Access log lines show /sso/*** and no query string; nginx's error lines, which quote
    the request line whole, are kept to critical ones (the access line carries the
    upstream's status instead)."""
    require_nginx()
    token = "bsso_CANARY0nginx0log0token0xyz"
    edge = NginxProcess(tmp_path, f"127.0.0.1:{free_port()}")  # down: error lines are due
    edge.start()
    try:
        for path in (f"/sso/{token}", f"/sso/{token}?x={token}", f"/v1/hooks/whmcs?t={token}"):
            requests.get(f"{edge.url}{path}", timeout=10)
    finally:
        edge.stop()
    logs = edge.logs()
    assert "/sso/***" in logs and "upstream=502/" in logs  # logged, failure visible
    assert token not in logs


def test_behind_tls_the_admin_cookie_is_secure(tmp_path: Path) -> None:
    """nginx says X-Forwarded-Proto https; a bridge that trusts it (BRIDGE_TRUSTED_PROXIES,
    as the systemd unit sets) marks the admin session cookie Secure."""
    import re as regex

    from bridge.access.passwords import hash_password
    from tests.edge.conftest import start_web

    require_nginx()
    password = "an-admin-password-for-tls"
    web = start_web(tmp_path / "web", BRIDGE_ADMIN_PASSWORD_HASH=hash_password(password),
                    BRIDGE_TRUSTED_PROXIES="127.0.0.1,::1")  # fmt: skip
    edge = NginxProcess(tmp_path / "nginx", f"127.0.0.1:{web.port}", tls=self_signed(tmp_path))
    edge.start()
    try:
        cert = str(tmp_path / "edge.crt")
        session = requests.Session()
        form = session.get(f"{edge.url}/admin/login", verify=cert, timeout=10).text
        csrf = regex.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf, form[:300]
        done = session.post(f"{edge.url}/admin/login", verify=cert, allow_redirects=False,
                            timeout=10, data={"csrf_token": csrf.group(1),
                                              "password": password, "next": "/admin"})  # fmt: skip
    finally:
        edge.stop()
        web.process.stop()
    assert done.status_code == 303, done.text[:300]
    cookie = next(c for c in done.headers["Set-Cookie"].split(", otwa") if "otwa_admin=" in c)
    assert "Secure" in cookie and "HttpOnly" in cookie, cookie
