"""Fixtures for the SSO tests: a real SQLite file with the sso migrations, a movable clock,
a signer and a brand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from bridge import store
from bridge.sso import migrations
from bridge.sso.branding import Branding
from bridge.sso.tokens import PREFIX, SALT, LinkSigner

SECRET_NEW = "new-secret-0123456789abcdefghijklmnopqrstuv"
SECRET_OLD = "old-secret-0123456789abcdefghijklmnopqrstuv"
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class _SignedAtT0(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(T0)


def sign_raw(payload: object, secret: str = SECRET_NEW, salt: str = SALT) -> str:
    """A token carrying any payload, signed at T0: what only a holder of the secret (or a
    bug in the issuer) could make."""
    serializer = URLSafeTimedSerializer(secret, salt=salt, signer=_SignedAtT0)
    return PREFIX + serializer.dumps(payload)


class Clock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sso_db_path(tmp_path: Path) -> Path:
    path = tmp_path / "bridge.sqlite"
    db = store.connect(path)
    migrations.apply(db)
    db.close()
    return path


@pytest.fixture
def db(sso_db_path: Path) -> Iterator[sqlite_utils.Database]:
    conn = store.connect(sso_db_path)
    yield conn
    conn.close()


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner([SECRET_NEW, SECRET_OLD])


@pytest.fixture
def branding() -> Branding:
    return Branding(name="Acme Hosting", logo_url="https://cdn.acme.test/logo.png", color="#c0ffee")
