"""One-time SSO login tokens and the dashboard sessions they open.

A token is valid for 300 s of sandbox time and works once. ``next`` must be a relative
path starting with "/" (not "//" nor containing a backslash), so a link can only ever
land on the sandbox's own pages.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

TTL = 300


def valid_next(value: object) -> bool:
    return (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and all(0x20 < ord(c) < 0x7F for c in value)
        and len(value) <= 2048
    )


@dataclass
class Token:
    account_id: str
    target: str
    expires_at: float
    used: bool = False


class SsoStore:
    """Tokens and sessions; callers hold the state lock."""

    def __init__(self) -> None:
        self.tokens: dict[str, Token] = {}
        self.sessions: dict[str, str] = {}  # session id -> account id

    def issue(self, account_id: str, target: str, now: float) -> str:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = Token(account_id, target, now + TTL)
        return token

    def redeem(self, token: str, now: float) -> tuple[str, Token | None]:
        """("ok", token) once; ("gone", token) when used or expired; ("unknown", None)."""
        t = self.tokens.get(token)
        if t is None:
            return "unknown", None
        if t.used or now >= t.expires_at:
            return "gone", t
        t.used = True
        return "ok", t

    def open_session(self, account_id: str) -> str:
        sid = secrets.token_urlsafe(24)
        self.sessions[sid] = account_id
        return sid
