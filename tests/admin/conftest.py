"""Admin console fixtures: a password, an app on a manual clock, a signed-in client."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bridge import create_app, runtime
from bridge.access import passwords
from bridge.clock import ManualClock

PASSWORD = "canary-admin-password-7731"
HASH = passwords.hash_password(PASSWORD)


def settings(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "DATABASE": str(tmp_path / "bridge.sqlite"),
        "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
        "OTWA_BASE_URL": "http://127.0.0.1:9/api/v1",  # nothing listens: Otwa unreachable
        "ADMIN_PASSWORD_HASH": HASH,
        **extra,
    }


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def log_in(
    client: Any, password: str = PASSWORD, *, next_path: str = "/admin", address: str = "127.0.0.1"
) -> Any:
    """The login form, filled in and posted from ``address``."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/admin/login", environ_base=environ)
    return client.post(
        "/admin/login",
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "password": password,
            "next": next_path,
        },
        environ_base=environ,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock.following_system()


@pytest.fixture
def app(tmp_path: Path, clock: ManualClock):
    bridge = runtime.build(settings(tmp_path), env={}, clock=clock)
    return create_app(bridge=bridge)


@pytest.fixture
def client(app):
    c = app.test_client()
    assert log_in(c).status_code == 303
    return c


@pytest.fixture(scope="session")
def whmcs_process(tmp_path_factory: pytest.TempPathFactory):
    from tests.support.fake_whmcs import FakeWhmcs

    fake = FakeWhmcs(tmp_path_factory.mktemp("whmcs")).start()
    yield fake
    fake.stop()


@pytest.fixture
def whmcs(whmcs_process):
    whmcs_process.reset()
    return whmcs_process
