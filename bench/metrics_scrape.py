"""``python -m bench.metrics_scrape``: /metrics scrape time at growing table sizes.

Fills a fresh database with N operations (and one job and two transitions each) through
plain SQL, so the ``counters`` triggers run for every row exactly as they do in service,
then times scrapes of ``/metrics`` through the Flask app (median and max of ``--scrapes``).
The scrape reads the counters, never the big tables: the time should stay flat.

    python -m bench.metrics_scrape --sizes 1000 1000000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bridge import create_app, store

ACTIONS = ("create", "suspend", "unsuspend", "terminate", "power", "status")
STATES = ("done", "done", "done", "failed", "dead", "cancelled", "queued")
TOKEN = "bench-token"


def fill(db_path: Path, operations: int, chunk: int = 50_000) -> float:
    """``operations`` operations with a job and two transitions each; seconds taken."""
    db = store.connect(db_path, migrate=True)
    started = time.perf_counter()
    done = 0
    while done < operations:
        n = min(chunk, operations - done)
        with store.write(db, durable=False):
            db.execute(
                "WITH RECURSIVE seq(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM seq WHERE i < ?)"
                " INSERT INTO operations (id, panel, service_id, generation, action, state,"
                " created_at, updated_at)"
                " SELECT 'op_' || i, 'whmcs', 's' || (i / 3), 1,"
                " json_extract(?, '$[' || (i % 6) || ']'),"
                " json_extract(?, '$[' || (i % 7) || ']'), 1.7e9 + i, 1.7e9 + i FROM seq",
                [done, done + n - 1, _json(ACTIONS), _json(STATES)],
            )
            db.execute(
                "INSERT INTO jobs (operation_id, panel, service_id, kind, state, max_attempts,"
                " run_after, created_at, updated_at) SELECT id, panel, service_id, 'run',"
                " CASE state WHEN 'queued' THEN 'ready' WHEN 'dead' THEN 'dead' ELSE 'done' END,"
                " 10, created_at, created_at, created_at FROM operations"
                " WHERE rowid > (SELECT coalesce(max(rowid), 0) - ? FROM operations)",
                [n],
            )
            db.execute(
                "INSERT INTO operation_transitions (operation_id, at, from_state, to_state)"
                " SELECT id, created_at, NULL, 'queued' FROM operations"
                " WHERE rowid > (SELECT coalesce(max(rowid), 0) - ? FROM operations)"
                " UNION ALL SELECT id, created_at, 'queued', state FROM operations"
                " WHERE rowid > (SELECT coalesce(max(rowid), 0) - ? FROM operations)",
                [n, n],
            )
        done += n
    db.close()
    return time.perf_counter() - started


def _json(values: tuple[str, ...]) -> str:
    import json

    return json.dumps(list(values))


def scrape_times(db_path: Path, tmp: Path, scrapes: int) -> list[float]:
    """Seconds per ``GET /metrics`` (after one warm-up scrape)."""
    app = create_app(
        {
            "DATABASE": str(db_path),
            "OTWA_BUDGET_PATH": str(tmp / "budget.sqlite"),
            "METRICS_TOKEN": TOKEN,
        }
    )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", headers=headers).status_code == 200
    times = []
    for _ in range(scrapes):
        started = time.perf_counter()
        response = client.get("/metrics", headers=headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return times


def measure(size: int, scrapes: int) -> dict[str, float]:
    """Fill a database of ``size`` operations and time its scrapes."""
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as folder:
        tmp = Path(folder)
        fill_s = fill(tmp / "bridge.sqlite", size)
        times = scrape_times(tmp / "bridge.sqlite", tmp, scrapes)
    return {
        "operations": size,
        "fill_s": fill_s,
        "median_ms": statistics.median(times) * 1000,
        "max_ms": max(times) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics_scrape", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args(argv)
    print("| operations | fill (s) | scrape median (ms) | scrape max (ms) |")
    print("|---:|---:|---:|---:|")
    for size in args.sizes:
        r = measure(size, args.scrapes)
        print(
            f"| {r['operations']:,} | {r['fill_s']:.1f} | {r['median_ms']:.2f} "
            f"| {r['max_ms']:.2f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
