"""The admin login through a real gunicorn (two workers): the throttle and sessions are
shared by every worker, the cookie is Secure only when a trusted proxy says HTTPS, and a
proxy's user header counts only from a trusted address."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.admin.conftest import HASH, PASSWORD
from tests.support.processes import Process, bridge_cmd, free_port

Serve = Callable[..., str]
seen: list[str] = []  # secrets a test handed out, checked against every log


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    started: list[Process] = []

    def start(**env: str) -> str:
        port = free_port()
        base = {
            "BRIDGE_DATABASE": str(tmp_path / "bridge.sqlite"),
            "BRIDGE_OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
            "BRIDGE_OTWA_BASE_URL": "http://127.0.0.1:9/api/v1",
            "BRIDGE_ADMIN_PASSWORD_HASH": HASH,
        }
        args = bridge_cmd("serve", "--bind", f"127.0.0.1:{port}", "--workers", "2")
        proc = Process(args, tmp_path / f"gunicorn-{port}.log", env={**base, **env}).start()
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        proc.wait_http(f"{url}/healthz", ok_only=True)
        return url

    yield start
    for proc in started:
        proc.stop()
    logs = "".join(p.log() for p in started)
    assert PASSWORD not in logs  # canary: the admin password never reaches a log
    assert HASH not in logs
    for secret in seen:
        assert secret not in logs and secret.split(".")[0] not in logs


def _login(url: str, password: str, headers: dict[str, str] | None = None) -> requests.Response:
    """The form, then the post, carrying the form's cookie by hand (over plain http a
    client keeps no Secure cookie, and behind "https" our cookies are Secure)."""
    headers = dict(headers or {})
    page = requests.get(f"{url}/admin/login", headers=headers, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    nonce = page.cookies.get("otwa_admin_login") or re.search(
        r"otwa_admin_login=([^;]+)", page.headers.get("Set-Cookie", "")
    ).group(1)  # type: ignore[union-attr]
    r = requests.post(
        f"{url}/admin/login",
        data={"csrf_token": token.group(1), "password": password},
        headers={**headers, "Cookie": f"otwa_admin_login={nonce}"},
        allow_redirects=False,
        timeout=10,
    )
    return r


def _cookies(r: requests.Response) -> dict[str, str]:
    found = re.search(r"otwa_admin=([^;]+)", r.headers.get("Set-Cookie", ""))
    return {"otwa_admin": found.group(1)} if found else {}


def test_throttle_and_sessions_hold_across_gunicorn_workers(serve: Serve) -> None:
    url = serve()
    statuses = [_login(url, "wrong guess 123").status_code for _ in range(5)]
    assert statuses == [401] * 5
    # Fresh connections land on either worker: each one knows about the failures.
    assert {_login(url, PASSWORD).status_code for _ in range(4)} == {429}

    url2 = serve(BRIDGE_ADMIN_LOGIN_MAX_PER_ADDRESS="50")
    ok = _login(url2, PASSWORD)
    assert ok.status_code == 303
    cookies = _cookies(ok)
    for _ in range(6):  # new connections, either worker: the session is in SQLite
        r = requests.get(f"{url2}/admin/api/session", cookies=cookies, timeout=10)
        assert r.status_code == 200 and r.json()["user"] == "admin"
    seen.append(cookies["otwa_admin"])  # canary: the session cookie is in no log line


def test_the_cookie_is_secure_when_a_trusted_proxy_says_https(serve: Serve) -> None:
    url = serve(BRIDGE_TRUSTED_PROXIES="127.0.0.1")
    r = _login(url, PASSWORD, {"X-Forwarded-Proto": "https"})
    assert r.status_code == 303
    cookie = r.raw.headers.getlist("Set-Cookie")
    session = next(c for c in cookie if c.startswith("otwa_admin="))
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Strict" in session


def test_an_untrusted_peer_cannot_claim_https_or_a_proxy_user(serve: Serve) -> None:
    url = serve(
        BRIDGE_TRUSTED_PROXIES="192.0.2.10",
        BRIDGE_ADMIN_PROXY_USER_HEADER="X-Forwarded-User",
    )
    r = requests.get(
        f"{url}/admin/api/session", headers={"X-Forwarded-User": "mallory"}, timeout=10
    )
    assert r.status_code == 401
    r = _login(url, PASSWORD, {"X-Forwarded-Proto": "https"})
    session = next(c for c in r.raw.headers.getlist("Set-Cookie") if c.startswith("otwa_admin="))
    assert "Secure" not in session


def test_a_trusted_proxy_user_is_signed_in_and_still_needs_csrf(serve: Serve) -> None:
    url = serve(
        BRIDGE_ADMIN_PASSWORD_HASH="",
        BRIDGE_TRUSTED_PROXIES="127.0.0.0/8",
        BRIDGE_ADMIN_PROXY_USER_HEADER="X-Forwarded-User",
    )
    headers = {"X-Forwarded-User": "alice@example.com"}
    r = requests.get(f"{url}/admin/api/session", headers=headers, timeout=10)
    assert r.status_code == 200 and r.json()["user"] == "alice@example.com"
    assert r.json()["via"] == "proxy"
    page = requests.get(f"{url}/admin", headers=headers, timeout=10)
    assert page.status_code == 200 and "alice@example.com" in page.text
    r = requests.post(f"{url}/admin/api/operations/op_x/cancel", headers=headers, timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    # Without the header, a proxy-only console sends people to the proxy.
    r = requests.get(f"{url}/admin/api/session", timeout=10)
    assert r.status_code == 403 and "proxy" in r.json()["error"]["message"]
