"""The control API for tests and demos: /_sandbox/*, no key, never faulted or rate-limited."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from bridge.sandbox.auth import state
from bridge.sandbox.errors import ApiError
from bridge.sandbox.faults import parse_config
from bridge.sandbox.money import fmt, parse
from bridge.sandbox.ratelimit import MODES, new_limiter
from bridge.sandbox.validation import json_body

control = Blueprint("control", __name__, url_prefix="/_sandbox")

_SETTABLE = ("pending", "building", "running", "stopped", "suspended", "failed")


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ApiError(400, f"{name} must be a number between {low:g} and {high:g}")
    return float(value)


@control.get("/state")
def get_state() -> Any:
    return state().snapshot()


@control.post("/reset")
def reset() -> Any:
    state().reset()
    return {"ok": True}


@control.post("/clock/advance")
def advance() -> Any:
    seconds = _number(json_body(), "seconds", 0, 10 * 365 * 86400)
    st = state()
    now = st.clock.advance(seconds)
    return {"ok": True, "now": now}


@control.put("/clock")
def set_clock() -> Any:
    """{"timeScale": F}: change the clock's speed live (0 freezes it); reset restores it."""
    scale = _number(json_body(), "timeScale", 0, 1_000_000)
    st = state()
    st.clock.set_scale(scale)
    return {"ok": True, "timeScale": scale, "now": st.now()}


@control.put("/accounts/<key>/balance")
def set_balance(key: str) -> Any:
    balance = parse(json_body().get("balance"))
    if balance is None:
        raise ApiError(400, 'balance must be a decimal string such as "12.00"')
    st = state()
    with st.lock:
        api_key = st.keys.get(key)
        if api_key is None:
            raise ApiError(404, f"No sandbox key {key}")
        acct = st.accounts[api_key.account_id]
        acct.balance = balance
        return {"ok": True, "accountId": acct.id, "balance": fmt(acct.balance)}


@control.post("/faults")
def set_faults() -> Any:
    config, errors = parse_config(json_body())
    if errors:
        raise ApiError(400, errors)
    assert config is not None
    state().faults.configure(config)
    return {"ok": True, "faults": state().faults.describe()}


@control.delete("/faults")
def clear_faults() -> Any:
    state().faults.clear()
    return {"ok": True}


@control.put("/build-failure-rate")
def set_failure_rate() -> Any:
    rate = _number(json_body(), "rate", 0, 1)
    st = state()
    with st.lock:
        st.failure_rate = rate
    return {"ok": True, "rate": rate}


@control.put("/latency")
def set_latency() -> Any:
    """{"seconds": S}: real seconds every /api/v1 request waits before executing; requests
    already waiting are released (so a test can hold a request, then let it finish)."""
    seconds = _number(json_body(), "seconds", 0, 120)
    state().set_latency(seconds)
    return {"ok": True, "seconds": seconds}


@control.put("/ratelimit")
def set_rate_limit() -> Any:
    """{"mode": "fixed" | "sliding"}: count from now on in that mode, every key starting afresh;
    reset returns to the mode the process started with."""
    mode = json_body().get("mode")
    if not isinstance(mode, str) or mode not in MODES:
        raise ApiError(400, f"mode must be one of {', '.join(MODES)}")
    st = state()
    with st.lock:
        st.limiter = new_limiter(mode)
    return {"ok": True, "mode": mode}


@control.put("/servers/<server_id>/status")
def set_status(server_id: str) -> Any:
    """{"status": S}: force a server's status (e.g. suspended) to stage a scenario."""
    status = json_body().get("status")
    if status not in _SETTABLE:
        raise ApiError(400, f"status must be one of {', '.join(_SETTABLE)}")
    st = state()
    with st.lock:
        s = st.servers.get(server_id)
        if s is None:
            raise ApiError(404, "Server not found")
        s.refresh(st.now())
        if s.status == "terminated":
            raise ApiError(409, "Server is terminated")
        s.status = status
        if status not in ("pending", "building"):
            s.building_at = s.done_at = None
        return {"ok": True, "id": s.id, "status": s.status}
