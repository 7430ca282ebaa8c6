"""Parallel requests against one sandbox: the wallet and idempotency hold."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.sandbox.helpers import DEFAULT, create


def test_parallel_creates_with_budget_exact_balance(sandbox):
    sandbox.set_balance(DEFAULT, "39.95")  # exactly 5 x 7.99
    with ThreadPoolExecutor(16) as pool:
        codes = sorted(pool.map(lambda _: create(sandbox).status_code, range(16)))
    assert codes.count(201) == 5 and codes.count(402) == 11
    st = sandbox.state()
    assert st["balances"][DEFAULT] == "0.00"
    assert len(st["servers"]) == 5 and len(st["charges"]) == 5


def test_parallel_requests_with_one_key_create_one_server(sandbox):
    with ThreadPoolExecutor(12) as pool:
        rs = list(pool.map(lambda _: create(sandbox, idem="same-order"), range(12)))
    assert {r.status_code for r in rs} <= {201, 409}
    ids = {r.json()["id"] for r in rs if r.status_code == 201}
    assert len(ids) == 1
    st = sandbox.state()
    assert len(st["servers"]) == 1 and len(st["charges"]) == 1
