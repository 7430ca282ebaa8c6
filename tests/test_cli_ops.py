"""`otwa-bridge ops list` and `otwa-bridge send` as an operator meets them (issue 10,
item 12), as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge import store
from tests.support.processes import ROOT


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    db_path = tmp_path / "bridge.sqlite"
    db = store.connect(db_path, migrate=True)
    rows = [
        # id, panel, service, action, state, created, updated, error_code, last_error
        ("op_old", "whmcs", "1", "create", "done", 1000.0, 9000.0, None, "timeout (retried)"),
        ("op_mid", "generic", "2", "suspend", "failed", 2000.0, 2100.0, "otwa_error", None),
        ("op_new", "whmcs", "3", "power", "queued", 3000.0, 3000.0, None, "x" * 300),
    ]
    with store.write(db):
        for op_id, panel, service, action, state, created, updated, code, trouble in rows:
            db.execute(
                "INSERT INTO operations (id, panel, service_id, generation, action, state,"
                " error_code, error_message, last_error, created_at, updated_at)"
                " VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                [op_id, panel, service, action, state, code, code and "Otwa said no", trouble]
                + [created, updated],
            )
    db.close()
    return {
        "BRIDGE_DATABASE": str(db_path),
        "BRIDGE_OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
    }


def test_ops_list_is_newest_first_by_creation_with_a_time_column(env) -> None:
    r = run(["ops", "list"], env)
    assert r.returncode == 0, r.stderr
    assert "newest first (by creation time, UTC)" in r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("CREATED (UTC)")
    # op_old was updated last, but created first: it comes last.
    assert [line.split()[2] for line in lines[1:]] == ["op_new", "op_mid", "op_old"]
    assert lines[-1].startswith("1970-01-01 00:16:40")


def test_ops_list_shows_no_stale_trouble_and_cuts_long_errors_with_an_ellipsis(env) -> None:
    lines = {line.split()[2]: line for line in run(["ops", "list"], env).stdout.splitlines()[1:]}
    assert "timeout" not in lines["op_old"]  # done: what it got past is not an error
    assert lines["op_mid"].endswith("otwa_error: Otwa said no")
    assert lines["op_new"].endswith("…") and "x" * 98 in lines["op_new"]
    assert "x" * 101 not in lines["op_new"]


def test_ops_list_filters_by_panel_state_and_action(env) -> None:
    r = run(["ops", "list", "--panel", "whmcs", "--json"], env)
    assert sorted(json.loads(line)["id"] for line in r.stdout.splitlines()) == ["op_new", "op_old"]
    r = run(["ops", "list", "--state", "failed", "--action", "suspend", "--json"], env)
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ["op_mid"]


def test_ops_list_refuses_an_unknown_state_naming_the_valid_ones(env) -> None:
    r = run(["ops", "list", "--state", "bogus"], env)
    assert r.returncode == 2
    assert "'bogus' is not one of" in r.stderr and "'scheduled'" in r.stderr
    assert "Traceback" not in r.stderr


def test_send_help_lists_the_actions() -> None:
    r = run(["send", "--help"], {})
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "ACTION is one of: create, suspend," in text and "test_connection" in text


@pytest.mark.parametrize("value", ["not-a-secret", "whsec_%%%", "whsec_!!"])
def test_send_with_a_bad_secret_is_a_usage_error(env, value: str) -> None:
    r = run(["send", "test_connection", "--secret-env", "MY_SECRET"], {**env, "MY_SECRET": value})
    assert r.returncode == 2, r.stderr
    assert "MY_SECRET does not hold a hook secret" in r.stderr
    assert "Traceback" not in r.stderr and value not in r.stderr.replace("MY_SECRET", "")


def test_send_test_connection_needs_no_service(env) -> None:
    from bridge import signing

    secret = signing.generate_secret()
    # Nothing listens on port 9: the command got past its usage checks when it says so.
    r = run(
        ["send", "test_connection", "--url", "http://127.0.0.1:9", "--secret-env", "MY_SECRET"],
        {**env, "MY_SECRET": secret},
    )
    assert r.returncode == 2 and "no reply from http://127.0.0.1:9" in r.stderr, r.stderr
