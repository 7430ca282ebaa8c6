"""Fixtures for provisioning tests: the session's fake WHMCS and a per-test BridgeEnv."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import Sandbox
from tests.support.stack import BridgeEnv


@pytest.fixture(scope="session")
def whmcs_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWhmcs]:
    fake = FakeWhmcs(tmp_path_factory.mktemp("whmcs")).start()
    yield fake
    fake.stop()


@pytest.fixture
def whmcs(whmcs_process: FakeWhmcs) -> FakeWhmcs:
    """The session's fake WHMCS with no recorded calls and no pending failures."""
    whmcs_process.reset()
    return whmcs_process


@pytest.fixture
def env(tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs) -> BridgeEnv:
    return BridgeEnv(tmp_path, sandbox, whmcs)
