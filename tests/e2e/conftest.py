"""Fixtures for the whole-stack proofs: the session's sandbox and fake WHMCS (shared with
tests/provisioning), and a factory of E2EStacks that are always stopped after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.provisioning.conftest import whmcs, whmcs_process  # noqa: F401 - fixtures, reused
from tests.support.e2e import E2EStack
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import Sandbox

StackFactory = Callable[..., E2EStack]


@pytest.fixture
def make_stack(
    tmp_path: Path,
    sandbox: Sandbox,
    whmcs: FakeWhmcs,  # noqa: F811
) -> Iterator[StackFactory]:
    """``make_stack(overrides, whmcs=..., gunicorn_workers=1, **BridgeEnv keywords)``: an
    unstarted E2EStack on the session sandbox (reset) and fake WHMCS (reset); every one made
    is stopped at the end."""
    made: list[E2EStack] = []

    def factory(
        overrides: dict[str, Any] | None = None,
        *,
        panel: FakeWhmcs | None = None,
        gunicorn_workers: int = 1,
        **kwargs: Any,
    ) -> E2EStack:
        stack = E2EStack(
            tmp_path,
            sandbox,
            panel or whmcs,
            overrides,
            gunicorn_workers=gunicorn_workers,
            **kwargs,
        )
        made.append(stack)
        return stack

    yield factory
    for stack in made:
        stack.stop()
