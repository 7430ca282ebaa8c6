"""The control API for tests and demos: /_sandbox/*, no key, never faulted or rate-limited."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint

from bridge.sandbox.accounts import Account
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


def _account_of(key: str) -> Account:
    """The account behind sandbox key ``key`` (caller holds the lock); 404 if there is none."""
    api_key = state().keys.get(key)
    if api_key is None:
        raise ApiError(404, f"No sandbox key {key}")
    return state().accounts[api_key.account_id]


@control.put("/accounts/<key>/balance")
def set_balance(key: str) -> Any:
    """{"balance": "12.00"}: set the wallet; raising it is a top-up (reactivates, see below)."""
    balance = parse(json_body().get("balance"))
    if balance is None:
        raise ApiError(400, 'balance must be a decimal string such as "12.00"')
    st = state()
    with st.lock:
        acct = _account_of(key)
        now = st.tick()  # renewals due until now meet the wallet as it was
        raised = balance > acct.balance
        acct.balance = balance
        reactivated = st.billing.reactivate(st, acct, now) if raised else []
        return {"ok": True, "accountId": acct.id, "balance": fmt(acct.balance),
                "reactivated": reactivated}  # fmt: skip


@control.post("/accounts/<key>/topup")
def top_up(key: str) -> Any:
    """{"amount": "50.00"}: add to the wallet, then reactivate the account's suspended servers
    (oldest suspension first, each only if its overdue renewal is covered in full)."""
    amount = parse(json_body().get("amount"))
    if amount is None or amount <= 0:
        raise ApiError(400, 'amount must be a positive decimal string such as "50.00"')
    st = state()
    with st.lock:
        acct = _account_of(key)
        now = st.tick()
        acct.balance += amount
        reactivated = st.billing.reactivate(st, acct, now)
        return {"ok": True, "accountId": acct.id, "balance": fmt(acct.balance),
                "reactivated": reactivated}  # fmt: skip


@control.put("/accounts/<key>/margin")
def set_margin(key: str) -> Any:
    """{"marginPercent": "25.00"}: a reseller partner's discount from now on (a tier change);
    renewals already due were charged at the old one."""
    margin = parse(json_body().get("marginPercent"))
    if margin is None or margin >= 100:
        raise ApiError(400, 'marginPercent must be a decimal string from "0" to "99.99"')
    st = state()
    with st.lock:
        acct = _account_of(key)
        if not acct.partner:
            raise ApiError(
                409, f"Account {acct.name} is not a reseller partner: it pays list prices"
            )
        st.tick()
        acct.margin_percent = margin
        return {"ok": True, "accountId": acct.id, "marginPercent": fmt(margin)}


@control.put("/grace-period")
def set_grace_period() -> Any:
    """{"seconds": N}: how long a server suspended for an unpaid renewal waits before it is
    terminated (default 7 days); applies to servers already suspended too."""
    seconds = _number(json_body(), "seconds", 0, 10 * 365 * 86400)
    st = state()
    with st.lock:
        st.tick()  # suspensions that ran out under the old setting are terminated first
        st.billing.grace = seconds
        st.billing.invalidate()
    return {"ok": True, "seconds": seconds}


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
    """{"seconds": S, "routes"?: ["POST /api/v1/servers", ...]}: real seconds every /api/v1
    request (or only those of the listed routes) waits before executing; requests already
    waiting are released (so a test can hold a request, then let it finish)."""
    body = json_body()
    seconds = _number(body, "seconds", 0, 120)
    routes = body.get("routes")
    if routes is not None and (
        not isinstance(routes, list)
        or not routes
        or not all(isinstance(r, str) and re.fullmatch(r"[A-Z]+ /api/v1\S*", r) for r in routes)
    ):
        raise ApiError(
            400,
            'routes must be a non-empty list of "METHOD /api/v1/path" strings, e.g. '
            '["POST /api/v1/servers"] (server ids written as :id)',
        )
    state().set_latency(seconds, frozenset(routes) if routes is not None else None)
    return {"ok": True, "seconds": seconds, "routes": routes}


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
    """{"status": S}: force a server's status (e.g. suspended) to stage a scenario. Forcing
    suspended remembers the status to restore; forcing a server out of a suspension for an
    unpaid renewal waives what is overdue (paid up to the end of the current period)."""
    status = json_body().get("status")
    if status not in _SETTABLE:
        raise ApiError(400, f"status must be one of {', '.join(_SETTABLE)}")
    st = state()
    with st.lock:
        now = st.tick()
        s = st.servers.get(server_id)
        if s is None:
            raise ApiError(404, "Server not found")
        s.refresh(now)
        if s.status == "terminated":
            raise ApiError(409, "Server is terminated")
        if status == "suspended":
            if s.status != "suspended":
                s.resume_status = s.status  # what a reactivation would restore
        else:
            if s.suspended_at is not None:  # forced out of a billing suspension: waived
                s.suspended_at = None
                s.paid_until = s.renews_at(now)
            s.resume_status = None
        s.status = status
        if status not in ("pending", "building", "suspended"):  # suspended: resumes the build
            s.building_at = s.done_at = None
        st.billing.invalidate()
        return {"ok": True, "id": s.id, "status": s.status}
