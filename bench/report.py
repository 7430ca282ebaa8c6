"""Render results as Markdown and write them into BENCHMARKS.md.

BENCHMARKS.md is partly hand-written (definitions, findings). A run replaces only its own
section, between the ``<!-- bench:burst-<orders>:start -->`` and ``:end -->`` marker
comments (bench/suite.py ``write_section``).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Sequence
from pathlib import Path

from bench.harness import Result, percentile

# Issue 11's targets (they tightened issue 3's 2.2 requests per server and 1.15x the floor).
TARGETS = {
    "rps": 2.1,
    "429": 0,
    "ratio": 1.10,
    "p99": 50.0,
}


def _mark(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _fmt_time(r: Result) -> str:
    if r.time_to_running is None:
        return f"not all running after {r.cfg.timeout_sandbox:g} s"
    return f"{r.time_to_running:.0f} s"


def _ratio(r: Result) -> str:
    return "n/a" if r.ratio is None else f"{r.ratio:.2f}x"


def table(results: Sequence[Result]) -> str:
    """The side-by-side table: one column per system, one row per metric."""
    names = [r.system for r in results]
    rows: list[tuple[str, str, list[str]]] = [
        (
            "Otwa requests per provisioned server",
            f"<= {TARGETS['rps']}",
            [
                f"{r.requests_per_server:.2f} ({r.requests_total} / {r.servers_running})"
                for r in results
            ],
        ),
        ("429s received", "0", [str(r.requests_429) for r in results]),
        ("time until all running (sandbox s)", "", [_fmt_time(r) for r in results]),
        ("floor (sandbox s)", "", [f"{r.floor:.0f} s" for r in results]),
        ("time / floor", f"<= {TARGETS['ratio']:.2f}x", [_ratio(r) for r in results]),
        (
            "hook acknowledge latency p50 / p99",
            f"p99 <= {TARGETS['p99']:g} ms",
            [f"{r.percentile(50):.1f} / {r.percentile(99):.1f} ms" for r in results],
        ),
        ("peak RSS (sum of VmHWM)", "", [f"{r.peak_rss_kib / 1024:.0f} MiB" for r in results]),
        (
            "CPU time per order (all its processes)",
            "",
            [f"{r.cpu_seconds * 1000 / max(1, r.cfg.orders):.1f} ms" for r in results],
        ),
        (
            "hooks failed on first try / panel re-sends",
            "",
            [f"{r.hooks_failed_first_try} / {r.hook_retries}" for r in results],
        ),
        ("duplicate servers", "0", [str(r.duplicates) for r in results]),
        (
            "all credentials fetched at (sandbox s)",
            "",
            ["-" if r.time_to_done is None else f"{r.time_to_done:.0f} s" for r in results],
        ),
    ]
    head = "| metric | target | " + " | ".join(names) + " |"
    sep = "|---|---|" + "---|" * len(names)
    body = [f"| {m} | {t} | " + " | ".join(v) + " |" for m, t, v in rows]
    return "\n".join([head, sep, *body])


def verdicts(results: Sequence[Result]) -> str:
    """Which targets the bridge met (the targets are the bridge's)."""
    lines = []
    for r in results:
        if r.system != "bridge":
            continue
        checks = [
            ("requests per server", r.requests_per_server <= TARGETS["rps"]),
            ("no 429s", r.requests_429 == 0),
            (
                f"time within {TARGETS['ratio']:.2f}x the floor",
                r.ratio is not None and r.ratio <= TARGETS["ratio"],
            ),
            (f"hook p99 <= {TARGETS['p99']:g} ms", r.percentile(99) <= TARGETS["p99"]),
        ]
        lines.append(
            "Bridge targets met: " + ", ".join(f"{name}: {_mark(ok)}" for name, ok in checks) + "."
        )
    return "\n".join(lines)


def _short(process: str) -> str:
    """``"<pid> .../python -m gunicorn --config ..."`` -> ``"gunicorn (pid)"``."""
    pid, _, cmd = process.partition(" ")
    words = cmd.split()
    if "-m" not in words[:-1]:
        return f"{' '.join(words[1:3])} ({pid})"
    rest = words[words.index("-m") + 1 :]
    name = rest[0] + (f" {rest[1]}" if len(rest) > 1 and not rest[1].startswith("-") else "")
    return f"{name} ({pid})"


def details(results: Sequence[Result]) -> str:
    """Per-system breakdowns: requests by route and status, memory per process, notes."""
    out = []
    for r in results:
        out.append(f"**{r.system}**: finished {r.finished}, {r.wall_seconds:.0f} s wall.")
        routes = ", ".join(f"`{k}` {v}" for k, v in r.requests_by_route.items())
        statuses = ", ".join(f"{k}: {v}" for k, v in r.requests_by_status.items())
        out.append(f"- requests by route: {routes or 'none'}")
        out.append(f"- requests by status: {statuses or 'none'}")
        replies = ", ".join(f"{k}: {v}" for k, v in r.hook_statuses.items())
        out.append(f"- hook replies (first try) by HTTP status: {replies}")
        if r.creates_at:
            out.append(
                f"- creates sent (sandbox s after the first hook): half by"
                f" {percentile(r.creates_at, 50):.0f} s, all by {max(r.creates_at):.0f} s;"
                f" the ideal system: half by {percentile(r.ideal_creates_at, 50):.0f} s,"
                f" all by {max(r.ideal_creates_at, default=0):.0f} s"
            )
        out.append(
            f"- floor if every build took the longest draw (120 s): {r.floor_worst:.0f} s"
            f" (sliding instead of fixed window: {r.floor_sliding:.0f} s); at the bridge's"
            f" default budget, 90 per sliding minute: {r.floor_90:.0f} s"
            + ("" if r.time_to_running is None else f" ({r.time_to_running / r.floor_90:.2f}x)")
        )
        out.append(
            f"- hook latency max {max(r.hook_latencies_ms, default=0):.1f} ms; the panel's own"
            f" send lag p99 {percentile(r.hook_lag_ms, 99):.1f} ms (not part of the latency)"
        )
        procs = "; ".join(
            f"`{_short(name)}` {kib / 1024:.0f} MiB, {cpu:.2f} s CPU"
            for name, (kib, cpu) in r.rss_by_process.items()
        )
        out.append(f"- peak RSS and CPU by process: {procs or 'none'}")
        out.append(
            f"- other processes on the machine used {r.other_cpu:.2f} of its"
            f" {os.cpu_count()} CPUs during the run (1-minute load average before / after:"
            f" {r.load_average[0]:.1f} / {r.load_average[1]:.1f})"
        )
        for note in r.notes:
            out.append(f"- note: {note}")
        out.append("")
    return "\n".join(out).rstrip()


def generated(results: Sequence[Result]) -> str:
    """The burst's section of BENCHMARKS.md: a heading, the run's conditions, the tables."""
    cfg = results[0].cfg
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    return "\n".join(
        [
            f"### Provisioning burst: {cfg.orders} orders",
            "",
            f"Run of {when} on {machine}: {cfg.orders} orders at {cfg.rate:g} hooks/s,"
            f" sandbox time scale {cfg.time_scale:g}, seed {cfg.seed}, both systems polling"
            f" every {cfg.poll_interval_sandbox:g} sandbox s, the panel re-sending a failed"
            f" order after {cfg.retry_delay_sandbox:g} sandbox s.",
            "",
            table(results),
            "",
            verdicts(results),
            "",
            details(results),
        ]
    )


def write(path: Path, results: Sequence[Result], section: str | None = None) -> None:
    """Replace the ``make bench`` section ``section`` of ``path`` (default
    ``burst-<orders>``; appended when missing); the rest of the file is kept."""
    from bench.suite import write_section

    write_section(path, section or f"burst-{results[0].cfg.orders}", generated(results))
