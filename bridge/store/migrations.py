"""The bridge's schema history, applied in the order registered. Append only: never edit a
migration that has shipped; add a new one. Each area owns the tables its migration creates."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("bridge")


@migrations()
def m001_webhook_events(db: sqlite_utils.Database) -> None:
    """Inbound hooks, deduplicated by (panel, webhook_id). Owned by bridge.provisioning.inbox."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS webhook_events (
            panel TEXT NOT NULL,
            webhook_id TEXT NOT NULL,
            received_at REAL NOT NULL,
            action TEXT,
            service_id TEXT,
            body_sha256 TEXT,        -- a reused webhook-id with another body is refused (409)
            request_id TEXT,         -- X-Request-Id of the first delivery
            operation_id TEXT,       -- provisioning operation recorded in the same transaction
            status INTEGER,          -- HTTP status of the first reply; NULL while in flight
            reply TEXT,              -- JSON of the first reply, replayed verbatim
            replied_at REAL,
            PRIMARY KEY (panel, webhook_id)
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS webhook_events_received ON webhook_events(received_at)")


@migrations()
def m002_provisioning(db: sqlite_utils.Database) -> None:
    """Services, operations and jobs. Owned by bridge.provisioning (docs/provisioning.md).

    Never holds a server password: credentials are fetched from Otwa at write-back time.
    """
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS services (
            panel TEXT NOT NULL,
            service_id TEXT NOT NULL,
            generation INTEGER NOT NULL DEFAULT 1,   -- +1 on a create after terminate
            state TEXT NOT NULL,     -- provisioning | active | terminating | terminated | failed
            suspended INTEGER NOT NULL DEFAULT 0,
            server_id TEXT,          -- Otwa server of the current generation
            label TEXT,              -- Otwa label as ordered (carries panel, service, generation)
            plan TEXT,               -- plan as configured (id or name) at create
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (panel, service_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS operations (
            id TEXT PRIMARY KEY,
            panel TEXT NOT NULL,
            service_id TEXT NOT NULL,
            generation INTEGER NOT NULL,
            action TEXT NOT NULL,
            state TEXT NOT NULL,     -- queued | building | writeback | scheduled | done
                                     -- | failed | dead | cancelled
            idempotency_key TEXT,    -- sent as Idempotency-Key on every try (create, reinstall)
            key_epoch INTEGER NOT NULL DEFAULT 0,  -- +1 only when Otwa refused and made nothing
            params TEXT NOT NULL DEFAULT '{}',     -- JSON: placement + command params, no secrets
            webhook_id TEXT,
            request_id TEXT,
            server_id TEXT,
            result TEXT,             -- JSON, no secrets (never a password or SSO link)
            error_code TEXT,
            error_message TEXT,
            error_status INTEGER,
            last_error TEXT,         -- most recent transient trouble, for `ops list`
            inline_tried INTEGER NOT NULL DEFAULT 0,
            first_sent_at REAL,      -- first keyed request left (replay-window start)
            build_ready_at REAL,     -- no poll can find the build done before this
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )
        """
    )
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS operations_create_once"
        " ON operations(panel, service_id, generation) WHERE action = 'create'"
    )
    db.execute("CREATE INDEX IF NOT EXISTS operations_state ON operations(state)")
    db.execute("CREATE INDEX IF NOT EXISTS operations_service ON operations(panel, service_id)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            operation_id TEXT NOT NULL REFERENCES operations(id),
            panel TEXT NOT NULL,
            service_id TEXT NOT NULL,
            kind TEXT NOT NULL,      -- run | read | writeback | notify | destroy
            state TEXT NOT NULL,     -- ready | leased | done | dead | cancelled
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            run_after REAL NOT NULL,
            lease_owner TEXT,
            lease_expires_at REAL,
            last_error TEXT,
            payload TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS jobs_due ON jobs(state, run_after)")
    db.execute("CREATE INDEX IF NOT EXISTS jobs_operation ON jobs(operation_id)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS schedules (
            name TEXT PRIMARY KEY,   -- e.g. build_poll: one batch GET /servers per interval
            next_at REAL NOT NULL,
            owner TEXT
        )
        """
    )


@migrations()
def m003_operation_history(db: sqlite_utils.Database) -> None:
    """Every state change of an operation: time, from, to, why (``otwa-bridge ops show``).
    Written only by bridge.provisioning.operations.transition (and insert)."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS operation_transitions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            operation_id TEXT NOT NULL REFERENCES operations(id),
            at REAL NOT NULL,
            from_state TEXT,         -- NULL for the first entry (recorded)
            to_state TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS operation_transitions_op"
        " ON operation_transitions(operation_id, id)"
    )


@migrations()
def m004_service_owner(db: sqlite_utils.Database) -> None:
    """Whose service it is and what was sold: the panel's client and product ids, kept from
    the hooks (SSO links re-check the owner; margin reports group by both)."""
    columns = {c.name for c in db["services"].columns}
    if "client_id" not in columns:
        db.execute("ALTER TABLE services ADD COLUMN client_id TEXT")
    if "product_id" not in columns:
        db.execute("ALTER TABLE services ADD COLUMN product_id TEXT")


@migrations()
def m005_read_cache(db: sqlite_utils.Database) -> None:
    """Short-lived answers of Otwa reads shared by every process (client-area page views,
    the admin tab, usage and reconcile reads). Owned by bridge.provisioning.readcache, but
    for the ``plans`` row: Otwa's plan list, kept by bridge.store.plans.

    Never holds a secret: server summaries, live stats, the catalog; no credentials, no
    login links. Rows are disposable: deleting them only costs an Otwa call."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS read_cache (
            key TEXT PRIMARY KEY,    -- "server:<id>", "stats:<id>", "servers", "regions", ...
            value TEXT,              -- JSON of the last answer
            error TEXT,              -- JSON {"code", "message", "status"} of a failed read
            fetched_at REAL NOT NULL DEFAULT 0,      -- when value/error was read from Otwa
            filling_until REAL NOT NULL DEFAULT 0    -- one process is asking Otwa until then
        )
        """
    )


NO_LABEL = "''"
# Each counted table: (family, label expressions) of the gauge kept in ``counters``.
_GAUGES = {
    "operations": ("operations", "{row}.action", "{row}.state"),
    "jobs": ("jobs", "{row}.kind", "{row}.state"),
    "services": ("services", "{row}.state", NO_LABEL),
    "webhook_events": ("webhook_events", "{row}.panel", NO_LABEL),
}


def _bump(family: str, a: str, b: str, by: int) -> str:
    return (
        f"INSERT INTO counters (family, a, b, value) VALUES ('{family}', {a}, {b}, {by})"  # noqa: S608
        " ON CONFLICT (family, a, b) DO UPDATE SET value = value + excluded.value;"
    )


@migrations()
def m010_counters(db: sqlite_utils.Database) -> None:
    """Counts kept as work happens, for ``/metrics`` (bridge.provisioning.gauges).

    ``counters`` holds, per family and up to two labels, how many rows of a table are in
    each state (gauges: up on insert, moved on a state change, down on delete or prune)
    and how many things ever happened (``*_total`` families: only ever up). Triggers keep
    it, so every writer is counted inside the very transaction that changes the row and
    no code path can forget; a scrape reads a few dozen rows whatever the tables hold.
    ``status`` keeps the latest job and operation error (and when) for the console.
    Also: indexes the console and the pruning need (creation and update time).
    """
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS counters (
            family TEXT NOT NULL,
            a TEXT NOT NULL DEFAULT '',
            b TEXT NOT NULL DEFAULT '',
            value INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (family, a, b)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS status (
            name TEXT PRIMARY KEY,   -- last_job_error | last_operation_error
            value TEXT NOT NULL,
            detail TEXT,             -- e.g. the job kind, the operation id
            at REAL NOT NULL
        )
        """
    )
    for table, (family, a, b) in _GAUGES.items():
        new_a, new_b = a.format(row="new"), b.format(row="new")
        old_a, old_b = a.format(row="old"), b.format(row="old")
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS count_{table}_insert AFTER INSERT ON {table}"
            f" BEGIN {_bump(family, new_a, new_b, 1)} END"
        )
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS count_{table}_delete AFTER DELETE ON {table}"
            f" BEGIN {_bump(family, old_a, old_b, -1)} END"
        )
        if table != "webhook_events":  # the others move between states
            db.execute(
                f"CREATE TRIGGER IF NOT EXISTS count_{table}_move AFTER UPDATE OF state"
                f" ON {table} WHEN old.state IS NOT new.state"
                f" BEGIN {_bump(family, old_a, old_b, -1)} {_bump(family, new_a, new_b, 1)} END"
            )
        db.execute(
            f"INSERT INTO counters (family, a, b, value)"  # noqa: S608 - our names
            f" SELECT '{family}', {a.format(row=table)}, {b.format(row=table)}, count(*)"
            f" FROM {table} WHERE true GROUP BY 2, 3"
            " ON CONFLICT (family, a, b) DO UPDATE SET value = excluded.value"
        )
    final = "('done', 'failed', 'dead', 'cancelled')"
    finished = _bump("operations_finished_total", "new.action", "new.state", 1)
    db.execute(
        "CREATE TRIGGER IF NOT EXISTS count_operations_finished AFTER UPDATE OF state"
        f" ON operations WHEN old.state IS NOT new.state AND new.state IN {final}"
        f" BEGIN {finished} END"
    )
    db.execute(
        "CREATE TRIGGER IF NOT EXISTS count_operations_finished_at_once AFTER INSERT"
        f" ON operations WHEN new.state IN {final} BEGIN {finished} END"
    )
    db.execute(
        "CREATE TRIGGER IF NOT EXISTS count_hooks_received AFTER INSERT ON webhook_events"
        f" BEGIN {_bump('hooks_received_total', 'new.panel', NO_LABEL, 1)} END"
    )
    db.execute(
        "CREATE TRIGGER IF NOT EXISTS count_jobs_dead AFTER UPDATE OF state ON jobs"
        " WHEN old.state IS NOT new.state AND new.state = 'dead'"
        f" BEGIN {_bump('jobs_dead_total', 'new.kind', NO_LABEL, 1)} END"
    )
    db.execute(
        "CREATE TRIGGER IF NOT EXISTS status_job_error AFTER UPDATE OF last_error ON jobs"
        " WHEN new.last_error IS NOT NULL AND new.last_error IS NOT old.last_error BEGIN"
        " INSERT INTO status (name, value, detail, at)"
        " VALUES ('last_job_error', new.last_error, new.kind || ' ' || new.operation_id,"
        " new.updated_at) ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
        " detail = excluded.detail, at = excluded.at; END"
    )
    db.execute(
        "CREATE TRIGGER IF NOT EXISTS status_operation_error AFTER UPDATE OF error_code"
        " ON operations WHEN new.error_code IS NOT NULL BEGIN"
        " INSERT INTO status (name, value, detail, at)"
        " VALUES ('last_operation_error', new.error_code || ': ' || coalesce(new.error_message,"
        " ''), new.id, new.updated_at) ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
        " detail = excluded.detail, at = excluded.at; END"
    )
    db.execute("CREATE INDEX IF NOT EXISTS operations_created ON operations(created_at, id)")
    db.execute("CREATE INDEX IF NOT EXISTS operations_updated ON operations(updated_at, id)")
    db.execute("CREATE INDEX IF NOT EXISTS jobs_dead ON jobs(state, updated_at)")


@migrations()
def m011_runs_due_index(db: sqlite_utils.Database) -> None:
    """Whether any order is due and waiting (``jobs.run_due``), asked by every create hook
    outside a spent window: answered from this partial index, however many write-backs
    are queued beside the orders."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS jobs_runs_due ON jobs(run_after)"
        " WHERE state = 'ready' AND kind = 'run'"
    )
