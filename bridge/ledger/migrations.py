"""The ledger's schema history: its own ``Migrations("ledger")`` set, applied in order.

Append only: never edit a migration that has shipped; add a new one. The store's migrate
step calls :func:`apply_migrations` after its own set (``otwa-bridge migrate``, start-up).

The journal is append-only in SQLite itself: triggers refuse every UPDATE and DELETE of
transactions, entries, wallet samples and server ends, so a correction can only be a new,
reversing transaction. Entries copy a few columns of their transaction (when it occurred,
its month, panel, service, client, product, and the report role of the account) so the
margin report is one indexed GROUP BY over one table.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bridge import store

migrations = Migrations("ledger")

APPEND_ONLY = (
    "ledger_transactions",
    "ledger_entries",
    "ledger_wallet_samples",
    "ledger_server_ends",
)


@migrations()
def m001_journal(db: sqlite_utils.Database) -> None:
    """Transactions, their entries, wallet samples, server ends; append-only triggers."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS ledger_transactions (
            id INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,   -- what caused it; a replay books nothing twice
            kind TEXT NOT NULL,              -- sale refund server addon renewal topup
                                             -- opening reversal (bridge.ledger.journal.KINDS)
            occurred_at REAL NOT NULL,       -- epoch s: paid, refunded, charged
            booked_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0),
            description TEXT NOT NULL,
            panel TEXT,
            service_id TEXT,
            client_id TEXT,
            product TEXT,
            server_id TEXT,                  -- Otwa server
            invoice_id TEXT,
            line_id TEXT,
            period_start TEXT,               -- ISO date or date-time (UTC)
            period_end TEXT,
            reverses INTEGER REFERENCES ledger_transactions(id),
            fingerprint TEXT NOT NULL,       -- sha256 of what must match on a replay
            metadata TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS ledger_transactions_reversed_once"
        " ON ledger_transactions(reverses) WHERE reverses IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS ledger_transactions_invoice"
        " ON ledger_transactions(panel, invoice_id, line_id) WHERE invoice_id IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS ledger_transactions_server"
        " ON ledger_transactions(server_id, occurred_at) WHERE server_id IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS ledger_transactions_occurred"
        " ON ledger_transactions(occurred_at)"
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS ledger_entries (
            id INTEGER PRIMARY KEY,
            txn_id INTEGER NOT NULL REFERENCES ledger_transactions(id),
            account TEXT NOT NULL,
            currency TEXT NOT NULL CHECK (length(currency) = 3),
            amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount != 0),
            role TEXT CHECK (role IN ('revenue', 'cost')),  -- NULL: not in the margin report
            occurred_at REAL NOT NULL,       -- copied from the transaction
            month TEXT NOT NULL,             -- YYYY-MM (UTC) of occurred_at
            panel TEXT,
            service_id TEXT,
            client_id TEXT,
            product TEXT
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS ledger_entries_txn ON ledger_entries(txn_id)")
    # Covering: a report reads this index alone, in time order, never the table (on a
    # million entries that is 4x faster than looking each entry up; bench/ledger_bench.py).
    db.execute(
        "CREATE INDEX IF NOT EXISTS ledger_entries_report ON ledger_entries(occurred_at, role,"
        " currency, amount, panel, product, month, client_id, service_id)"
        " WHERE role IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS ledger_entries_account"
        " ON ledger_entries(account, currency, occurred_at, amount)"
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS ledger_wallet_samples (
            id INTEGER PRIMARY KEY,
            sampled_at REAL NOT NULL,        -- epoch s of the GET /account answer
            currency TEXT NOT NULL CHECK (length(currency) = 3),
            balance INTEGER NOT NULL CHECK (typeof(balance) = 'integer'),  -- minor units
            source TEXT NOT NULL DEFAULT 'GET /account'
        )
        """
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS ledger_wallet_samples_time"
        " ON ledger_wallet_samples(currency, sampled_at)"
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS ledger_server_ends (
            server_id TEXT PRIMARY KEY,      -- renews no more: terminated (or gone)
            ended_at REAL NOT NULL,
            reason TEXT NOT NULL
        )
        """
    )
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            db.execute(
                f"""
                CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()}
                BEFORE {verb} ON {table}
                BEGIN
                    SELECT RAISE(ABORT, '{table} is append-only: book a reversing transaction');
                END
                """
            )


@migrations()
def m002_alerts(db: sqlite_utils.Database) -> None:
    """Admin notices the ledger raised (runway, an unpaid renewal), each once per key and
    panel, with their delivery state (not money: updated as delivery goes on)."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS ledger_alerts (
            key TEXT NOT NULL,               -- what it is about, once: runway:<date>...
            panel TEXT NOT NULL,             -- the panel whose admins are told
            raised_at REAL NOT NULL,
            subject TEXT NOT NULL,
            message TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            sent_at REAL,                    -- NULL: not delivered yet
            last_error TEXT,
            PRIMARY KEY (key, panel)
        )
        """
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS ledger_alerts_pending ON ledger_alerts(sent_at)"
        " WHERE sent_at IS NULL"
    )


def apply_migrations(db: sqlite_utils.Database) -> list[str]:
    """Apply the ledger's pending migrations in order; return the names applied.

    Safe to run concurrently (re-checked under the write lock) and inside the store's own
    migrate transaction (it joins it).
    """
    return store.apply_migrations(db, (migrations,))


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    """Names of the ledger's migrations not yet applied (read-only)."""
    return store.pending_migrations(db, (migrations,))
