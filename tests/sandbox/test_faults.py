"""Fault injection: each kind, determinism, and that faults stay off the control API."""

from __future__ import annotations

import time

import pytest
import requests

from tests.sandbox.helpers import DEFAULT, call, create


def test_500_and_502_answer_without_executing(sandbox):
    sandbox.faults(1.0, ["500", "502"], seed=3)
    codes = set()
    for _ in range(8):
        r = create(sandbox)
        assert r.status_code in (500, 502) and r.json()["statusCode"] == r.status_code
        codes.add(r.status_code)
    assert codes == {500, 502}
    st = sandbox.state()  # the control API is never faulted
    assert st["servers"] == [] and st["balances"][DEFAULT] == "500.00"
    assert st["requests"]["faults"] == {"500": 8 - st["requests"]["faults"].get("502", 0),
                                        "502": st["requests"]["faults"]["502"]}  # fmt: skip


def test_injected_429_carries_rate_limit_headers(sandbox):
    sandbox.faults(1.0, ["429"], limit=1)
    r = create(sandbox)
    assert r.status_code == 429
    assert r.headers["X-RateLimit-Remaining"] == "0" and r.headers["Retry-After"]
    assert float(r.headers["X-RateLimit-Reset"]) > time.time() - 1
    assert sandbox.state()["servers"] == []
    assert create(sandbox).status_code == 201  # limit reached: faults stop


def test_timeout_holds_the_request_without_executing(sandbox):
    sandbox.faults(1.0, ["timeout"], delay=5)
    t0 = time.monotonic()
    with pytest.raises(requests.Timeout):
        create(sandbox, check=False) if False else requests.post(
            f"{sandbox.api}/servers",
            json={"productId": "x", "os": "debian-12", "osTemplate": "debian-12"},
            headers={"Authorization": f"Bearer {DEFAULT}"},
            timeout=0.5,
        )
    assert time.monotonic() - t0 < 3
    sandbox.clear_faults()  # releases the held request at once
    assert sandbox.state()["servers"] == []


def test_reset_drops_the_connection_and_executes_nothing(sandbox):
    sandbox.faults(1.0, ["reset"], methods=["POST"])
    with pytest.raises(requests.ConnectionError):
        create(sandbox)
    assert call(sandbox, "GET", "/account").status_code == 200  # GETs unaffected
    st = sandbox.state()
    assert st["servers"] == [] and st["charges"] == []


def test_lost_response_commits_and_the_retry_replays(sandbox):
    sandbox.faults(1.0, ["lost-response"], paths=["/servers"], limit=1)
    with pytest.raises(requests.ConnectionError):
        create(sandbox, idem="lost-1")
    st = sandbox.state()
    assert len(st["servers"]) == 1 and len(st["charges"]) == 1  # the change happened
    retry = create(sandbox, idem="lost-1")
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == st["servers"][0]["id"]
    assert len(sandbox.state()["charges"]) == 1


def test_same_seed_same_faults(sandbox):
    def run() -> list[int]:
        sandbox.faults(0.5, ["500", "502", "429"], seed=42)
        out = [call(sandbox, "GET", "/regions").status_code for _ in range(30)]
        sandbox.clear_faults()
        return out

    a, b = run(), run()
    assert a == b and 200 in a and len(set(a)) > 2
    sandbox.faults(0.5, ["500", "502", "429"], seed=7)
    c = [call(sandbox, "GET", "/regions").status_code for _ in range(30)]
    assert c != a


def test_bad_fault_config_is_400(sandbox):
    r = requests.post(f"{sandbox.url}/_sandbox/faults", json={"rate": 2, "kinds": ["boom"]},
                      timeout=5)  # fmt: skip
    assert r.status_code == 400 and len(r.json()["message"]) == 2
    assert sandbox.state()["faults"] is None
