"""The /metrics scrape reads counters, not tables: its time does not grow with them
(bench/metrics_scrape.py measures 1 k against 1 M operations for BENCHMARKS.md)."""

from __future__ import annotations

from bench import metrics_scrape


def test_scrape_time_is_flat_from_1k_to_200k_operations() -> None:
    small = metrics_scrape.measure(1_000, scrapes=40)
    large = metrics_scrape.measure(200_000, scrapes=40)
    # The median of 40 scrapes: a 200x bigger database may not cost even 3x (a scan would
    # cost ~200x). Generous, for a loaded 2-core machine.
    assert large["median_ms"] < 3 * max(small["median_ms"], 1.0), (small, large)
    assert large["median_ms"] < 50
