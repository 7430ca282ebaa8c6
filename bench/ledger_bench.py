"""``python -m bench.ledger_bench``: the margin report over a million journal entries.

Builds a journal of ``--entries`` entries (default 1,000,000) in a temporary SQLite file,
spread over ``--months`` months of sales, refunds, creates, add-ons, renewals and top-ups
(seeded, so every run builds the same journal; rows are shaped by ``bridge.ledger.journal``
itself, inserted in bulk so the build takes seconds, not an fsync per transaction). Then,
side by side and alternating, ``--repeat`` times each, warm cache:

* **report**: ``bridge.ledger.report.report()``, the function the CLI and the page call
  (query, pivot into rows, totals);
* **floor**: the plain SQLite GROUP BY over the same rows (one sum per group, currency and
  role, rows fetched, nothing else) — what SQLite alone needs;
* **join**: the same sums grouped through a JOIN on ``ledger_transactions`` — what a
  schema without the copied columns would pay (for context).

Prints one line per query with medians and the ratio report / floor (target: <= 1.5x and
< 1 s), then the latency of booking a paid two-line invoice into that journal through
``book_invoice_paid`` (a durable commit each: what a hook will add). Imports nothing from
tests/.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlite_utils

from bridge import store
from bridge.ledger import accounts, events, journal
from bridge.ledger.journal import Attribution, Draft, Posting
from bridge.ledger.migrations import apply_migrations
from bridge.ledger.periods import next_month
from bridge.ledger.report import By, group_columns, report
from bridge.ledger.revenue import InvoiceLine, book_invoice_paid

FIRST_MONTH = date(2026, 1, 1)
PANELS = ("whmcs", "blesta")
PRODUCTS = tuple(f"vps-{n}" for n in range(1, 41))
ADDONS = ("backup", "extra-ip", "ip-class")


@dataclass(frozen=True)
class Timing:
    """Medians (seconds) of one query measured side by side."""

    label: str
    rows: int
    report: float
    floor: float
    join: float

    @property
    def ratio(self) -> float:  # a benchmark ratio, not money
        return self.report / self.floor


def drafts(entries: int, months: int, seed: int) -> Iterator[Draft]:
    """Seeded transactions until ``entries`` entries: ~45 % sales, refunds, creates with
    and without add-ons, add-ons, renewals, a few top-ups; 9 in 10 in USD, 1 in 10 in EUR."""
    rng = random.Random(seed)
    start = datetime(FIRST_MONTH.year, FIRST_MONTH.month, 1, tzinfo=UTC).timestamp()
    span = months * 30 * 86400.0
    made = 0
    n = 0
    while made < entries:
        n += 1
        at = start + rng.random() * span
        currency = "EUR" if rng.random() < 0.1 else "USD"
        panel = rng.choice(PANELS)
        product = rng.choice(PRODUCTS)
        service = str(rng.randrange(40_000))
        who = Attribution(panel, service, str(int(service) // 2), product, f"srv-{service}")
        cents = rng.randrange(300, 10_000)
        kind = rng.random()
        if kind < 0.45:
            d = _pair(
                events.sale(panel, f"i{n}", "1"),
                "sale",
                at,
                accounts.receivable(panel),
                accounts.sales(panel, product),
                cents,
                currency,
                who,
            )
        elif kind < 0.48:
            d = _pair(
                events.refund(panel, f"r{n}", "1"),
                "refund",
                at,
                accounts.refunds(panel, product),
                accounts.receivable(panel),
                cents // 3,
                currency,
                who,
            )
        elif kind < 0.98:
            extra = rng.choice((None, None, rng.choice(ADDONS)))
            postings = [Posting(accounts.SERVERS, cents, currency)]
            if extra:
                postings.append(Posting(accounts.addon(extra), 200, currency))
            total = sum(p.amount for p in postings)
            postings.append(Posting(accounts.WALLET, -total, currency))
            kind_name = rng.choice(("server", "renewal", "addon"))
            d = Draft(f"{kind_name}:{n}", kind_name, at, "charge", tuple(postings), who)
        else:
            d = _pair(
                events.topup(f"t{n}"),
                "topup",
                at,
                accounts.WALLET,
                accounts.TOPUPS,
                cents * 100,
                currency,
                Attribution(),
            )
        made += len(d.postings)
        yield d


def _pair(
    event_id: str,
    kind: str,
    at: float,
    debit: str,
    credit: str,
    amount: int,
    currency: str,
    who: Attribution,
) -> Draft:
    postings = (Posting(debit, amount, currency), Posting(credit, -amount, currency))
    return Draft(event_id, kind, at, kind, postings, who)


def build(path: Path, entries: int, months: int, seed: int) -> tuple[int, int]:
    """Fill a fresh ledger at ``path``; returns (transactions, entries)."""
    db = store.connect(path)
    apply_migrations(db)
    txns = rows = 0
    batch: list[Draft] = []
    for draft in drafts(entries, months, seed):
        journal.check(draft)
        batch.append(draft)
        if len(batch) == 20_000:
            rows += _insert(db, batch, txns)
            txns += len(batch)
            batch = []
    rows += _insert(db, batch, txns)
    txns += len(batch)
    db.execute("ANALYZE")
    db.close()
    return txns, rows


def _insert(db: sqlite_utils.Database, batch: list[Draft], first_id: int) -> int:
    with store.write(db):
        db.conn.executemany(
            "INSERT INTO ledger_transactions (id, event_id, kind, occurred_at, description,"
            " panel, service_id, client_id, product, server_id, fingerprint)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    first_id + i + 1,
                    d.event_id,
                    d.kind,
                    d.occurred_at,
                    d.description,
                    d.who.panel,
                    d.who.service_id,
                    d.who.client_id,
                    d.who.product,
                    d.who.server_id,
                    journal.fingerprint(d),
                )
                for i, d in enumerate(batch)
            ],
        )
        entry_rows = [
            r for i, d in enumerate(batch) for r in journal.entry_rows(first_id + i + 1, d)
        ]
        db.conn.executemany(
            "INSERT INTO ledger_entries (txn_id, account, currency, amount, role, occurred_at,"
            " month, panel, service_id, client_id, product) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?)",
            entry_rows,
        )
    return len(entry_rows)


def floor_sql(by: By) -> str:
    """The plain GROUP BY over the same rows: one sum per group, currency and role (the
    report's rows, unpivoted and unordered), from the same index."""
    panel, key = group_columns(by)
    cols = f"{panel or 'NULL'}, {key}"
    return (
        f"SELECT {cols}, currency, role, SUM(amount) FROM ledger_entries"  # noqa: S608
        " WHERE role IS NOT NULL AND occurred_at >= ? AND occurred_at < ?"
        f" GROUP BY {cols}, currency, role"
    )


_JOIN = {
    By.PRODUCT: "t.panel, t.product",
    By.SERVICE: "t.panel, t.service_id",
    By.MONTH: "NULL, strftime('%Y-%m', t.occurred_at, 'unixepoch')",
}


def join_sql(by: By) -> str:
    """The same sums without the copied columns: grouped through the transactions."""
    cols = _JOIN[by]
    return (
        f"SELECT {cols}, e.currency, e.role, SUM(e.amount) FROM ledger_entries e"  # noqa: S608
        " JOIN ledger_transactions t ON t.id = e.txn_id"
        " WHERE e.role IS NOT NULL AND t.occurred_at >= ? AND t.occurred_at < ?"
        f" GROUP BY {cols}, e.currency, e.role"
    )


def measure(db: sqlite_utils.Database, by: By, start: date, end: date, repeat: int) -> Timing:
    """Report, floor and join for one grouping and range, alternating, warm."""
    bounds = [_epoch(start), _epoch(end)]
    rows = db.execute(
        "SELECT COUNT(*) FROM ledger_entries WHERE role IS NOT NULL"
        " AND occurred_at >= ? AND occurred_at < ?",
        bounds,
    ).fetchone()[0]

    def run_report() -> object:
        return report(db, start, end, by)

    def run_floor() -> object:
        return db.execute(floor_sql(by), bounds).fetchall()

    def run_join() -> object:
        return db.execute(join_sql(by), bounds).fetchall()

    runs: dict[str, list[float]] = {"report": [], "floor": [], "join": []}
    fns: dict[str, Callable[[], object]] = {
        "report": run_report,
        "floor": run_floor,
        "join": run_join,
    }
    for fn in fns.values():
        fn()  # warm the page cache and the statement cache
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - t0)
    label = f"by {by.value}, {start:%Y-%m} to {_last_month(end):%Y-%m}"
    med = {k: statistics.median(v) for k, v in runs.items()}
    return Timing(label, rows, med["report"], med["floor"], med["join"])


def booking_latencies(db: sqlite_utils.Database, count: int) -> list[float]:
    """Seconds per ``book_invoice_paid`` of a two-line invoice, ``count`` times, each a
    durable commit into the full journal."""
    out = []
    at = _epoch(FIRST_MONTH) + 86400.0
    lines = [InvoiceLine("1", "42", "vps-1", "12.00"), InvoiceLine("2", "42", "vps-1", "-2.00")]
    for n in range(count):
        t0 = time.perf_counter()
        book_invoice_paid(
            db,
            panel="whmcs",
            invoice_id=f"bench-{n}",
            client_id="7",
            currency="USD",
            paid_at=at,
            lines=lines,
        )
        out.append(time.perf_counter() - t0)
    return sorted(out)


def _epoch(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _last_month(end: date) -> date:
    return date(end.year - (end.month == 1), (end.month - 2) % 12 + 1, 1)


def run(
    entries: int, months: int, seed: int, repeat: int, path: Path, bookings: int = 200
) -> list[Timing]:
    """Build, then measure reports by product (one month, all months), by month and by
    service (all months: the most groups, so the most Python per row)."""
    t0 = time.perf_counter()
    txns, rows = build(path, entries, months, seed)
    print(
        f"built {rows:,} entries ({txns:,} transactions, {months} months) in"
        f" {time.perf_counter() - t0:.1f} s: {path}"
    )
    end_all = FIRST_MONTH
    for _ in range(months):
        end_all = next_month(end_all)
    month = date(FIRST_MONTH.year, min(months, 11), 1)
    db = store.connect(path)
    timings = [
        measure(db, By.PRODUCT, month, next_month(month), repeat),
        measure(db, By.PRODUCT, FIRST_MONTH, end_all, repeat),
        measure(db, By.MONTH, FIRST_MONTH, end_all, repeat),
        measure(db, By.SERVICE, FIRST_MONTH, end_all, repeat),  # ~80,000 groups
    ]
    latencies = booking_latencies(db, bookings) if bookings else []
    db.close()
    print(f"{'query':<34}{'rows':>9}{'report':>11}{'floor':>11}{'ratio':>8}{'join':>11}")
    for t in timings:
        print(
            f"{t.label:<34}{t.rows:>9,}{t.report:>10.3f}s{t.floor:>10.3f}s{t.ratio:>7.2f}x"
            f"{t.join:>10.3f}s"
        )
    if latencies:
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] * 1000
        print(
            f"book_invoice_paid (2 lines, durable commit) x{len(latencies)}:"
            f" p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger_bench", description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bookings", type=int, default=200, help="invoices booked after")
    parser.add_argument("--keep", type=Path, help="build here and keep the file")
    args = parser.parse_args(argv)
    if args.keep:
        run(args.entries, args.months, args.seed, args.repeat, args.keep, args.bookings)
        return 0
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        path = Path(tmp) / "ledger.sqlite"
        run(args.entries, args.months, args.seed, args.repeat, path, args.bookings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
