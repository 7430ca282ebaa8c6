"""Fixtures for the Otwa client tests: clients on the session sandbox, captured log output."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bridge.logs import JsonFormatter, RedactingFilter
from bridge.otwa import OtwaClient
from bridge.otwa.retry import no_backoff
from tests.support.processes import Sandbox

DEFAULT_KEY = "otwa_sandbox_default"
DESTROY_KEY = "otwa_sandbox_destroy"


@pytest.fixture
def make_client(sandbox: Sandbox) -> Callable[..., OtwaClient]:
    """``make_client(key=..., **options)``: a real client on the sandbox; retries don't sleep."""

    def make(key: str = DEFAULT_KEY, **options: Any) -> OtwaClient:
        options.setdefault("backoff", no_backoff)
        options.setdefault("timeout", 5.0)
        return OtwaClient(key, base_url=sandbox.api, **options)

    return make


@pytest.fixture
def client(make_client: Callable[..., OtwaClient]) -> OtwaClient:
    return make_client()


@pytest.fixture
def destroyer(make_client: Callable[..., OtwaClient]) -> OtwaClient:
    return make_client(DESTROY_KEY)


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Everything logged (DEBUG and up, every logger) through the bridge's real redacting
    JSON handler, as the text a log file would hold."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
