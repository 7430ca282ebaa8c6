"""The deployment files, checked by reading them: Docker cannot run on the test machine (no
engine), so the Dockerfile and config/docker/compose.yaml are parsed and held to what
docs/operations.md promises; the systemd units are parsed and, where systemd-analyze
exists, verified by systemd itself."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "config" / "systemd"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            word, _, rest = pending.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            pending = ""
    return out


def test_the_dockerfile() -> None:
    steps = instructions(ROOT / "Dockerfile")
    names = [name for name, _ in steps]
    final = names[len(names) - 1 - names[::-1].index("FROM") :]  # the runtime stage
    args = dict(steps[len(names) - len(final) :])  # the last of each instruction
    assert steps[len(names) - len(final)][1].startswith("python:3.11")
    # Runs as a named, non-root user, switched to before the command.
    users = [a for n, a in steps if n == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert names.index("USER", len(names) - len(final)) < names.index("CMD")
    # One port, probed by a HEALTHCHECK on that port.
    (port,) = [a for n, a in steps if n == "EXPOSE"]
    health = args["HEALTHCHECK"]
    assert f"127.0.0.1:{port}/readyz" in health and "CMD" in health
    # The command migrates, then serves on that port (nginx in front: published on loopback).
    cmd = json.loads(args["CMD"])
    assert cmd[:2] == ["sh", "-c"]
    assert re.fullmatch(
        rf"otwa-bridge migrate && exec otwa-bridge serve --bind 0\.0\.0\.0:{port}", cmd[2]
    )
    # Data on a volume, where the settings put the database and the budget.
    assert json.loads(args["VOLUME"]) == ["/data"]
    env = " ".join(a for n, a in steps if n == "ENV")
    assert "BRIDGE_DATABASE=/data/bridge.sqlite" in env
    assert "BRIDGE_OTWA_BUDGET_PATH=/data/otwa-budget.sqlite" in env
    # Everything copied from the build context exists, and .dockerignore keeps var/ out.
    for name, arg in steps:
        if name == "COPY" and "--from" not in arg:
            *sources, _dest = shlex.split(arg)
            for source in sources:
                assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"var", ".venv", ".git"} <= set(ignored)
    # No secret is baked in.
    assert not re.search(r"(?i)(secret|api_key|password)\s*=", env)


def test_compose_runs_the_worker_from_the_same_image() -> None:
    compose = yaml.safe_load((ROOT / "config/docker/compose.yaml").read_text())
    web, worker = compose["services"]["web"], compose["services"]["worker"]
    assert web["image"] == worker["image"] and "build" in web
    assert worker["command"][:2] == ["otwa-bridge", "worker"]
    assert web["volumes"] == worker["volumes"] and web["volumes"][0].endswith(":/data")
    assert all(p.startswith("127.0.0.1:") for p in web["ports"])  # nginx faces clients
    assert worker["healthcheck"] == {"disable": True}
    assert web["env_file"] == worker["env_file"]


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("otwa-bridge.service", "serve --bind 127.0.0.1:"),
        ("otwa-bridge-worker.service", "worker"),
        ("otwa-bridge-backup.service", "backup"),
    ],
)
def test_the_systemd_units(name: str, command: str) -> None:
    service = _unit(name)["Service"]
    assert service["User"] == "otwa-bridge"
    assert service["UMask"] == "0077" and service["StateDirectoryMode"] == "0700"
    assert service["EnvironmentFile"] == "/etc/otwa-bridge/env"
    assert command in service["ExecStart"]
    text = (UNITS / name).read_text()
    assert "BRIDGE_DATABASE=/var/lib/otwa-bridge/" in text
    if name != "otwa-bridge-backup.service":
        assert service["ExecStartPre"].endswith("otwa-bridge migrate")
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is missing")
def test_systemd_itself_accepts_the_units(tmp_path: Path) -> None:
    """``systemd-analyze verify`` on copies whose binary path points at this checkout's
    otwa-bridge (verify insists the command exists)."""
    import sys

    binary = Path(sys.executable).parent / "otwa-bridge"
    if not binary.exists():
        pytest.skip("the otwa-bridge script is not installed next to this interpreter")
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(
            unit.read_text().replace("/opt/otwa-bridge/bin/otwa-bridge", str(binary))
        )
    done = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    complaints = [
        line for line in done.stderr.splitlines() if str(tmp_path) in line or "Command" in line
    ]
    assert done.returncode == 0 and complaints == [], done.stderr
