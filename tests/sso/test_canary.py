"""Canary: links, minted Otwa URLs and cookies never reach a log record, at DEBUG, whatever
the click's outcome."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bridge.logs import JsonFormatter, RedactingFilter
from bridge.sandbox.views_dashboard import COOKIE
from tests.sso.conftest import Clock
from tests.sso.test_blueprint import build_stack
from tests.support.processes import Sandbox


class Records(logging.Handler):
    """Every record's full text as emitted, before any redaction. Added before the
    redacting handler, and copied at once: that handler's filter rewrites the record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[tuple[str, int, str]] = []  # (logger, level, everything in it)

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append((record.name, record.levelno, everything_in(record)))


@pytest.fixture
def captured() -> Iterator[tuple[Records, io.StringIO]]:
    raw = Records()
    text = io.StringIO()
    written = logging.StreamHandler(text)  # what a log file would hold: the real handler
    written.addFilter(RedactingFilter())
    written.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(raw)
    root.addHandler(written)
    root.setLevel(logging.DEBUG)
    try:
        yield raw, text
    finally:
        root.removeHandler(raw)
        root.removeHandler(written)
        root.setLevel(old_level)


def everything_in(record: logging.LogRecord) -> str:
    """The record's message, arguments, extra fields and traceback, as text."""
    parts = [record.getMessage(), repr(record.args), repr(vars(record))]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_no_token_url_or_cookie_in_any_log_record(
    sandbox: Sandbox, tmp_path: Path, captured: tuple[Records, io.StringIO]
) -> None:
    raw, text = captured
    clock = Clock()
    stack = build_stack(sandbox, tmp_path / "bridge.sqlite", clock)
    client_cookie = "client-area-session-canary-0123456789"
    canaries: list[str] = []

    def click(token: str) -> object:
        canaries.append(token)
        response = stack.client().get(f"/sso/{token}", headers={"Cookie": f"s={client_cookie}"})
        return response

    link = stack.link()
    r = click(link.token)
    assert r.status_code == 302  # type: ignore[attr-defined]
    minted = r.headers["Location"]  # type: ignore[attr-defined]
    with requests.Session() as browser:  # the customer's browser, in this process
        assert browser.get(minted, timeout=10).status_code == 200
        session_cookie = browser.cookies.get(COOKIE)
    assert session_cookie
    click(link.token)  # already used
    click(link.token[:-6] + "AAAAAA")  # tampered
    sandbox.faults(1.0, ["500"])
    click(stack.link().token)  # Otwa down, given back
    sandbox.clear_faults()
    stack.mint_override = lambda server_id, next_path: f"https://evil.test/sso/{link.claims.jti}"
    click(stack.link().token)  # forged answer
    stack.mint_override = None
    expiring = stack.link()
    clock.advance(601)
    click(expiring.token)  # expired

    secrets = [*canaries, minted, minted.rsplit("/", 1)[1], session_cookie, client_cookie]
    sso_records = [
        (level, body) for name, level, body in raw.texts if name.startswith("bridge.sso")
    ]
    bodies = " | ".join(body for _, body in sso_records)
    assert "sso link followed" in bodies and "sso link refused" in bodies  # the flow did log
    assert any(level == logging.ERROR for level, _ in sso_records)  # the forged answer
    # Our own records never even hold them (no reliance on redaction) ...
    for _, body in sso_records:
        for secret in secrets:
            assert secret not in body, body
    # ... and what any logger (urllib3, werkzeug, the Otwa client) writes is masked.
    written = text.getvalue()
    assert written  # DEBUG from every logger really was captured
    for secret in secrets:
        assert secret not in written
