"""Log redaction: registered secrets and secret-shaped values never reach a log line."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bridge import logs


@pytest.fixture
def captured() -> io.StringIO:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RedactingFilter())
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)


def test_registered_and_shaped_secrets_are_masked(captured: io.StringIO) -> None:
    logs.register_secret("canary-key-material-123")
    log = logging.getLogger("test.redaction")
    log.info("key %s sig whsec_QUJDREVGR0g= otwa_live_abcdefgh", "canary-key-material-123")
    log.info("login http://127.0.0.1:1/sso/tok3n-value?x=1 password=hunter22 Bearer abc.def")
    try:
        raise ValueError("failed with canary-key-material-123")
    except ValueError:
        log.exception("boom\r\nforged line")
    text = captured.getvalue()
    for leaked in (
        "canary-key-material-123",
        "QUJDREVGR0g",
        "abcdefgh",
        "tok3n-value",
        "hunter22",
        "abc.def",
    ):
        assert leaked not in text
    lines = text.splitlines()
    assert len(lines) == 3 and all(json.loads(line)["logger"] == "test.redaction" for line in lines)


def test_a_bare_bridge_sso_token_is_masked() -> None:
    assert (
        logs.redact("link bsso_.eJyrVkrOz0vNKcrPTVWyUkpOL0pMzi8pBVGGRobmuIFaVy01.x-9Z")
        == "link ***"
    )
    assert logs.redact("bsso_ alone") == "bsso_ alone"


def test_transient_secrets_are_bounded_and_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "TRANSIENT_MAX", 3)
    monkeypatch.setattr(logs, "_transient", type(logs._transient)())
    for n in range(5):
        logs.register_secret(f"server-password-{n}", transient=True)
    assert list(logs._transient) == [f"server-password-{n}" for n in (2, 3, 4)]
    assert logs.redact("server-password-4") == "***"
    assert logs.redact("server-password-0") == "server-password-0"  # forgotten (bounded)

    monkeypatch.setattr(logs, "_transient", type(logs._transient)())
    monkeypatch.setattr(logs, "TRANSIENT_TTL", -1.0)  # everything registered now is expired
    logs.register_secret("server-password-5", transient=True)
    logs.register_secret("server-password-6", transient=True)
    assert "server-password-5" not in logs._transient
    # Long-lived secrets are never dropped by the transient bound.
    logs.register_secret("api-key-long-lived")
    assert logs.redact("api-key-long-lived") == "***"


@pytest.mark.parametrize(
    "prose",
    [
        "Cannot reset the password: server is stopped",
        "The secret: keep it safe, rotate it yearly",
        "token: missing from the request",
    ],
)
def test_prose_about_passwords_is_not_masked(prose: str) -> None:
    assert logs.redact(prose) == prose


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("password=hunter22", "hunter22"),
        ('"password": "two words"', "two words"),
        ("{'token': 'tok-123'}", "tok-123"),
        ('"api_key": 1234567', "1234567"),
        ("password:hunter22", "hunter22"),
        ("secret = s3cr3t-value", "s3cr3t-value"),
    ],
)
def test_key_value_shapes_are_still_masked(text: str, hidden: str) -> None:
    assert hidden not in logs.redact(text)


@pytest.mark.parametrize("name", ["otwa_admin", "otwa_admin_login"])
def test_admin_cookies_are_masked(name: str) -> None:
    masked = logs.redact(f"Cookie: {name}=ImFiYyI.sig-value; theme=dark")
    assert "ImFiYyI" not in masked and "sig-value" not in masked and "theme=dark" in masked
