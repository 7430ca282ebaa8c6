"""The benchmark behind ``make bench``: the bridge against a naive baseline, side by side.

Not a test: it measures. ``python -m bench`` starts a sandbox and each system under test
as real processes on loopback, fires a burst of signed ``create`` hooks at it, and writes
the table to BENCHMARKS.md (see bench/harness.py for what is measured and how).
"""
