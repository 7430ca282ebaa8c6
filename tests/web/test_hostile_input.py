"""Issue 10's hostile inputs, each a clean refusal in the JSON shape that changes nothing
and logs no traceback: odd webhook-timestamps (2), bodies that crash a naive JSON parser
(5), trailing newlines that ``$`` lets through (6), and schema errors that say what to
send (11)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bridge import catalog, create_app, signing
from tests.web import hookkit as k


@pytest.fixture
def client(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name, value in k.ENV.items():
        monkeypatch.setenv(name, value)
    app = create_app(
        {"DATABASE": str(db_path), "CONFIG": str(k.write_config(tmp_path)), "TESTING": True}
    )
    return app.test_client()


def _refused(client, db_path: Path, caplog, status: int, code: str, send) -> dict:
    before = k.snapshot(db_path)
    with caplog.at_level(logging.INFO):
        r = send()
    assert (r.status_code, r.json["error"]["code"]) == (status, code), r.json
    assert r.json["ok"] is False and r.json["error"]["message"]
    assert k.snapshot(db_path) == before
    assert not [rec for rec in caplog.records if rec.exc_info or rec.levelno >= logging.ERROR]
    return r.json


@pytest.mark.parametrize("stamp", ["²", "¹²³", "٣٤٥", "1" * 5000, "-5", "+1700000000", " 17"])
def test_odd_webhook_timestamps_are_a_clean_401(client, db_path, caplog, stamp: str) -> None:
    raw = json.dumps(k.envelope()).encode()
    headers = signing.sign_headers([k.SECRET], raw)
    headers["webhook-timestamp"] = stamp
    body = _refused(
        client,
        db_path,
        caplog,
        401,
        "invalid_signature",
        lambda: client.post("/v1/hooks/whmcs", data=raw, headers=headers),
    )
    assert "integer Unix seconds" in body["error"]["message"]


def test_verify_refuses_non_ascii_digits_without_calling_int() -> None:
    raw = b"{}"
    for stamp in ("²", "1" * 5000):
        headers = {**signing.sign_headers([k.SECRET], raw), "webhook-timestamp": stamp}
        with pytest.raises(signing.SignatureError):
            signing.verify(headers, raw, [k.SECRET])


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"[" * 50_000, "nests deeper"),
        (b'{"action": "create", "n": ' + b"9" * 4301 + b"}", "digits"),
        (b'{"action": "create", "n": ' + b"9" * 100 + b"}", "digits"),
        (b'{"action": "create", "n": NaN}', "NaN"),
        (b"\xff\xfe{}", "UTF-8"),
    ],
    ids=["deep", "huge-int", "long-int", "nan", "not-utf8"],
)
def test_signed_bodies_that_break_naive_parsers_are_400(
    client, db_path, caplog, raw: bytes, says: str
) -> None:
    body = _refused(client, db_path, caplog, 400, "malformed_json", lambda: k.post(client, raw))
    assert says in body["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        (k.envelope(id="nl-1\n"), "service.id", "a panel identifier"),
        (k.envelope(id="demo 9"), "service.id", "a panel identifier"),
        (
            {**k.envelope("rename"), "params": {"label": "web1\n"}},
            "params.label",
            "a label of 1 to 64",
        ),
        (
            {**k.envelope("sso"), "params": {"next": "/billing\r\nSet-Cookie: x=1"}},
            "params.next",
            "a dashboard path",
        ),
        ({**k.envelope("power"), "params": {"action": "explode"}}, "params.action", "'reboot'"),
        (k.envelope("power"), "the body", "add the required field 'params'"),
        ({**k.envelope(), "client": "77"}, "client", "send an object"),
    ],
    ids=["id-newline", "id-space", "label-newline", "next-crlf", "enum", "required", "type"],
)
def test_schema_errors_say_what_to_send(
    client, db_path, caplog, body: dict, field: str, says: str
) -> None:
    reply = _refused(client, db_path, caplog, 400, "invalid_body", lambda: k.post(client, body))
    message = reply["error"]["message"]
    assert field in message and says in message, message
    for jargon in ("is not valid under", "does not match", "is a required property", "^"):
        assert jargon not in message


def test_whmcs_vocabulary_errors_name_the_whmcs_field(client, db_path, caplog) -> None:
    body = {"action": "create", "serviceid": "demo 9", "userid": 1}
    reply = _refused(client, db_path, caplog, 400, "invalid_body", lambda: k.post(client, body))
    assert reply["error"]["message"].startswith("The hook body is not accepted: serviceid:")


@pytest.mark.parametrize("name", ["web1.example.com\n", "web1.example.com\r", "web1\n.example"])
def test_hostnames_with_a_trailing_newline_are_not_hostnames(name: str) -> None:
    assert not catalog.valid_hostname(name)
    assert catalog.valid_hostname("web1.example.com")
