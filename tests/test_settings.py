"""Settings fail well: every mistake a new user makes ends in one line and exit 2, and
`otwa-bridge settings` says what each value is and where it came from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge import runtime, settings
from tests.support.processes import ROOT


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line_exit_2(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("command", [["settings"], ["migrate"], ["worker"], ["ops", "list"]])
def test_a_bad_value_names_the_variable(command: list[str], tmp_path: Path) -> None:
    r = cli(*command, env={"BRIDGE_OTWA_TIMEOUT": "abc", "BRIDGE_DATABASE": str(tmp_path / "x")})
    _one_line_exit_2(r, "BRIDGE_OTWA_TIMEOUT='abc'", "number")


@pytest.mark.parametrize(
    "command", [["serve"], ["migrate"], ["worker"], ["ops", "list"], ["ledger", "runway"]]
)
@pytest.mark.parametrize("where", ["under a file", "not a database"])
def test_a_database_that_cannot_be_opened_is_one_line(
    command: list[str], where: str, tmp_path: Path
) -> None:
    # A typo'd BRIDGE_DATABASE: its folder cannot be made (a file is in the way), or it
    # names some other file. Before, each printed a traceback (serve: from every worker).
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder, not a database\n")
    path = blocker / "bridge.sqlite" if where == "under a file" else blocker
    r = cli(*command, env={"BRIDGE_DATABASE": str(path)})
    _one_line_exit_2(r, f"cannot open the database {path}", "BRIDGE_DATABASE")
    assert blocker.read_text() == "not a folder, not a database\n"  # left as it was


def test_a_missing_config_file_is_not_silently_empty(tmp_path: Path) -> None:
    r = cli("migrate", env={"BRIDGE_CONFIG": str(tmp_path / "nope.toml")})
    _one_line_exit_2(r, "nope.toml does not exist", "BRIDGE_CONFIG")


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[bridge]\nlog_level = "INFO"\ndatabase = \n')
    r = cli("serve", env={"BRIDGE_CONFIG": str(bad)})
    _one_line_exit_2(r, str(bad), "line 3")


def test_a_typo_in_the_bridge_table_gets_a_suggestion(tmp_path: Path) -> None:
    bad = tmp_path / "typo.toml"
    bad.write_text("[bridge]\notwa_timout = 3\n")
    _one_line_exit_2(
        cli("settings", env={"BRIDGE_CONFIG": str(bad)}), "otwa_timout", "did you mean otwa_timeout"
    )


def test_a_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "secret.toml"
    bad.write_text('[bridge]\notwa_api_key = "otwa_live_abcdef123456"\n')
    r = cli("settings", env={"BRIDGE_CONFIG": str(bad)})
    _one_line_exit_2(r, "environment only", "BRIDGE_OTWA_API_KEY")
    assert "otwa_live_abcdef123456" not in r.stderr + r.stdout


def test_a_bad_panel_table_names_file_and_panel(tmp_path: Path) -> None:
    bad = tmp_path / "panel.toml"
    bad.write_text('[panels.whmcs]\nadapter = "hostbill"\n')
    _one_line_exit_2(cli("worker", env={"BRIDGE_CONFIG": str(bad)}), "panel.toml", "hostbill")


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"BRIDGE_OTWA_RATE_LIMIT": "0"}, "greater than or equal to 1"),
        ({"BRIDGE_OTWA_RATE_RESERVE": "95"}, "must be below otwa_rate_limit"),
        ({"BRIDGE_LOG_LEVEL": "LOUD"}, "BRIDGE_LOG_LEVEL='LOUD'"),
        ({"BRIDGE_OTWA_BASE_URL": "otwa.cloud/api/v1"}, "http(s) URL"),
        ({"BRIDGE_OTWA_API_KEY": ""}, "BRIDGE_OTWA_API_KEY=***"),
    ],
)
def test_values_out_of_range_are_refused(env: dict[str, str], needle: str) -> None:
    with pytest.raises(settings.SettingsError) as raised:
        runtime.build(env=env)
    assert needle in str(raised.value)


def test_settings_shows_variable_effective_value_and_source(tmp_path: Path) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text('[bridge]\nhook_tolerance = 120\n[panels.whmcs]\nadapter = "whmcs"\n')
    r = cli(
        "settings",
        "--format",
        "json",
        env={
            "BRIDGE_CONFIG": str(config),
            "BRIDGE_OTWA_TIMEOUT": "3.5",
            "BRIDGE_OTWA_API_KEY": "otwa_canary_key_0123456789",
        },
    )
    assert r.returncode == 0, r.stderr
    rows = {row["variable"]: row for row in map(json.loads, r.stdout.splitlines())}
    assert rows["BRIDGE_OTWA_TIMEOUT"] | {"help": ""} == {
        "variable": "BRIDGE_OTWA_TIMEOUT",
        "value": "3.5",
        "source": "env",
        "help": "",
    }
    assert (rows["BRIDGE_HOOK_TOLERANCE"]["value"], rows["BRIDGE_HOOK_TOLERANCE"]["source"]) == (
        "120",
        "toml",
    )
    assert rows["BRIDGE_OTWA_RATE_MARGIN"]["value"] == "2"
    assert rows["BRIDGE_OTWA_RATE_MARGIN"]["source"] == "default"
    assert rows["BRIDGE_OTWA_API_KEY"]["value"] == "***"
    assert "otwa_canary_key_0123456789" not in r.stdout + r.stderr


def test_without_a_config_file_the_packaged_example_is_used(tmp_path: Path) -> None:
    r = cli("settings", "--format", "json", cwd=tmp_path)  # no config/bridge.toml here
    assert r.returncode == 0, r.stderr
    rows = {row["variable"]: row for row in map(json.loads, r.stdout.splitlines())}
    assert rows["BRIDGE_CONFIG"]["value"].startswith("packaged example")
    bridge = runtime.build({"CONFIG": str(ROOT / "config" / "bridge.toml")}, env={})
    assert sorted(bridge.panels) == ["generic", "whmcs"]
    assert (ROOT / "config" / "bridge.toml").read_text() == settings.packaged_config()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["serve", "--bind", "nonsense"], "'nonsense' is not host:port"),
        (["serve", "--bind", "127.0.0.1:99999"], "is not host:port"),
        (["serve", "--workers", "0"], "--workers"),
        (["dev", "--bind", "localhost"], "is not host:port"),
        (["dev", "--workers", "-1"], "--workers"),
    ],
)
def test_a_listener_gunicorn_cannot_use_is_refused_before_anything_starts(
    args: list[str], needle: str, tmp_path: Path
) -> None:
    # gunicorn would retry a bad address for seconds, and serve nothing with no workers.
    database = tmp_path / "bridge.sqlite"
    r = cli(*args, env={"BRIDGE_DATABASE": str(database)})
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert needle in r.stderr, r.stderr
    assert not database.exists()  # nothing was started or created
