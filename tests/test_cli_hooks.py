"""`otwa-bridge check-config` and `otwa-bridge send` as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bridge import signing
from tests.support.processes import ROOT, Process, bridge_cmd, free_port

WHMCS_SECRET = signing.generate_secret()
GENERIC_SECRET = signing.generate_secret()


def run(args: list[str], env: dict[str, str], stdin: bytes | None = None):
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def base_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp_path = tmp_path_factory.mktemp("cli")
    return {
        "BRIDGE_CONFIG": str(ROOT / "config" / "bridge.toml"),
        "BRIDGE_DATABASE": str(tmp_path / "bridge.sqlite"),
        "BRIDGE_OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
        "BRIDGE_WHMCS_HOOK_SECRETS": WHMCS_SECRET,
        "BRIDGE_GENERIC_HOOK_SECRETS": GENERIC_SECRET,
    }


def test_check_config_of_the_example_config_passes_against_the_sandbox(sandbox, base_env) -> None:
    r = run(["check-config"], {**base_env, "BRIDGE_OTWA_BASE_URL": sandbox.api})
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert r.stdout.decode().startswith("ok: 2 panel(s), 5 product(s) mapped")


def test_check_config_names_every_problem(sandbox, base_env, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        """
[panels.whmcs]
[panels.whmcs.os]
default = "Ubuntu 26.04"
[panels.whmcs.os.values]
"Ubuntu 26.04" = "ubuntu-26.04"
[panels.whmcs.addons.IP]
"block" = "ip-class"
[panels.whmcs.products.1]
plan = "Gigantic"
[panels.whmcs.products.2]
plan = "Starter"
regions = ["nl-ams-01", "mars-01"]
"""
    )
    env = {**base_env, "BRIDGE_CONFIG": str(bad), "BRIDGE_OTWA_BASE_URL": sandbox.api}
    env.pop("BRIDGE_GENERIC_HOOK_SECRETS")
    r = run(["check-config"], env)
    out = r.stdout.decode()
    assert r.returncode == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem: ")]
    text = "\n".join(problems)
    assert "template 'ubuntu-26.04' is not offered" in text
    assert "plan 'Gigantic' is unknown" in text
    assert "plan 'Starter' is not offered in 'nl-ams-01'" in text
    assert "region 'mars-01' is not an Otwa region" in text
    assert "add-on type 'ip-class' is not offered by plan 'Starter'" in text
    assert len(problems) == 5, text


def test_check_config_without_otwa_exits_2(base_env) -> None:
    env = {
        **base_env,
        "BRIDGE_OTWA_BASE_URL": f"http://127.0.0.1:{free_port()}/api/v1",
        "BRIDGE_OTWA_MAX_RETRIES": "0",
    }
    r = run(["check-config"], env)
    assert r.returncode == 2, r.stdout.decode() + r.stderr.decode()
    assert b"cannot read the Otwa catalog" in r.stderr


@pytest.fixture(scope="module")
def bridge_server(base_env, sandbox_process, tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("bridge")
    port = free_port()
    proc = Process(
        bridge_cmd("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"),
        tmp_path / "bridge.log",
        env={**base_env, "BRIDGE_OTWA_BASE_URL": sandbox_process.api},
    ).start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # A loaded machine may accept the connection before a worker answers.
                proc.wait_http(f"{url}/healthz")
                break
            except requests.Timeout:
                if time.monotonic() > deadline:
                    raise
        yield url, proc
    finally:
        proc.stop()


def test_send_prints_a_refusal_and_exits_1(bridge_server, base_env) -> None:
    url, proc = bridge_server
    r = run(
        [
            "send",
            "--url",
            url,
            "--panel",
            "whmcs",
            "create",
            "--service",
            "1042",
            "--product",
            "999",
            "--client",
            "77",
            "--option",
            "Operating System=Ubuntu 24.04",
        ],
        base_env,
    )
    assert r.returncode == 1, r.stderr.decode()
    reply = json.loads(r.stdout)
    assert reply["ok"] is False and reply["error"]["code"] == "unknown_product"
    assert b"HTTP 422" in r.stderr
    assert WHMCS_SECRET.encode() not in Path(proc.log_path).read_bytes()


def test_send_with_the_wrong_secret_is_refused_401(bridge_server, base_env) -> None:
    url, _ = bridge_server
    env = {**base_env, "OTHER_SECRET": signing.generate_secret()}
    r = run(
        ["send", "--url", url, "--secret-env", "OTHER_SECRET", "status", "--service", "1"],
        env,
    )
    assert r.returncode == 1
    assert json.loads(r.stdout)["error"]["code"] == "invalid_signature"


def test_send_body_from_stdin_is_sent_as_is(bridge_server, base_env) -> None:
    url, _ = bridge_server
    raw = b'{"action": "power", "service": {"id": "1"}, "client": {"id": "2"}, "params": {}}'
    r = run(["send", "--url", url, "--panel", "generic", "--body", "-"], base_env, stdin=raw)
    assert r.returncode == 1
    reply = json.loads(r.stdout)
    assert reply["error"]["code"] == "invalid_body"
    assert reply["error"]["details"][0]["path"] == "/params"


def test_send_without_a_bridge_exits_2(base_env) -> None:
    r = run(
        ["send", "--url", f"http://127.0.0.1:{free_port()}", "status", "--service", "1"],
        base_env,
    )
    assert r.returncode == 2
    assert b"no reply" in r.stderr


def test_send_without_a_secret_is_a_usage_error(base_env) -> None:
    env = {k: v for k, v in base_env.items() if k != "BRIDGE_WHMCS_HOOK_SECRETS"}
    env["BRIDGE_WHMCS_HOOK_SECRETS"] = ""
    r = run(["send", "status", "--service", "1"], env)
    assert r.returncode == 2
    assert b"BRIDGE_WHMCS_HOOK_SECRETS" in r.stderr


def test_send_create_then_replay_exits_0(bridge_server, base_env, sandbox) -> None:
    url, proc = bridge_server
    args = [
        "send",
        "--url",
        url,
        "--panel",
        "whmcs",
        "--webhook-id",
        "msg_cli_create",
        "create",
        "--service",
        "5150",
        "--product",
        "1",
        "--client",
        "77",
        "--option",
        "Operating System=3|Debian 12",
        "--option",
        "Extra IPv4=Yes",
    ]
    first = run(args, base_env)
    assert first.returncode == 0, first.stdout.decode() + first.stderr.decode()
    assert json.loads(first.stdout)["ok"] is True
    again = run(args, base_env)
    assert again.returncode == 0 and b"(replayed)" in again.stderr
    assert again.stdout == first.stdout
    (server,) = sandbox.state()["servers"]
    assert (server["label"], server["os"]) == ("whmcs-5150-g1", "debian-12")
    assert WHMCS_SECRET.encode() not in Path(proc.log_path).read_bytes()


def test_send_books_an_invoice_and_its_refund(bridge_server, base_env) -> None:
    url, _ = bridge_server
    invoice = '{"id": "cli-1", "line_id": "1", "amount": "12.00", "currency": "USD"}'
    paid = ["send", "--url", url, "invoice_paid", "--service", "77", "--product", "1",
            "--client", "7", "--param", f"invoice:={invoice}"]  # fmt: skip
    r = run(paid, base_env)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert json.loads(r.stdout)["result"]["lines"] == [
        {"event_id": "sale:whmcs:cli-1:1", "status": "booked"}
    ]
    again = run(paid, base_env)  # a new webhook-id: the same line, booked once
    assert json.loads(again.stdout)["result"]["already_booked"] == 1
    refund = '{"id": "cli-1", "line_id": "1", "amount": "5.00", "currency": "USD"}'
    r = run(["send", "--url", url, "invoice_refunded", "--service", "77",
             "--param", f"invoice:={refund}"], base_env)  # fmt: skip
    assert r.returncode == 0 and json.loads(r.stdout)["result"]["booked"] == 1
    report = run(["ledger", "report", "--period", "2026-01", "--to", "2030-12", "--by", "service",
                  "--format", "csv"], base_env)  # fmt: skip
    assert report.returncode == 0, report.stderr.decode()
    assert "whmcs,77,USD,7.00,0.00,7.00,100.00" in report.stdout.decode()
