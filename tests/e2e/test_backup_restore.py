"""`otwa-bridge backup` while the bridge runs and hooks flow, and the restore of
docs/operations.md performed as written: stop, restore, migrate, start; the data of the
backup is back (operations, services, remembered hooks: a replay is still answered from
memory, never redone), what came after it is gone, and new hooks work."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import threading
from pathlib import Path

from tests.e2e.conftest import StackFactory
from tests.support.e2e import E2EStack, assert_converged, whmcs_body
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import ROOT, bridge_cmd


def cli(stack: E2EStack, *args: str) -> subprocess.CompletedProcess[str]:
    """``otwa-bridge <args>`` with the stack's settings."""
    import os

    return subprocess.run(
        bridge_cmd(*args),
        cwd=ROOT,
        env={**os.environ, **stack.env()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_backup_online_then_the_documented_restore(
    make_stack: StackFactory, whmcs: FakeWhmcs, tmp_path: Path
) -> None:
    stack = make_stack()
    stack.start(workers=1)
    before = [stack.send(whmcs_body("CreateAccount", sid)) for sid in (101, 102)]
    assert_converged(stack, whmcs, [101, 102])

    # Online: hooks keep arriving while the copy is taken.
    flowing = threading.Thread(
        target=lambda: [stack.send(whmcs_body("CreateAccount", sid)) for sid in (201, 202, 203)]
    )
    flowing.start()
    made = cli(stack, "backup", "--to", f"{tmp_path}/backups/")
    flowing.join()
    assert made.returncode == 0, made.stderr
    (copy,) = (tmp_path / "backups").glob("bridge-*.sqlite")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700
    assert "integrity ok" in made.stdout and str(copy) in made.stdout
    assert not list((tmp_path / "backups").glob("*-wal")), "one self-contained file"
    conn = sqlite3.connect(copy)
    saved = {r[0]: r[1] for r in conn.execute("SELECT id, state FROM operations")}
    conn.close()
    assert {"done"} <= set(saved.values()) and len(saved) >= 2

    # After the backup: a service the restore will forget.
    late = stack.send(whmcs_body("CreateAccount", 301))
    assert late.status in (200, 202)
    assert_converged(stack, whmcs, [101, 102, 201, 202, 203, 301])

    # While serve and the worker run, a restore is refused and changes nothing.
    refused = cli(stack, "restore", str(copy))
    assert refused.returncode == 1 and "is in use" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert 301 in {int(r["service_id"]) for r in stack.rows("SELECT service_id FROM services")}

    # The procedure of docs/operations.md: stop, restore, migrate, start.
    stack.stop()
    restored = cli(stack, "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    assert "kept the replaced database as" in restored.stdout
    migrated = cli(stack, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    stack.start(workers=1)

    now = {r["id"]: r["state"] for r in stack.rows("SELECT id, state FROM operations")}
    assert {k: v for k, v in now.items() if k in saved} == saved
    services = {r["service_id"] for r in stack.rows("SELECT service_id FROM services")}
    assert {"101", "102"} <= services and "301" not in services
    # A hook remembered in the backup is still answered from memory, not redone.
    again = stack.resend(before[0])
    assert again.status == before[0].status
    assert again.json()["operation"]["id"] == before[0].json()["operation"]["id"]
    assert again.response is not None and again.response.headers.get("Webhook-Replayed")
    # And the bridge works: the forgotten order, sent again by the panel, is made again
    # (Otwa's idempotency key replays the server it already built: still one server).
    assert stack.resend(late).status in (200, 202)
    assert_converged(stack, whmcs, [101, 102, 301])
    shown = cli(stack, "ops", "show", before[0].json()["operation"]["id"])
    assert shown.returncode == 0 and "history" in shown.stdout


def test_backup_refuses_clearly(make_stack: StackFactory, tmp_path: Path) -> None:
    stack = make_stack()
    target = tmp_path / "taken.sqlite"
    target.write_text("")
    exists = cli(stack, "backup", "--to", str(target))
    assert exists.returncode == 1 and "already exists" in exists.stderr
    bogus = tmp_path / "not-a-backup.sqlite"
    bogus.write_text("hello")
    refused = cli(stack, "restore", str(bogus))
    assert refused.returncode == 1 and "not an SQLite database" in refused.stderr
    assert "Traceback" not in refused.stderr + exists.stderr
