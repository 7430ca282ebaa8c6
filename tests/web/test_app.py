"""The app factory, the probes and the one error shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge import create_app


@pytest.fixture
def client(db_path: Path):
    return create_app({"DATABASE": str(db_path), "TESTING": True}).test_client()


def test_healthz_answers_without_touching_anything(db_path: Path) -> None:
    app = create_app({"DATABASE": str(db_path), "OTWA_BASE_URL": "http://127.0.0.1:9/api/v1"})
    db_path.unlink()
    db_path.mkdir()  # the database can no longer be opened; Otwa was never reachable
    client = app.test_client()
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json["ok"] is True
    broken = client.get("/readyz")  # the probe that does touch the database says so
    assert broken.status_code == 500 and broken.json["ok"] is False


def test_readyz_reports_migrated_database(client) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json == {"ok": True}


def test_readyz_is_503_in_the_error_shape_while_a_migration_is_pending(
    client, db_path: Path
) -> None:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm002_provisioning'")
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json["ok"] is False and r.json["error"]["code"] == "migrations_pending"
    assert "m002_provisioning" in r.json["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [("GET", "/nope", 404, "not_found"), ("DELETE", "/healthz", 405, "method_not_allowed")],
)
def test_errors_share_one_json_shape(client, method, path, status, code) -> None:
    r = client.open(path, method=method)
    assert r.status_code == status
    assert r.json == {"ok": False, "error": {"code": code, "message": r.json["error"]["message"]}}
    assert r.json["error"]["message"]


def test_settings_layering_mapping_wins(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_OTWA_TIMEOUT", "3.5")
    app = create_app({"DATABASE": str(db_path), "TESTING": True})
    bridge = app.extensions["otwa_bridge"]
    assert bridge.settings.otwa_timeout == 3.5 and bridge.sources["otwa_timeout"] == "env"
    assert bridge.otwa.timeout == 3.5
    assert app.config["TESTING"] is True  # undeclared keys are Flask's
    app = create_app({"DATABASE": str(db_path), "OTWA_TIMEOUT": 7})
    bridge = app.extensions["otwa_bridge"]
    assert bridge.settings.otwa_timeout == 7.0 and bridge.sources["otwa_timeout"] == "override"
