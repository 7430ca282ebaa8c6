"""Who is asking: the admin login's HTTP side (cookies, CSRF, proxy header, set-up page).

An admin request is let in by one of two doors, checked in this order:

1. ``ADMIN_PROXY_USER_HEADER`` is set, the peer is in ``TRUSTED_PROXIES`` and the header
   names a user: the authenticating proxy (oauth2-proxy, Authelia, an nginx auth_request)
   already signed them in.
2. ``ADMIN_PASSWORD_HASH`` is set and the request carries a live session cookie (made by
   ``POST /admin/login``).

Neither door configured: the console answers a page saying how to set one up (never
open). Every POST carries a CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``): an HMAC of the session (or the proxy user) under the cookie key,
compared in constant time. The cookie is HttpOnly, SameSite=Strict, Path=/admin, and
Secure whenever the client came over HTTPS (our TLS, or a trusted proxy's
``X-Forwarded-Proto``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import ssl
from dataclasses import dataclass

from flask import g, request
from werkzeug.wrappers import Response as BaseResponse

from bridge.access import passwords, proxies, sessions
from bridge.errors import BridgeError
from bridge.logs import register_secret
from bridge.runtime import Bridge
from bridge.web import current_bridge, get_db

COOKIE = "otwa_admin"
LOGIN_COOKIE = "otwa_admin_login"
COOKIE_PATH = "/admin"
USER_MAX = 128
SETUP = (
    "The admin console is not set up. Set BRIDGE_ADMIN_PASSWORD_HASH (make one with "
    "`otwa-bridge admin hash-password`), or BRIDGE_ADMIN_PROXY_USER_HEADER with "
    "BRIDGE_TRUSTED_PROXIES for an authenticating proxy; see docs/admin.md."
)


@dataclass(frozen=True)
class Admin:
    """The signed-in admin of this request."""

    user: str
    via: str  # "password" | "proxy"
    csrf_token: str
    session_token: str | None = None


class NotSignedIn(BridgeError):
    """401: no (live) session; pages redirect to the login form."""

    status = 401
    code = "unauthorized"


class NotConfigured(BridgeError):
    """503: no admin door is configured; pages show how to set one up."""

    status = 503
    code = "admin_not_configured"


def configured(bridge: Bridge) -> bool:
    """True when a password or a trusted authenticating proxy is set up."""
    s = bridge.settings
    return bool(s.admin_password_hash.get_secret_value()) or bool(
        s.admin_proxy_user_header and s.trusted_proxies
    )


def _proxies(bridge: Bridge) -> tuple[proxies.Network, ...]:
    return proxies.networks(bridge.settings.trusted_proxies)


def client_address(bridge: Bridge) -> str:
    """The client's address (behind trusted proxies: from X-Forwarded-For)."""
    return proxies.client_address(
        request.remote_addr, request.headers.get("X-Forwarded-For"), _proxies(bridge)
    )


def _own_tls() -> bool:
    """True when this server itself terminated TLS. Under gunicorn the socket tells (its
    ``wsgi.url_scheme`` also turns "https" on an X-Forwarded-Proto from its own
    ``forwarded_allow_ips``, loopback by default: not our trust list)."""
    sock = request.environ.get("gunicorn.socket")
    if sock is not None:
        return isinstance(sock, ssl.SSLSocket)
    return request.scheme == "https"


def over_https(bridge: Bridge) -> bool:
    """True when the client came over HTTPS (decides the cookie's Secure flag): our own
    TLS, or X-Forwarded-Proto from a trusted proxy."""
    return proxies.is_https(
        "https" if _own_tls() else "http",
        request.remote_addr,
        request.headers.get("X-Forwarded-Proto"),
        _proxies(bridge),
    )


def cookie_key(bridge: Bridge) -> str:
    """The key signing cookies and CSRF tokens (configured, or kept in the database)."""
    configured_key = bridge.settings.admin_session_key.get_secret_value()
    return sessions.session_key(get_db(), configured_key, now=bridge.clock.now())


def _csrf_for(key: str, subject: str) -> str:
    return hmac.new(key.encode(), f"csrf|{subject}".encode(), hashlib.sha256).hexdigest()


def _fingerprint(bridge: Bridge) -> str:
    return passwords.fingerprint(bridge.settings.admin_password_hash.get_secret_value())


def identify(bridge: Bridge) -> Admin:
    """The admin of this request; raises :class:`NotConfigured`, :class:`NotSignedIn` or
    a 403 (proxy-only set-up, request not from the proxy)."""
    if not configured(bridge):
        raise NotConfigured(SETUP)
    s = bridge.settings
    key = cookie_key(bridge)
    header = s.admin_proxy_user_header
    if header and proxies.trusted(request.remote_addr, _proxies(bridge)):
        user = request.headers.get(header, "").strip()
        if user and len(user) <= USER_MAX and user.isprintable():
            return Admin(user=user, via="proxy", csrf_token=_csrf_for(key, "proxy|" + user))
    if not s.admin_password_hash.get_secret_value():
        raise BridgeError(
            "The admin console is served through the authenticating proxy only.",
            code="forbidden",
            status=403,
        )
    token = sessions.token_of(key, request.cookies.get(COOKIE))
    found = None
    if token is not None:
        found = sessions.find(
            get_db(),
            token,
            fingerprint=_fingerprint(bridge),
            now=bridge.clock.now(),
            idle=s.admin_session_idle_seconds,
            absolute=s.admin_session_max_seconds,
        )
    if found is None:
        raise NotSignedIn("Sign in at /admin/login (or send the session cookie).")
    return Admin(
        user=found.user,
        via="password",
        csrf_token=_csrf_for(key, "session|" + found.token),
        session_token=found.token,
    )


def require_admin() -> Admin:
    """The request's admin (kept on ``g``); checks the CSRF token of every POST."""
    admin: Admin | None = g.get("admin")
    if admin is None:
        admin = identify(current_bridge())
        g.admin = admin
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        offered = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
        if not hmac.compare_digest(offered.encode(), admin.csrf_token.encode()):
            raise BridgeError(
                "The form's CSRF token is missing or stale: reload the page and submit again "
                "(API clients: send X-CSRF-Token from GET /admin/api/session).",
                code="csrf_failed",
                status=403,
            )
    return admin


def set_cookie(response: BaseResponse, name: str, value: str, *, max_age: int | None) -> None:
    """An admin cookie: HttpOnly, SameSite=Strict, Path=/admin, Secure over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=over_https(current_bridge()),
    )


def clear_cookie(response: BaseResponse, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="Strict")


# -- the login form ------------------------------------------------------------------------


def login_form_token() -> tuple[str, str]:
    """A fresh login-form CSRF pair: (nonce for the ``LOGIN_COOKIE``, token for the form,
    an HMAC of the nonce): a double submit the form's origin alone can make."""
    nonce = secrets.token_urlsafe(16)
    return nonce, _csrf_for(cookie_key(current_bridge()), "login|" + nonce)


def check_login_form() -> None:
    """The login POST carries the token of the form it came from (double submit)."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    expected = _csrf_for(cookie_key(current_bridge()), "login|" + nonce)
    offered = request.form.get("csrf_token", "")
    if not nonce or not hmac.compare_digest(offered.encode(), expected.encode()):
        raise BridgeError(
            "The login form expired or came from elsewhere: reload /admin/login and sign in again.",
            code="csrf_failed",
            status=403,
        )


class Throttled(BridgeError):
    """429: too many failed logins; ``retry_after`` seconds."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Too many failed sign-ins; try again in {int(retry_after) + 1} seconds.")
        self.retry_after = int(retry_after) + 1


def log_in(password: str) -> str:
    """Check ``password`` (throttled per address and in total); the new session token.
    Raises :class:`Throttled` or a 401 that never says more than "wrong password"."""
    from bridge.access import throttle

    bridge = current_bridge()
    s = bridge.settings
    db = get_db()
    now = bridge.clock.now()
    address = client_address(bridge)
    wait = throttle.retry_after(
        db,
        address,
        now=now,
        window=s.admin_login_window_seconds,
        per_address=s.admin_login_max_per_address,
        total=s.admin_login_max_global,
    )
    if wait > 0:
        raise Throttled(wait)
    hashed = s.admin_password_hash.get_secret_value()
    if not hashed or not passwords.verify(hashed, password[:1024]):
        throttle.failed(db, address, now=now, window=s.admin_login_window_seconds)
        raise BridgeError("Wrong password.", code="wrong_password", status=401)
    throttle.succeeded(db, address)
    token = sessions.start(db, "admin", fingerprint=_fingerprint(bridge), now=now)
    register_secret(token, transient=True)
    return token


def log_out(admin: Admin) -> None:
    if admin.session_token:
        sessions.end(get_db(), admin.session_token)
