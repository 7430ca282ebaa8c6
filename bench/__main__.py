"""``python -m bench``: run the baseline and the bridge side by side, write BENCHMARKS.md.

Defaults are the benchmark of record (200 orders at 100 hooks/s, sandbox x60, seed 7);
``--orders/--rate/--time-scale`` make quicker runs, ``--systems baseline`` runs one side,
``--no-write`` leaves BENCHMARKS.md alone (results still go to var/bench/results.json).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench import report
from bench.harness import Result, RunConfig, run, summary_line
from bench.systems import BaselineSystem, BridgeSystem

SYSTEMS = ("baseline", "bridge")


def main(argv: list[str] | None = None) -> int:
    defaults = RunConfig()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=defaults.orders)
    parser.add_argument("--rate", type=float, default=defaults.rate, help="hooks per second")
    parser.add_argument("--time-scale", type=float, default=defaults.time_scale)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=defaults.poll_interval_sandbox,
        help="build poll interval of both systems, sandbox seconds",
    )
    parser.add_argument(
        "--retry-delay",
        type=float,
        default=defaults.retry_delay_sandbox,
        help="sandbox seconds before the panel re-sends a failed order",
    )
    parser.add_argument("--systems", default="baseline,bridge", help="comma-separated")
    parser.add_argument(
        "--settle",
        type=float,
        default=defaults.settle,
        help="wait up to this many seconds for other processes to go quiet before each run",
    )
    parser.add_argument(
        "--bridge-workers", type=int, default=2, help="gunicorn workers of the bridge"
    )
    parser.add_argument(
        "--bridge-job-workers", type=int, default=1, help="`bridge worker` processes"
    )
    parser.add_argument(
        "--bridge-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra bridge setting for a what-if run (repeatable), e.g. OTWA_RATE_LIMIT=100",
    )
    parser.add_argument("--workdir", type=Path, default=defaults.workdir)
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    parser.add_argument(
        "--section", help="write the results into this `make bench` section (bench/suite.py)"
    )
    args = parser.parse_args(argv)
    cfg = RunConfig(
        orders=args.orders,
        rate=args.rate,
        time_scale=args.time_scale,
        seed=args.seed,
        poll_interval_sandbox=args.poll_interval,
        retry_delay_sandbox=args.retry_delay,
        workdir=args.workdir,
        settle=args.settle,
    )
    names = [n.strip() for n in args.systems.split(",") if n.strip()]
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        parser.error(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}")
    print(
        f"bench: {cfg.orders} orders at {cfg.rate:g} hooks/s, sandbox x{cfg.time_scale:g},"
        f" seed {cfg.seed}, systems {', '.join(names)}",
        flush=True,
    )
    overrides = dict(item.split("=", 1) for item in args.bridge_setting)
    what_if = overrides or args.bridge_workers != 2 or args.bridge_job_workers != 1
    if what_if and not args.no_write:
        parser.error("--bridge-setting/--bridge-*workers are for what-if runs: add --no-write")
    results: list[Result] = []
    for name in names:
        system = (
            BridgeSystem(
                workers=args.bridge_workers,
                job_workers=args.bridge_job_workers,
                overrides=overrides,
            )
            if name == "bridge"
            else BaselineSystem()
        )
        results.append(run(system, cfg, progress=lambda m: print(m, flush=True)))
    print()
    for r in results:
        print(summary_line(r))
    cfg.workdir.mkdir(parents=True, exist_ok=True)
    (cfg.workdir / "results.json").write_text(
        json.dumps([r.to_json() for r in results], indent=2, default=str)
    )
    if not args.no_write:
        report.write(args.output, results, section=args.section)
        print(f"wrote {args.output}")
    return 0 if all(r.finished for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
