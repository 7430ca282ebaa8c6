"""Every refusal of POST /v1/hooks/<panel>: exact status and code, and nothing changed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bridge import create_app
from tests.web import hookkit as k


@pytest.fixture
def app(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name, value in k.ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TEST_UNSET_SECRETS", raising=False)
    return create_app(
        {"DATABASE": str(db_path), "CONFIG": str(k.write_config(tmp_path)), "TESTING": True}
    )


@pytest.fixture
def client(app):
    return app.test_client()


def refused(client, db_path: Path, status: int, code: str, send) -> dict:
    before = k.snapshot(db_path)
    r = send()
    assert (r.status_code, r.json["error"]["code"]) == (status, code), r.json
    assert r.json["ok"] is False and r.json["error"]["message"]
    assert r.headers["X-Request-Id"]
    assert k.snapshot(db_path) == before
    assert before.get("webhook_events") == 0
    return r.json


def test_unknown_panel_is_404(client, db_path) -> None:
    refused(client, db_path, 404, "unknown_panel", lambda: k.post(client, k.envelope(), "nope"))


def test_panel_without_secret_is_503_naming_the_variable(client, db_path) -> None:
    body = refused(
        client,
        db_path,
        503,
        "panel_not_configured",
        lambda: k.post(client, k.envelope(), "nosecret"),
    )
    assert "TEST_UNSET_SECRETS" in body["error"]["message"]


def test_body_over_64_kib_is_413_before_signature(client, db_path) -> None:
    body = k.envelope()
    body["pad"] = "x" * 65536
    refused(client, db_path, 413, "payload_too_large", lambda: k.post(client, body))


def test_body_over_limit_without_content_length_is_413(client, db_path) -> None:
    raw, headers = k.signed(b"x" * 70000)

    def send():
        # As a chunked upload arrives: no Content-Length, input terminated by the server.
        return client.post(
            "/v1/hooks/whmcs",
            input_stream=io.BytesIO(raw),
            headers=headers,
            environ_overrides={"wsgi.input_terminated": True},
        )

    refused(client, db_path, 413, "payload_too_large", send)


def test_missing_signature_headers_is_401(client, db_path) -> None:
    refused(
        client,
        db_path,
        401,
        "missing_signature_headers",
        lambda: client.post("/v1/hooks/whmcs", json=k.envelope()),
    )


def test_wrong_secret_is_401_invalid_signature(client, db_path) -> None:
    refused(
        client,
        db_path,
        401,
        "invalid_signature",
        lambda: k.post(client, k.envelope(), secret=k.GENERIC_SECRET),
    )


def test_tampered_body_is_401(client, db_path) -> None:
    raw, headers = k.signed(k.envelope())
    tampered = raw.replace(b'"1042"', b'"1043"')
    refused(
        client,
        db_path,
        401,
        "invalid_signature",
        lambda: client.post("/v1/hooks/whmcs", data=tampered, headers=headers),
    )


@pytest.mark.parametrize("skew", [-301, 301])
def test_stale_or_future_timestamp_is_401(client, db_path, skew: int) -> None:
    refused(
        client,
        db_path,
        401,
        "stale_timestamp",
        lambda: k.post(client, k.envelope(), timestamp=k.now() + skew),
    )


def test_malformed_json_is_400(client, db_path) -> None:
    refused(client, db_path, 400, "malformed_json", lambda: k.post(client, b'{"action": '))


def test_non_utf8_body_is_400_malformed_json(client, db_path) -> None:
    refused(client, db_path, 400, "malformed_json", lambda: k.post(client, b"\xff\xfe{}"))


@pytest.mark.parametrize("action", ["explode", 42, "CreateAcount"])
def test_unknown_action_is_400(client, db_path, action) -> None:
    body = refused(
        client, db_path, 400, "unknown_action", lambda: k.post(client, k.envelope(action))
    )
    assert "create" in body["error"]["message"]


def test_schema_errors_are_listed_with_paths(client, db_path) -> None:
    bad = {"action": "power", "service": {"id": "bad id!"}, "client": {}, "params": {}}
    body = refused(
        client,
        db_path,
        400,
        "invalid_body",
        lambda: k.post(client, bad, panel="generic", secret=k.GENERIC_SECRET),
    )
    paths = {d["path"] for d in body["error"]["details"]}
    assert {"/service/id", "/client", "/params"} <= paths
    assert all(d["message"] for d in body["error"]["details"])


def test_whmcs_vocabulary_errors_point_at_whmcs_fields(client, db_path) -> None:
    bad = {"action": "CreateAccount", "serviceid": "12 34", "userid": 5, "configoptions": "x"}
    body = refused(client, db_path, 400, "invalid_body", lambda: k.post(client, bad))
    paths = {d["path"] for d in body["error"]["details"]}
    assert {"/serviceid", "/configoptions"} <= paths


def test_body_that_is_not_an_object_is_invalid_body(client, db_path) -> None:
    refused(client, db_path, 400, "invalid_body", lambda: k.post(client, [1, 2]))


def test_bad_params_for_the_action_are_invalid_body(client, db_path) -> None:
    body = k.envelope("power")
    body["params"] = {"action": "explode"}
    out = refused(client, db_path, 400, "invalid_body", lambda: k.post(client, body))
    assert out["error"]["details"][0]["path"] == "/params/action"


def test_invoice_amount_must_be_a_decimal_string(client, db_path) -> None:
    body = k.envelope("invoice_paid")
    body["params"] = {"invoice": {"id": "5", "amount": 12.0, "currency": "USD"}}
    out = refused(client, db_path, 400, "invalid_body", lambda: k.post(client, body))
    assert out["error"]["details"][0]["path"] == "/params/invoice/amount"


def test_unknown_product_is_422(client, db_path) -> None:
    refused(
        client,
        db_path,
        422,
        "unknown_product",
        lambda: k.post(client, k.envelope(product_id="999")),
    )


def test_create_without_product_is_422_unknown_product(client, db_path) -> None:
    body = k.envelope()
    del body["service"]["product_id"]
    refused(client, db_path, 422, "unknown_product", lambda: k.post(client, body))


def test_unmapped_os_option_is_422(client, db_path) -> None:
    body = refused(
        client,
        db_path,
        422,
        "unmapped_option",
        lambda: k.post(client, k.envelope(options={"Operating System": "3|TempleOS"})),
    )
    assert body["error"]["details"] == {"option": "Operating System", "value": "TempleOS"}


def test_unmapped_addon_value_is_422(client, db_path) -> None:
    refused(
        client,
        db_path,
        422,
        "unmapped_option",
        lambda: k.post(client, k.envelope(options={"Extra IPv4": "Maybe"})),
    )


def test_region_outside_the_products_allowed_list_is_422(client, db_path) -> None:
    body = refused(
        client,
        db_path,
        422,
        "region_not_allowed",
        lambda: k.post(client, k.envelope(options={"Location": "Frankfurt"})),
    )
    assert body["error"]["details"]["allowed"] == ["tr-ist-01"]


def test_change_package_to_unmapped_product_is_422(client, db_path) -> None:
    body = k.envelope("change_package")
    body["params"] = {"product_id": "77"}
    refused(client, db_path, 422, "unknown_product", lambda: k.post(client, body))


def test_reinstall_to_unmapped_os_is_422(client, db_path) -> None:
    body = k.envelope("reinstall")
    body["params"] = {"os": "Plan 9"}
    refused(client, db_path, 422, "unmapped_option", lambda: k.post(client, body))


def test_whmcs_vocabulary_unknown_pid_is_422(client, db_path) -> None:
    body = json.loads(Path("webhooks/samples/whmcs/create.json").read_text())
    body["pid"] = 404
    refused(client, db_path, 422, "unknown_product", lambda: k.post(client, body))


def test_request_id_is_echoed_or_generated(client) -> None:
    r = k.post(client, k.envelope(), "nope", headers={"X-Request-Id": "req-abc.1"})
    assert r.headers["X-Request-Id"] == "req-abc.1"
    r = k.post(client, k.envelope(), "nope", headers={"X-Request-Id": "bad id <x>"})
    assert r.headers["X-Request-Id"] != "bad id <x>" and len(r.headers["X-Request-Id"]) == 32
