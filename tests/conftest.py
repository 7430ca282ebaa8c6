"""Shared fixtures: a real sandbox process per test session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import Sandbox


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
