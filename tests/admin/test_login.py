"""The admin login: never open, a signed HttpOnly SameSite=Strict cookie, CSRF on every
POST, sessions that expire and end, throttled guessing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge import create_app, runtime
from bridge.clock import ManualClock
from tests.admin.conftest import PASSWORD, csrf_of, log_in, settings


@pytest.mark.parametrize("path", ["/admin", "/admin/operations", "/admin/login"])
def test_with_no_admin_configured_the_console_says_how_to_set_it_up(
    tmp_path: Path, path: str
) -> None:
    app = create_app({**settings(tmp_path), "ADMIN_PASSWORD_HASH": ""})
    r = app.test_client().get(path)
    assert r.status_code == 503 and r.mimetype == "text/html"
    text = r.get_data(as_text=True)
    assert "otwa-bridge admin hash-password" in text and "BRIDGE_ADMIN_PASSWORD_HASH" in text


def test_the_api_says_so_in_the_json_shape(tmp_path: Path) -> None:
    app = create_app({**settings(tmp_path), "ADMIN_PASSWORD_HASH": ""})
    r = app.test_client().get("/admin/api/operations")
    assert r.status_code == 503 and r.json["error"]["code"] == "admin_not_configured"


def test_pages_redirect_to_login_and_the_api_answers_401(app) -> None:
    c = app.test_client()
    r = c.get("/admin/operations?state=failed")
    assert r.status_code == 303
    assert r.headers["Location"] == "/admin/login?next=%2Fadmin%2Foperations%3Fstate%3Dfailed"
    r = c.get("/admin/api/operations")
    assert r.status_code == 401 and r.json == {
        "ok": False,
        "error": {"code": "unauthorized", "message": r.json["error"]["message"]},
    }


def test_login_sets_a_strict_httponly_cookie_and_returns_to_the_page(app) -> None:
    c = app.test_client()
    r = log_in(c, next_path="/admin/services")
    assert r.status_code == 303 and r.headers["Location"] == "/admin/services"
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("otwa_admin="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http, no trusted proxy
    assert PASSWORD not in cookie
    assert c.get("/admin/services").status_code == 200


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/admin\\@evil", "/sso/x"]
)
def test_login_never_redirects_off_the_console(app, target: str) -> None:
    r = log_in(app.test_client(), next_path=target)
    assert r.headers["Location"] == "/admin"


def test_a_wrong_password_is_401_on_the_form_and_opens_nothing(app) -> None:
    c = app.test_client()
    r = log_in(c, "not the password at all")
    assert r.status_code == 401 and "Wrong password." in r.get_data(as_text=True)
    assert not any(h.startswith("otwa_admin=") for h in r.headers.getlist("Set-Cookie"))
    assert c.get("/admin/api/session").status_code == 401


def test_login_needs_the_form_token(app) -> None:
    c = app.test_client()
    c.get("/admin/login")
    r = c.post("/admin/login", data={"password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403 and "reload /admin/login" in r.get_data(as_text=True)


def test_every_post_needs_the_csrf_token(client) -> None:
    r = client.post("/admin/operations/op_x/retry")
    assert r.status_code == 403 and "CSRF" in r.get_data(as_text=True)
    r = client.post("/admin/api/operations/op_x/retry", headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403 and r.json["error"]["code"] == "csrf_failed"
    token = client.get("/admin/api/session").json["csrf_token"]
    r = client.post("/admin/api/operations/op_x/retry", headers={"X-CSRF-Token": token})
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"  # past the CSRF check


def test_sessions_end_when_idle(client, clock: ManualClock) -> None:
    clock.advance(1700)
    assert client.get("/admin/api/session").status_code == 200  # touched: idle restarts
    clock.advance(1700)
    assert client.get("/admin/api/session").status_code == 200
    clock.advance(1801)
    assert client.get("/admin/api/session").status_code == 401


def test_sessions_end_at_their_absolute_limit_however_busy(client, clock: ManualClock) -> None:
    for _ in range(25):  # 25 x 29 min = 12 h 5 min of steady use
        clock.advance(29 * 60)
        if client.get("/admin/api/session").status_code != 200:
            break
    assert client.get("/admin/api/session").status_code == 401


def test_logout_ends_the_session_even_for_a_copied_cookie(client) -> None:
    cookie = client.get_cookie("otwa_admin", path="/admin")
    assert cookie is not None
    token = client.get("/admin/api/session").json["csrf_token"]
    r = client.post("/admin/logout", data={"csrf_token": token})
    assert r.status_code == 303
    other = client.application.test_client()
    other.set_cookie("otwa_admin", cookie.value, path="/admin")
    assert other.get("/admin/api/session").status_code == 401


def test_a_new_password_ends_every_session(tmp_path: Path, clock: ManualClock, client) -> None:
    from bridge.access import passwords

    cookie = client.get_cookie("otwa_admin", path="/admin")
    rotated = runtime.build(
        settings(tmp_path, ADMIN_PASSWORD_HASH=passwords.hash_password("another passphrase 42")),
        env={},
        clock=clock,
    )
    other = create_app(bridge=rotated).test_client()
    other.set_cookie("otwa_admin", cookie.value, path="/admin")
    assert other.get("/admin/api/session").status_code == 401


def test_a_tampered_cookie_is_refused(client) -> None:
    cookie = client.get_cookie("otwa_admin", path="/admin")
    client.set_cookie("otwa_admin", cookie.value[:-2] + "xx", path="/admin")
    assert client.get("/admin/api/session").status_code == 401


def test_failed_logins_are_throttled_per_address(app, clock: ManualClock) -> None:
    c = app.test_client()
    for _ in range(5):
        assert log_in(c, "wrong guess number x", address="10.0.0.7").status_code == 401
    r = log_in(c, address="10.0.0.7")  # even the right password waits now
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 901
    assert "try again in" in r.get_data(as_text=True)
    assert log_in(app.test_client(), address="10.0.0.8").status_code == 303  # others may
    clock.advance(901)
    assert log_in(c, address="10.0.0.7").status_code == 303


def test_failed_logins_are_throttled_in_total(tmp_path: Path, clock: ManualClock) -> None:
    bridge = runtime.build(settings(tmp_path, ADMIN_LOGIN_MAX_GLOBAL=6), env={}, clock=clock)
    app = create_app(bridge=bridge)
    for n in range(6):  # a spread-out guess: 2 per address, under the per-address limit
        assert log_in(app.test_client(), "wrong", address=f"10.0.1.{n // 2}").status_code == 401
    assert log_in(app.test_client(), address="10.0.2.1").status_code == 429
    clock.advance(901)
    assert log_in(app.test_client(), address="10.0.2.1").status_code == 303


def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(
    tmp_path: Path, clock: ManualClock
) -> None:
    bridge = runtime.build(settings(tmp_path, TRUSTED_PROXIES="127.0.0.1"), env={}, clock=clock)
    app = create_app(bridge=bridge)

    def attempt(password: str, forwarded: str) -> int:
        c = app.test_client()
        headers = {"X-Forwarded-For": forwarded}
        page = c.get("/admin/login", headers=headers)
        data = {"csrf_token": csrf_of(page.get_data(as_text=True)), "password": password}
        return c.post("/admin/login", data=data, headers=headers).status_code

    for _ in range(5):
        assert attempt("wrong", "203.0.113.9") == 401
    assert attempt(PASSWORD, "203.0.113.9") == 429
    assert attempt(PASSWORD, "198.51.100.4") == 303  # the proxy's other clients are not
