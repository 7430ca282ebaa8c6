"""The control API: state, reset, clock, balances; and the spec helper itself."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.sandbox.helpers import DEFAULT, call, create, freeze
from tests.support.openapi import validate


def test_state_reports_servers_charges_counts_and_time(sandbox):
    create(sandbox)
    call(sandbox, "GET", "/nope", check=False)
    st = sandbox.state()
    assert {a["name"] for a in st["accounts"]} == {"demo", "other", "broke"}
    assert st["balances"]["otwa_sandbox_destroy"] == st["balances"][DEFAULT] == "492.01"
    assert st["charges"][0]["amount"] == "7.99" and st["charges"][0]["kind"] == "server"
    req = st["requests"]
    assert req["byRoute"]["POST /api/v1/servers"] == 1 and req["byStatus"]["201"] == 1
    assert req["byStatus"]["404"] == 1 and req["rateLimited"] == 0
    assert st["nowIso"].endswith("Z") and st["timeScale"] == sandbox.time_scale


def test_reset_restores_boot_state(sandbox):
    create(sandbox)
    sandbox.faults(1.0, ["500"])
    freeze(sandbox)
    sandbox.set_rate_limit_mode("sliding")
    sandbox.reset()
    st = sandbox.state()
    assert st["rateLimit"]["mode"] == "fixed"  # the mode the process started with
    assert st["servers"] == [] and st["charges"] == [] and st["faults"] is None
    assert st["balances"][DEFAULT] == "500.00" and st["timeScale"] == sandbox.time_scale
    assert call(sandbox, "GET", "/account").status_code == 200


def test_clock_advance_and_freeze(sandbox):
    freeze(sandbox)
    t0 = sandbox.state()["now"]
    assert sandbox.advance(3600)["now"] == pytest.approx(t0 + 3600, abs=0.01)
    r = requests.post(f"{sandbox.url}/_sandbox/clock/advance", json={"seconds": -1}, timeout=5)
    assert r.status_code == 400


def test_set_balance(sandbox):
    assert sandbox.set_balance("otwa_sandbox_broke", "12.5")["balance"] == "12.50"
    assert call(sandbox, "GET", "/account", "otwa_sandbox_broke").json()["balance"] == "12.50"
    for bad in ("13.00\n", " 13.00", "13.001", "-1.00", 13):
        r = requests.put(f"{sandbox.url}/_sandbox/accounts/otwa_sandbox_broke/balance",
                         json={"balance": bad}, timeout=5)  # fmt: skip
        assert r.status_code == 400, bad
    assert sandbox.state()["balances"]["otwa_sandbox_broke"] == "12.50"


def test_spec_helper_rejects_a_wrong_shape(sandbox):
    r = call(sandbox, "GET", "/account")
    r._content = b'{"id": "x", "balance": 5}'  # balance must be a decimal string
    with pytest.raises(Exception):  # noqa: B017  (openapi-core raises its own error types)
        validate(r)


def test_in_flight_counts_executing_requests_and_latency_change_releases_them(sandbox):
    assert sandbox.state()["requests"]["inFlight"] == 0
    sandbox.set_latency(60)
    with ThreadPoolExecutor(3) as pool:
        pending = [pool.submit(call, sandbox, "GET", "/account") for _ in range(3)]
        sandbox.wait_in_flight(3)
        assert not any(f.done() for f in pending)  # held, not answered
        started = time.monotonic()
        sandbox.set_latency(0)
        assert [f.result().status_code for f in pending] == [200, 200, 200]
    assert time.monotonic() - started < 5  # released at once, not after 60 s
    assert sandbox.state()["requests"]["inFlight"] == 0


def test_latency_can_hold_only_some_routes_and_in_flight_names_them(sandbox):
    sandbox.set_latency(60, ["POST /api/v1/servers"])
    with ThreadPoolExecutor(1) as pool:
        order = pool.submit(create, sandbox)
        sandbox.wait_in_flight(1, route="POST /api/v1/servers")
        assert call(sandbox, "GET", "/account").status_code == 200  # not held
        requests_now = sandbox.state()["requests"]
        assert requests_now["inFlightByRoute"] == {"POST /api/v1/servers": 1}
        assert not order.done()
        sandbox.set_latency(0)
        assert order.result().status_code == 201
    assert sandbox.state()["requests"]["inFlightByRoute"] == {}
    r = requests.put(
        f"{sandbox.url}/_sandbox/latency", json={"seconds": 1, "routes": ["servers"]}, timeout=5
    )
    assert r.status_code == 400 and "METHOD /api/v1/path" in str(r.json()["message"])
