"""Shared fixtures: a real sandbox process per test session, reset before each test; the
session-wide secret watch over every log file the bridge's processes wrote."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import canaries
from tests.support.processes import Sandbox


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_any_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """At the end of the session, no log line of any bridge process holds a secret
    (tests/support/canaries.py). Fails as an error in the session's last teardown."""
    yield
    found = canaries.leaks(canaries.bridge_logs([tmp_path_factory.getbasetemp()]))
    assert found == [], "secrets in the bridge's logs:\n" + "\n".join(found[:50])


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sb = Sandbox(tmp_path_factory.mktemp("sandbox")).start()
    yield sb
    sb.stop()


@pytest.fixture
def sandbox(sandbox_process: Sandbox) -> Sandbox:
    """The session's sandbox, reset to its boot state (accounts, keys, no servers, no faults)."""
    sandbox_process.reset()
    return sandbox_process


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bridge.sqlite"
