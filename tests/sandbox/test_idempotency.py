"""Idempotency-Key on POST /servers and POST /servers/:id/reinstall."""

from __future__ import annotations

import threading

import requests

from tests.sandbox.helpers import DESTROY, OTHER, call, create, freeze, running_server


def test_same_key_same_body_replays_without_second_charge(sandbox):
    first = create(sandbox, idem="order-1", label="web-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    sandbox.advance(500)  # the server is running by now; the replay still shows the first body
    again = create(sandbox, idem="order-1", label="web-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again.json()["status"] == "pending"
    st = sandbox.state()
    assert len(st["servers"]) == 1 and len(st["charges"]) == 1


def test_same_key_different_body_is_422(sandbox):
    assert create(sandbox, idem="k", label="a").status_code == 201
    r = create(sandbox, idem="k", label="b")
    assert r.status_code == 422 and "different request body" in r.json()["message"]
    assert len(sandbox.state()["servers"]) == 1


def test_keys_are_per_account_and_expire_after_24h(sandbox):
    freeze(sandbox)
    assert create(sandbox, idem="shared").status_code == 201
    r = create(sandbox, OTHER, idem="shared")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    sandbox.advance(24 * 3600 - 10)
    assert create(sandbox, idem="shared").headers.get("Idempotent-Replayed") == "true"
    sandbox.advance(20)
    r = create(sandbox, idem="shared")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    assert len(sandbox.state()["servers"]) == 3


def test_failed_requests_are_not_stored(sandbox):
    sandbox.set_balance("otwa_sandbox_default", "1.00")
    assert create(sandbox, idem="k1").status_code == 402
    assert create(sandbox, idem="k1", label="!bad").status_code == 400
    sandbox.set_balance("otwa_sandbox_default", "100.00")
    r = create(sandbox, idem="k1")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers


def test_in_flight_key_is_409_and_executes_once(sandbox):
    sandbox.set_latency(60)  # the first request holds (key reserved) until the latency changes
    results: list[requests.Response] = []
    t = threading.Thread(target=lambda: results.append(create(sandbox, idem="slow")))
    t.start()
    sandbox.wait_in_flight(1)
    r = create(sandbox, idem="slow")
    sandbox.set_latency(0)  # let the first one finish
    t.join(timeout=10)
    assert r.status_code == 409 and "still being processed" in r.json()["message"]
    assert results[0].status_code == 201
    st = sandbox.state()
    assert len(st["servers"]) == 1 and st["requests"]["inFlight"] == 0


def test_reinstall_with_key_replays(sandbox):
    s = running_server(sandbox)
    body = {"os": "almalinux-10.1"}
    h = {"Idempotency-Key": "re-1"}
    first = call(sandbox, "POST", f"/servers/{s['id']}/reinstall", DESTROY, json=body, headers=h)
    assert first.status_code == 200
    pw = sandbox.state()["servers"][0]["password"]
    again = call(sandbox, "POST", f"/servers/{s['id']}/reinstall", DESTROY, json=body, headers=h)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert sandbox.state()["servers"][0]["password"] == pw  # not executed twice
