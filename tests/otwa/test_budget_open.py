"""Many processes opening one fresh budget file at the same moment (a deploy starts every
gunicorn worker and job worker together): each must get a working budget, and they must
all share one file, in WAL mode, with the schema created once."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

from bridge.otwa.budget import key_id
from tests.support.processes import Process

PROCESSES = 12
FILES = 30


def wait_for(paths: list[Path], procs: list[Process], timeout: float = 120.0) -> None:
    """Block until every path exists; fail with a log if a process died first."""
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        for proc in procs:
            assert proc.alive or proc.popen is None or proc.popen.returncode == 0, proc.log()
        assert time.monotonic() < deadline, "processes did not get ready in time"
        time.sleep(0.01)


def test_processes_open_a_fresh_file_at_once(tmp_path: Path) -> None:
    go = tmp_path / "go"
    outs = [tmp_path / f"open-{n}.json" for n in range(PROCESSES)]
    procs = [
        Process(
            [sys.executable, "-m", "tests.support.otwa_hammer", "open", str(tmp_path),
             str(FILES), str(go), str(out)],
            tmp_path / f"open-{n}.log",
        ).start()
        for n, out in enumerate(outs)
    ]  # fmt: skip
    # Every process has imported everything and is polling for the signal: release them
    # together so they race on each fresh file.
    wait_for([Path(str(out) + ".ready") for out in outs], procs)
    go.touch()
    for proc in procs:
        assert proc.popen is not None
        assert proc.popen.wait(timeout=120) == 0, proc.log()

    results = [json.loads(out.read_text()) for out in outs]
    assert [r["errors"] for r in results] == [[]] * PROCESSES
    assert all(r["opened"] == FILES for r in results)
    for i in range(FILES):
        db = sqlite3.connect(tmp_path / f"fresh-{i}.sqlite")
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # One shared table, not one per process: every slot taken is in it.
        rows = db.execute("SELECT key, count(*) FROM grants GROUP BY key").fetchall()
        assert rows == [(key_id("otwa_open_race_key"), PROCESSES)]
        db.close()
