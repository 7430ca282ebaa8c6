"""Keeps bench/ from rotting: a handful of orders through the real harness, baseline only.

The benchmark itself is ``make bench`` (not part of the suite); this runs the same code
path at a tiny size and a very high time scale, and checks the floor model by hand.
"""

from __future__ import annotations

from pathlib import Path

from bench import floor, report
from bench.harness import RunConfig, run
from bench.suite import markers
from bench.systems import BaselineSystem


def test_floor_model_by_hand() -> None:
    # 200 orders at once: 100 go now, the window reopens at 60 s for the other 100.
    sends = floor.fixed_window_schedule([0.0] * 200)
    assert sends[99] == 0.0 and sends[100] == 60.0 and sends[-1] == 60.0
    assert floor.floor_seconds([0.0] * 200) == 180.0
    # Arrivals slower than the limit: the limit never binds, the last arrival does.
    assert floor.floor_seconds([k * 1.0 for k in range(50)]) == 49.0 + floor.MAX_BUILD
    # The seeded floor uses the draws: never above the worst case, never below the sends.
    builds = floor.seeded_builds(7, 200)
    assert all(60.0 <= b <= 120.0 for b in builds)
    assert 60.0 < floor.seeded_floor_seconds([0.0] * 200, builds) <= 180.0


def test_harness_runs_the_baseline_end_to_end(tmp_path: Path) -> None:
    cfg = RunConfig(
        orders=6, rate=50.0, time_scale=300.0, workdir=tmp_path, timeout_sandbox=3000, settle=0
    )
    result = run(BaselineSystem(), cfg, progress=lambda _m: None)

    assert result.finished, result.notes
    assert result.servers_running == 6 and result.credentials_fetched == 6
    assert result.duplicates == 0
    assert result.requests_by_route["POST /api/v1/servers"] >= 6
    assert result.requests_by_route["GET /api/v1/servers/:id/credentials"] >= 6
    assert result.requests_total >= 6 * 3  # create + at least one poll + credentials each
    latencies = result.hook_latencies_ms
    assert len(latencies) == 6 and all(0 < ms < 30_000 for ms in latencies)
    assert result.percentile(50) <= result.percentile(99) == max(latencies)  # nearest rank
    assert result.time_to_running is not None and result.time_to_running >= 60.0
    assert result.peak_rss_kib > 10_000  # a Python process with Flask loaded
    import os

    # CPU of the system itself, and the machine's other load, both bounded by what the run
    # could possibly have used (wall time on every core).
    assert 0 < result.cpu_seconds <= result.wall_seconds * (os.cpu_count() or 1)
    assert 0 <= result.other_cpu <= (os.cpu_count() or 1)
    # The seeded build prediction agreed with every status the harness saw.
    assert not any("disagreed" in n for n in result.notes)

    out = tmp_path / "BENCHMARKS.md"
    start, end = markers("burst-6")
    out.write_text(f"# kept\n\n{start}\nold\n{end}\n\nkept too\n")
    report.write(out, [result])
    text = out.read_text()
    assert text.startswith("# kept") and text.rstrip().endswith("kept too")
    assert "old" not in text and "| metric | target | baseline |" in text
    assert "### Provisioning burst: 6 orders" in text


def test_the_sso_click_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    from bench import sso_clicks

    numbers = sso_clicks.run(
        clicks=6,
        burst_orders=6,
        burst_rate=50.0,
        burst_clicks=4,
        burst_interval=0.05,
        time_scale=300.0,
        workdir=tmp_path,
        progress=lambda _m: None,
    )
    quiet, burst = numbers["quiet"], numbers["burst"]
    assert quiet["statuses"] == {"302": 6} and burst["statuses"] == {"302": 4}
    # The click includes the Otwa call it makes: never faster than the fastest raw call.
    assert 0 < quiet["raw_otwa_p50_ms"] <= quiet["click_p99_ms"]
    assert quiet["click_p50_ms"] <= quiet["click_p99_ms"] and burst["creates_sent"] == 6
    assert set(sso_clicks.summary(numbers).splitlines()[0].split()) >= {"quiet:", "clicks"}


def test_the_suite_fills_its_own_sections_and_keeps_the_prose(tmp_path: Path) -> None:
    from bench import suite

    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\nprose kept\n")
    suite.write_section(out, "intake", "first")
    suite.write_section(out, "budget", "| a |\n|---|")
    suite.write_section(out, "intake", "second")
    text = out.read_text()
    assert text.startswith("# Benchmarks\n\nprose kept\n")
    assert "second" in text and "first" not in text and text.count("bench:intake:start") == 1
    assert text.index("bench:intake:start") < text.index("bench:budget:start")
    assert suite.tables("noise\ntitle\n| x |\n|---|\n| 1 |\nmore") == "title\n\n| x |\n|---|\n| 1 |"
    numbers = {
        "bare_flask": {"name": "bare Flask", "per_second": 2000.0, "p50_ms": 3.0, "p99_ms": 9.0,
                       "cpu_ms_per_request": 0.3, "non_2xx": 0},
        "bridge": {"name": "bridge", "per_second": 700.0, "p50_ms": 9.0, "p99_ms": 30.0,
                   "cpu_ms_per_request": 1.1, "non_2xx": 0},
        "ratio": 0.35,
        "open_loop": {"rate": 350.0, "hooks": 3500, "p50_ms": 4.0, "p99_ms": 20.0},
    }  # fmt: skip
    table = suite.intake("log line\n" + __import__("json").dumps(numbers))
    assert "**0.350x** (target >= 0.3x: met)" in table and "p99 **20.0 ms**" in table
