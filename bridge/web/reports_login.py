"""A stand-in admin login for ``/admin/reports/*`` until the admin console lands.

The console (``bridge.web.admin``, its own branch) owns the real login: server-side
sessions, CSRF tokens, throttling, an authenticating proxy. Until it is merged the margin
report must not be open, so this module keeps the same contract with the least code:
``BRIDGE_ADMIN_PASSWORD_HASH`` holds an Argon2id PHC string (``argon2-cffi``; the console's
``otwa-bridge admin hash-password`` makes one), ``POST /admin/reports/login`` checks the
password and sets a signed, expiring cookie (HttpOnly, SameSite=Strict, Path=/admin), and
every report request needs that cookie. The cookie's key is derived from the hash, so
changing the password ends every session. No hash configured: the report answers 503
saying how to set one; it is never open. When the console lands, ``require()`` becomes its
``guard.require_admin()`` and this module goes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlencode

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Response, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bridge.errors import BridgeError
from bridge.runtime import Bridge
from bridge.web import current_bridge

COOKIE = "otwa_admin_reports"
PATH = "/admin"
MAX_AGE = 12 * 3600
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("otwa-bridge: no admin password is configured")
SETUP = (
    "The admin pages are not set up: set BRIDGE_ADMIN_PASSWORD_HASH to an Argon2id hash of "
    'the admin password (python -c "from argon2 import PasswordHasher; '
    'print(PasswordHasher().hash(input()))").'
)


class NotSignedIn(BridgeError):
    """401: no live session cookie; pages redirect to the login form."""

    status = 401
    code = "unauthorized"


def _hash(bridge: Bridge) -> str:
    return bridge.settings.admin_password_hash.get_secret_value()


def _serializer(bridge: Bridge) -> URLSafeTimedSerializer:
    # Keyed by the hash itself: a new password ends every session, no extra secret to set.
    key = hashlib.sha256(b"otwa-bridge admin reports|" + _hash(bridge).encode()).hexdigest()
    return URLSafeTimedSerializer(key, salt="admin-reports")


def require() -> None:
    """Let the request in, or raise 503 (not set up) / :class:`NotSignedIn`."""
    bridge = current_bridge()
    if not _hash(bridge):
        raise BridgeError(SETUP, code="admin_not_configured", status=503)
    raw = request.cookies.get(COOKIE)
    if raw is None:
        raise NotSignedIn("Sign in at /admin/reports/login.")
    try:
        _serializer(bridge).loads(raw, max_age=MAX_AGE)
    except BadSignature:
        raise NotSignedIn("The session expired; sign in again.") from None


def verify(password: str) -> bool:
    """True when ``password`` matches the configured hash (constant time; a dummy hash is
    checked when none is set, so a wrong guess costs the same either way)."""
    hashed = _hash(current_bridge())
    try:
        return _hasher.verify(hashed or _DUMMY, password[:1024]) and bool(hashed)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def signed_in(response: Response) -> Response:
    """``response`` carrying a fresh session cookie."""
    token = _serializer(current_bridge()).dumps(secrets.token_urlsafe(16))
    response.set_cookie(
        COOKIE,
        token,
        max_age=MAX_AGE,
        path=PATH,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )
    return response


def to_login(next_path: str) -> Response:
    """303 to the login form, coming back to ``next_path`` afterwards."""
    response = Response(status=303)
    response.headers["Location"] = "/admin/reports/login?" + urlencode(
        {"next": safe_next(next_path)}
    )
    return response


def safe_next(value: str | None) -> str:
    """Only a path under /admin/reports (never another host: no open redirect)."""
    if value and value.startswith("/admin/reports") and "//" not in value and "\\" not in value:
        if value.isprintable():
            return value
    return "/admin/reports/margins"


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(a.encode(), b.encode())
