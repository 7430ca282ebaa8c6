"""Admin sessions, server side: a random token in a signed cookie, its hash in SQLite.

A session ends when unused for ``idle`` seconds, ``absolute`` seconds after login, on
logout (its row is deleted: a copied cookie dies with it), or when the admin password
changes (the row remembers a fingerprint of the hash it was made under). Only a SHA-256
of the token is stored, so a copy of the database opens no session. The cookie value is
the token signed with itsdangerous (salt ``admin-session``): a forged or truncated cookie
is refused before any lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlite_utils
from itsdangerous import BadSignature, URLSafeSerializer

from bridge import store

TOUCH_EVERY = 30.0  # seconds between seen_at writes of one session (not one per request)


@dataclass(frozen=True)
class Session:
    """A live session: who, since when, and the token (for its CSRF token)."""

    token: str
    user: str
    created_at: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signer(key: str) -> URLSafeSerializer:
    """The cookie signer for ``key``."""
    return URLSafeSerializer(key, salt="admin-session")


def session_key(db: sqlite_utils.Database, configured: str, *, now: float) -> str:
    """``configured`` when set; else the key generated once and kept in the database (every
    worker and restart shares it)."""
    if configured:
        return configured
    row = db.execute("SELECT value FROM admin_keys WHERE name = 'session'").fetchone()
    if row is not None:
        return str(row[0])
    with store.write(db):
        db.execute(
            "INSERT OR IGNORE INTO admin_keys (name, value, created_at) VALUES ('session', ?, ?)",
            [secrets.token_urlsafe(32), now],
        )
    return str(db.execute("SELECT value FROM admin_keys WHERE name = 'session'").fetchone()[0])


def start(db: sqlite_utils.Database, user: str, *, fingerprint: str, now: float) -> str:
    """A new session for ``user``; returns its token (put it in the cookie, signed)."""
    token = secrets.token_urlsafe(32)
    with store.write(db):
        db.execute(
            "INSERT INTO admin_sessions (token_sha256, user, fingerprint, created_at, seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [_digest(token), user, fingerprint, now, now],
        )
        # Sessions that ended long ago: a table that only grows would be a slow leak.
        db.execute("DELETE FROM admin_sessions WHERE seen_at < ?", [now - 7 * 86400])
    return token


def find(
    db: sqlite_utils.Database,
    token: str,
    *,
    fingerprint: str,
    now: float,
    idle: float,
    absolute: float,
) -> Session | None:
    """The live session of ``token``, or None (expired, logged out, other password)."""
    row = db.execute(
        "SELECT user, fingerprint, created_at, seen_at FROM admin_sessions WHERE token_sha256 = ?",
        [_digest(token)],
    ).fetchone()
    if row is None:
        return None
    user, made_under, created_at, seen_at = row
    if made_under != fingerprint or now - seen_at > idle or now - created_at > absolute:
        end(db, token)
        return None
    if now - seen_at > TOUCH_EVERY:
        # No fsync: a lost touch only makes the session look idle a little early.
        with store.write(db, durable=False):
            db.execute(
                "UPDATE admin_sessions SET seen_at = ? WHERE token_sha256 = ?",
                [now, _digest(token)],
            )
    return Session(token=token, user=str(user), created_at=float(created_at))


def end(db: sqlite_utils.Database, token: str) -> None:
    """Forget the session (logout, expiry)."""
    with store.write(db):
        db.execute("DELETE FROM admin_sessions WHERE token_sha256 = ?", [_digest(token)])


def cookie_value(key: str, token: str) -> str:
    """The signed cookie value for ``token``."""
    return str(signer(key).dumps(token))


def token_of(key: str, cookie: str | None) -> str | None:
    """The token a cookie carries when its signature is good; None otherwise."""
    if not cookie or len(cookie) > 512:
        return None
    try:
        token = signer(key).loads(cookie)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None
