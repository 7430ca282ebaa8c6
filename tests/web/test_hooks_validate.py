"""validate: the products map answers at checkout; no Otwa call, nothing recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge import create_app
from tests.web import hookkit as k


@pytest.fixture
def app(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name, value in k.ENV.items():
        monkeypatch.setenv(name, value)
    # Otwa is unreachable on purpose: validate must never call it.
    return create_app(
        {
            "DATABASE": str(db_path),
            "CONFIG": str(k.write_config(tmp_path)),
            "OTWA_BASE_URL": "http://127.0.0.1:9/api/v1",
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
        }
    )


def _validate(app, db_path: Path, options: dict, *, purpose: str = "create", **kw):
    body = k.envelope("validate", options=options)
    body["params"] = {"for": purpose}
    before = k.snapshot(db_path)
    r = k.post(app.test_client(), body, **kw)
    after = k.snapshot(db_path)
    recorded = {t: after[t] - before[t] for t in after if after[t] != before[t]}
    return r, recorded


def test_a_mapped_choice_is_valid_and_records_only_the_hook(app, db_path: Path) -> None:
    r, recorded = _validate(
        app, db_path, {"Operating System": "Debian 12", "Location": "Istanbul", "Backups": "Daily"}
    )
    assert r.status_code == 200, r.json
    assert r.json == {
        "ok": True,
        "operation": None,
        "result": {
            "valid": True,
            "for": "create",
            "placement": {
                "plan": "Starter",
                "region": "tr-ist-01",
                "os": "debian-12",
                "addon_types": ["backup"],
            },
        },
    }
    assert recorded == {"webhook_events": 1}  # remembered for replays; no operation, no job


def test_an_unmapped_choice_is_refused_before_payment(app, db_path: Path) -> None:
    r, recorded = _validate(app, db_path, {"Operating System": "Windows 95"})
    assert r.status_code == 422
    assert r.json["error"]["code"] == "unmapped_option"
    assert "Windows 95" in r.json["error"]["message"]
    assert recorded == {}


def test_an_upgrade_to_another_plan_is_refused_for_an_existing_service(app, db_path: Path) -> None:
    from bridge import store

    db = store.connect(db_path)
    with store.write(db):
        db.execute(
            "INSERT INTO services (panel, service_id, generation, state, suspended, plan,"
            " created_at, updated_at) VALUES ('whmcs', '1042', 1, 'active', 0, 'Starter', 0, 0)"
        )
    db.close()
    body = k.envelope("validate", product_id="2", options={"Operating System": "Ubuntu 24.04"})
    body["params"] = {"for": "change_package"}
    r = k.post(app.test_client(), body)
    assert (r.status_code, r.json["error"]["code"]) == (422, "plan_change_unsupported")
    same = k.envelope("validate", product_id="1", options={"Backups": "Daily"})
    same["params"] = {"for": "change_package"}
    assert k.post(app.test_client(), same).json["result"]["placement"]["addon_types"] == ["backup"]


def test_a_replay_gets_the_first_answer(app, db_path: Path) -> None:
    body = k.envelope("validate", options={"Operating System": "Ubuntu 24.04"})
    first = k.post(app.test_client(), body, msg_id="msg_validate_1")
    again = k.post(app.test_client(), body, msg_id="msg_validate_1")
    assert again.status_code == 200 and again.headers["Webhook-Replayed"] == "true"
    assert again.data == first.data


def test_an_unknown_purpose_is_a_clear_refusal(app, db_path: Path) -> None:
    r, recorded = _validate(app, db_path, {}, purpose="terminate")
    assert r.status_code == 400 and recorded == {}
    assert "create" in r.json["error"]["message"]
