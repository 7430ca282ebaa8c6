"""``python -m bench.intake_profile``: CPU and wall time of the bridge's hook intake, per hook.

A microbenchmark, not the benchmark of record: the bridge's Flask app in this process (no
gunicorn), a fresh sandbox process, and ``--orders`` signed ``create`` hooks sent one after
the other through Flask's test client, so every millisecond is the intake's own (verify,
validate, record, the inline Otwa call, the stored reply). Reports wall and CPU time per
hook and, with ``--profile``, the top functions by cumulative time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import tempfile
import time
from pathlib import Path

from bench.harness import SYSTEM_KEY, RunConfig, lookup_catalog
from bench.systems import BRIDGE_TOML, PANEL_PRODUCT, bridge_settings
from bridge.processes import SandboxProcess
from bridge.signing import generate_secret, sign_headers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intake_profile", description=__doc__)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="print the cProfile top 30")
    parser.add_argument(
        "--spent",
        action="store_true",
        help="Otwa's budget is spent: every hook is recorded and queued (the burst case)",
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="intake-profile-"))
    sandbox = SandboxProcess(workdir, time_scale=60, seed=7).start()
    try:
        sandbox.set_balance(SYSTEM_KEY, "100000.00")
        catalog = lookup_catalog(sandbox)
        (workdir / "bridge.toml").write_text(
            BRIDGE_TOML.format(
                panel_api="http://127.0.0.1:9/unused",
                os_template=catalog.os_template,
                product=PANEL_PRODUCT,
                plan=catalog.plan_name,
                region=catalog.region,
            )
        )
        secret = generate_secret()
        env = bridge_settings(RunConfig(time_scale=60), workdir, sandbox.api)
        env["BRIDGE_WHMCS_HOOK_SECRETS"] = secret
        if args.spent:
            env.update(
                BRIDGE_OTWA_RATE_LIMIT="1", BRIDGE_OTWA_RATE_RESERVE="0",
                BRIDGE_OTWA_RATE_WINDOW="3600",
            )  # fmt: skip
        os.environ.update(env)
        from bridge import create_app

        client = create_app().test_client()

        def send(i: int, action: str = "create") -> int:
            body = {
                "action": action,
                "service": {"id": f"p{i:05d}", "product_id": PANEL_PRODUCT, "options": {}},
                "client": {"id": "c1"},
            }
            raw = json.dumps(body).encode()
            headers = sign_headers([secret], raw)
            headers["content-type"] = "application/json"
            return client.post("/v1/hooks/whmcs", data=raw, headers=headers).status_code

        for i in range(5):  # warm: imports, products cache, connections
            send(100000 + i)
        profiler = cProfile.Profile() if args.profile else None
        statuses: dict[int, int] = {}
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for i in range(args.orders):
            status = send(i)
            statuses[status] = statuses.get(status, 0) + 1
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        n = args.orders
        print(
            f"{n} create hooks: {wall / n * 1e3:.2f} ms wall, {cpu / n * 1e3:.2f} ms CPU per "
            f"hook (this process; the sandbox's work not included); statuses {statuses}"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(30)
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
