"""``make bench``: every benchmark of the bridge, one after the other, into BENCHMARKS.md.

Each step runs as its own process (so one cannot warm or slow the next) and fills its own
generated section of BENCHMARKS.md, between ``<!-- bench:<name>:start -->`` and
``<!-- bench:<name>:end -->``; the prose around the sections is kept. Steps:

* ``burst-200``, ``burst-500``: the provisioning burst, the bridge beside the naive
  baseline (``python -m bench``), against the rate-limit floor;
* ``intake``: hook intake closed loop with wrk, beside bare Flask (``bench.intake``);
* ``budget``: requests per Otwa window and a click's wait (``bench.budget_bench``);
* ``sso``: the bridge's time per click and a click in a burst (``bench.sso_clicks``);
* ``ledger``: the monthly report over a million entries beside a plain GROUP BY
  (``bench.ledger_bench``);
* ``ledger-intake``: what booking costs a hook, the ledger on vs off (``bench.ledger_intake``);
* ``metrics``: scrape time at 1 k and 1 M operations (``bench.metrics_scrape``);
* ``edge``: slow clients against gunicorn alone and behind nginx, the highest steady
  rate, five minutes at it, five minutes of faults with the worker SIGKILLed
  (``bench.edge``).

``python -m bench.suite --only intake,sso`` runs some; ``--list`` names them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Formatter = Callable[[str], str]
EDGE_REPORT = Path("bench/results/edge.md")  # bench.edge's own report, kept with the repo


def fenced(output: str) -> str:
    """The step's own report, verbatim."""
    return "```text\n" + output.strip() + "\n```"


def tables(output: str) -> str:
    """The markdown table lines the step printed, and the line just before each table."""
    lines = output.strip().splitlines()
    keep: list[str] = []
    for i, line in enumerate(lines):
        if line.startswith("|"):
            if not keep or not keep[-1].startswith("|"):
                if i and not lines[i - 1].startswith("|"):
                    keep += ["", lines[i - 1], ""]
            keep.append(line)
    return "\n".join(keep).strip() or fenced(output)


def edge_report(_output: str) -> str:
    """bench.edge's own report (it keeps a copy in bench/results), without its title."""
    lines = EDGE_REPORT.read_text().strip().splitlines()
    return "\n".join(lines[1:] if lines and lines[0].startswith("#") else lines).strip()


def intake(output: str) -> str:
    """bench.intake's JSON as a table, with the issue's targets."""
    start = output.index("{")
    r = json.loads(output[start:])
    flask, bridge, loop = r["bare_flask"], r["bridge"], r["open_loop"]
    rows = [
        "| app | requests/s | p50 | p99 | CPU per request | non-2xx |",
        "|---|---|---|---|---|---|",
    ]
    for x in (flask, bridge):
        rows.append(
            f"| {x['name']} | {x['per_second']:.0f} | {x['p50_ms']:.1f} ms | {x['p99_ms']:.1f} ms"
            f" | {x['cpu_ms_per_request']:.2f} ms | {x['non_2xx']} |"
        )
    ratio = r["ratio"]
    rows += [
        "",
        f"- bridge / bare Flask: **{ratio:.3f}x** (target >= 0.3x: "
        f"{'met' if ratio >= 0.3 else 'missed'})",
        f"- open loop at half the bridge's rate ({loop['rate']:.0f} hooks/s, "
        f"{loop['hooks']} hooks): p50 {loop['p50_ms']} ms, p99 **{loop['p99_ms']} ms** "
        f"(target <= 50 ms: {'met' if loop['p99_ms'] <= 50 else 'missed'})",
    ]
    return "\n".join(rows)


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    args: list[str]
    format: Formatter
    writes_itself: bool = False  # python -m bench fills its own section


def steps() -> list[Step]:
    py = [sys.executable, "-m"]
    return [
        Step(
            "burst-200",
            "Provisioning burst: 200 orders",
            [*py, "bench", "--orders", "200", "--section", "burst-200"],
            fenced,
            writes_itself=True,
        ),
        Step(
            "burst-500",
            "Provisioning burst: 500 orders",
            [*py, "bench", "--orders", "500", "--section", "burst-500"],
            fenced,
            writes_itself=True,
        ),
        Step("intake", "Hook intake: the bridge beside bare Flask", [*py, "bench.intake"], intake),
        Step("budget", "The shared budget: Otwa's window", [*py, "bench.budget_bench"], tables),
        Step("sso", "SSO link clicks", [*py, "bench.sso_clicks"], fenced),
        Step(
            "ledger",
            "The margin report over a million entries",
            [*py, "bench.ledger_bench"],
            fenced,
        ),  # fmt: skip
        Step(
            "ledger-intake",
            "What booking costs a hook: the ledger on vs off",
            [*py, "bench.ledger_intake"],
            fenced,
        ),  # fmt: skip
        Step("metrics", "/metrics scrape time", [*py, "bench.metrics_scrape"], tables),
        Step(
            "edge",
            "The edge under attack, load and faults",
            [*py, "bench.edge", "--output", str(EDGE_REPORT)],
            edge_report,
        ),
    ]


def markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- bench:{name}:start (generated by `make bench`; edits here are overwritten) -->",
        f"<!-- bench:{name}:end -->",
    )


def write_section(path: Path, name: str, body: str) -> None:
    """Replace section ``name`` of ``path`` (appended at the end the first time)."""
    start, end = markers(name)
    block = f"{start}\n\n{body.strip()}\n\n{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        path.write_text(head + block + tail)
    else:
        path.write_text(text.rstrip() + "\n\n" + block + "\n")


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def run_step(step: Step, output: Path) -> bool:
    print(f"\n== {step.name}: {' '.join(step.args[1:])}", flush=True)
    started = time.monotonic()
    proc = subprocess.run(step.args, capture_output=True, text=True, check=False)
    took = time.monotonic() - started
    sys.stdout.write(proc.stdout[-4000:])
    if proc.returncode not in (0, 1):  # 1: ran, but a target was missed
        sys.stderr.write(proc.stderr[-4000:])
        print(f"== {step.name}: failed (exit {proc.returncode}); section left as it was")
        return False
    if not step.writes_itself:
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        body = (
            f"### {step.title}\n\nRun of {when} on {machine()} ({took:.0f} s): "
            f"`{' '.join(['python', *step.args[1:]])}`\n\n{step.format(proc.stdout)}"
        )
        write_section(output, step.name, body)
    print(f"== {step.name}: done in {took:.0f} s", flush=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__)
    parser.add_argument("--only", help="comma-separated step names")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args(argv)
    chosen = steps()
    if args.list:
        for s in chosen:
            print(f"{s.name:<12} {s.title}")
        return 0
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        unknown = wanted - {s.name for s in chosen}
        if unknown:
            parser.error(f"unknown step(s) {sorted(unknown)}; see --list")
        chosen = [s for s in chosen if s.name in wanted]
    ok = [run_step(s, args.output) for s in chosen]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    raise SystemExit(main())
