"""Admin password hashes: Argon2id through argon2-cffi.

Argon2id is OWASP's first choice for password storage; argon2-cffi is the reference
binding, keeps its parameters in the PHC string (``$argon2id$v=19$m=...,t=...,p=...$``)
and compares in constant time. Its defaults (RFC 9106's second recommendation: 64 MiB,
3 passes, 4 lanes) cost ~50-100 ms per check here, which the login throttle caps.
"""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
MIN_LENGTH = 12
# Checked when no admin password is set, so a login costs the same either way.
_DUMMY = _hasher.hash("otwa-bridge: no admin password is configured")


class WeakPassword(ValueError):
    """The password is too short (the message says how long it must be)."""


def hash_password(password: str) -> str:
    """The Argon2id PHC string of ``password``; :class:`WeakPassword` below ``MIN_LENGTH``."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"use at least {MIN_LENGTH} characters (a passphrase is best)")
    return _hasher.hash(password)


def verify(hashed: str, password: str) -> bool:
    """True when ``password`` matches ``hashed`` (constant time); False for any mismatch,
    including an empty or malformed hash (then a dummy hash is checked, same cost)."""
    try:
        return _hasher.verify(hashed or _DUMMY, password) and bool(hashed)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def fingerprint(hashed: str) -> str:
    """A short digest of the configured hash: sessions made under another password end."""
    return hashlib.sha256(hashed.encode()).hexdigest()[:16]
