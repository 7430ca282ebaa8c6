"""Refusals known before recording are made before recording (issue 10, item 7): an
add-on the plan does not offer, an SSO deep link with CR/LF. Nothing is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge import create_app
from tests.web import hookkit as k

IP_CLASS = """
[panels.whmcs.addons."IP block"]
"Yes" = "ip-class"
"No" = ""
"""


@pytest.fixture
def client(sandbox, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name, value in k.ENV.items():
        monkeypatch.setenv(name, value)
    config = k.write_config(tmp_path)
    config.write_text(
        config.read_text().replace(
            "[panels.whmcs.products.1]", IP_CLASS + "\n[panels.whmcs.products.1]"
        )
    )
    app = create_app(
        {
            "DATABASE": str(db_path),
            "CONFIG": str(config),
            "OTWA_BASE_URL": sandbox.api,
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
            "TESTING": True,
        }
    )
    return app.test_client()


def _refused_unrecorded(client, db_path: Path, body: dict, status: int, code: str) -> str:
    before = k.snapshot(db_path)
    r = k.post(client, body)
    assert (r.status_code, r.json["error"]["code"]) == (status, code), r.json
    assert k.snapshot(db_path) == before
    return str(r.json["error"]["message"])


def test_an_add_on_the_plan_does_not_offer_is_refused_before_recording(client, db_path) -> None:
    r = k.post(client, k.envelope("create", id="70"))
    assert r.status_code in (200, 202), r.json
    message = _refused_unrecorded(
        client,
        db_path,
        {**k.envelope("add_addon", id="70"), "params": {"type": "ip-class"}},
        422,
        "addon_not_offered",
    )
    assert "offers no ip-class add-on" in message and "Nothing was recorded" in message


def test_a_create_asking_for_an_add_on_the_plan_lacks_is_refused_before_recording(
    client, db_path
) -> None:
    body = k.envelope("create", id="71")
    body["service"]["options"]["IP block"] = "Yes"
    message = _refused_unrecorded(client, db_path, body, 422, "addon_not_offered")
    assert "ip-class" in message


def test_an_sso_deep_link_with_crlf_is_refused_before_recording(client, db_path) -> None:
    assert k.post(client, k.envelope("create", id="72")).status_code in (200, 202)
    body = {**k.envelope("sso", id="72"), "params": {"next": "/billing\r\nX-Evil: 1"}}
    message = _refused_unrecorded(client, db_path, body, 400, "invalid_body")
    assert "params.next" in message
