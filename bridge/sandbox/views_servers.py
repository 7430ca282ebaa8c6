"""The server endpoints: list/create/get/rename/delete, power, credentials, stats,
password reset, reinstall, add-ons and per-server SSO.

Every handler decides and writes under ``state.lock``, so each request is atomic (and
ticks the billing first: state.py). Rules for states: power/reinstall/password-reset/add-on
purchase/credentials on pending, building, failed, suspended or terminated servers -> 409;
a suspended server still reads, renames, opens SSO and can be deleted; a terminated server
still reads (status "terminated", listed by GET /servers) but every change to it -> 409.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from flask import g, request

from bridge.sandbox.accounts import Account
from bridge.sandbox.auth import account, processing_delay, requires, state
from bridge.sandbox.blueprint import api
from bridge.sandbox.catalog import REGION_SLUGS, Addon, find_plan
from bridge.sandbox.errors import ApiError
from bridge.sandbox.idempotency import fingerprint
from bridge.sandbox.money import fmt
from bridge.sandbox.servers import PERIOD, Server, new_password
from bridge.sandbox.validation import (
    check_hostname,
    check_label,
    hostname_from,
    json_body,
    resolve_os,
)
from bridge.sandbox.views_account import sso_link


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Honour Idempotency-Key (per account, 24 h): replay, 422 on a different body, 409 while
    the first request still runs. Only 2xx results are stored."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            processing_delay()
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255:
            raise ApiError(400, "Idempotency-Key must be 1-255 characters")
        st = state()
        acct_id = g.key.account_id
        try:
            parsed = json_body(required=False)
        except ApiError:
            parsed = None
        fp = fingerprint(request.method, request.path, parsed, request.get_data(cache=True))
        with st.lock:
            rec = st.idem.get(acct_id, key, st.now())
            if rec is not None:
                if rec.fingerprint != fp:
                    raise ApiError(
                        422, "Idempotency-Key was already used with a different request body"
                    )
                if not rec.done:
                    raise ApiError(
                        409, "A request with this Idempotency-Key is still being processed"
                    )
                return rec.body, rec.status, {"Idempotent-Replayed": "true"}
            st.idem.reserve(acct_id, key, fp, st.now())
        try:
            processing_delay()
            body, status = view(*args, **kwargs)
        except BaseException:
            with st.lock:
                st.idem.drop(acct_id, key)
            raise
        with st.lock:
            st.idem.complete(acct_id, key, status, body)
        return body, status

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper


def own_server(server_id: str) -> Server:
    """The caller's server, up to date; 404 for unknown ids and other accounts' servers."""
    s = state().server_of(g.key.account_id, server_id)
    if s is None:
        raise ApiError(404, "Server not found")
    return s


def require_status(s: Server, allowed: tuple[str, ...], action: str) -> None:
    if s.status not in allowed:
        raise ApiError(409, conflict(s, action))


def conflict(s: Server, action: str) -> str:
    """The 409 message for ``action`` on ``s`` in its current status."""
    if s.status == "suspended":
        return (
            f"Cannot {action}: server is suspended (unpaid renewal); "
            "add funds to the wallet to reactivate it"
        )
    return f"Cannot {action}: server is {s.status}"


@api.get("/servers")
@requires("servers:read")
def list_servers() -> Any:
    st = state()
    with st.lock:
        now = st.tick()
        out = []
        for s in st.servers.values():
            if s.account_id == g.key.account_id:
                s.refresh(now)
                out.append(s.summary())
        return out


@api.post("/servers")
@requires("servers:write")
@idempotent
def create_server() -> Any:
    body = json_body()
    errors: list[str] = []
    plan = None
    product_id = body.get("productId")
    if product_id is None:
        errors.append("productId is required")
    elif not isinstance(product_id, str):
        errors.append("productId must be a string")
    else:
        plan = find_plan(product_id)
        if plan is None:
            errors.append(f"productId '{product_id}' is not a known product")
    template = resolve_os(body.get("os"), body.get("osTemplate"), errors, template_required=True)
    region = body.get("region")
    if region is not None:
        if not isinstance(region, str) or region not in REGION_SLUGS:
            errors.append(f"region '{region}' is not a known region")
        elif plan is not None and region not in plan.regions:
            errors.append(f"region '{region}' is not offered by product {plan.name}")
    label = body.get("label")
    if label is not None:
        check_label(label, errors)
    hostname = body.get("hostname")
    if hostname is not None:
        check_hostname(hostname, errors)
    addons: list[Addon] = []
    raw_addons = body.get("addons", [])
    if raw_addons is None:
        raw_addons = []
    if not isinstance(raw_addons, list) or not all(isinstance(a, str) for a in raw_addons):
        errors.append("addons must be a list of add-on id strings")
    elif plan is not None:
        for addon_id in raw_addons:
            addon = plan.addon(addon_id)
            if addon is None:
                errors.append(f"addon '{addon_id}' is not offered by product {plan.name}")
            elif any(a.type == addon.type for a in addons):
                errors.append(f"only one add-on of type {addon.type} is allowed per server")
            else:
                addons.append(addon)
    if errors:
        raise ApiError(400, errors)
    assert plan is not None and template is not None
    region = region or plan.regions[0]
    server_id = str(uuid.uuid4())
    label = label or f"srv-{server_id[:8]}"
    hostname = hostname or hostname_from(label)
    st = state()
    with st.lock:
        now = st.tick()
        acct = account()
        prices = {a.id: acct.pays(a.monthly_price) for a in addons}
        plan_price = acct.pays(plan.monthly_price)
        total = plan_price + sum(prices.values(), Decimal("0"))
        if acct.balance < total:
            raise ApiError(
                402, f"Insufficient balance: {fmt(total)} needed, {fmt(acct.balance)} available"
            )
        primary = st.ipam.single(region, "primary")
        s = Server(server_id, acct.id, plan, label, hostname, template.id, region, now, primary)
        s.schedule_build(now, st.rng, st.failure_rate, pending=True)
        for a in addons:
            attach(s, a, prices[a.id])
        st.add_server(s)
        month = (now, now + PERIOD)
        st.charge(acct, plan_price, "server", s.id, f"{plan.name} monthly ({s.label})",
                  at=now, period=month)  # fmt: skip
        for a in addons:
            st.charge(acct, prices[a.id], "addon", s.id, f"{a.name} monthly ({s.label})",
                      at=now, period=month, addon_id=a.id)  # fmt: skip
        return s.detail(now), 201


def attach(s: Server, addon: Addon, price: Decimal) -> None:
    """Attach ``addon`` at ``price`` and allocate its addresses (caller holds the lock)."""
    st = state()
    s.addons.append(addon)
    s.prices[addon.id] = price
    if addon.type == "extra-ip":
        s.extra_ips += [st.ipam.single(s.region, "extra-ip") for _ in range(addon.ip_count)]
    elif addon.type == "ip-class":
        assert s.primary is not None
        s.extra_ips += st.ipam.block(s.region, s.primary["gateway"])


@api.get("/servers/<server_id>")
@requires("servers:read")
def get_server(server_id: str) -> Any:
    with state().lock:
        return own_server(server_id).detail(state().now())


def _rename(server_id: str) -> Any:
    body = json_body()
    errors: list[str] = []
    if "label" not in body:
        errors.append("label is required")
    else:
        check_label(body["label"], errors)
    if errors:
        raise ApiError(400, errors)
    with state().lock:
        s = own_server(server_id)
        if s.status == "terminated":
            raise ApiError(409, "Cannot rename: server is terminated")
        s.label = body["label"]
        return s.detail(state().now())


@api.patch("/servers/<server_id>/label")
@requires("servers:write")
def rename_server(server_id: str) -> Any:
    return _rename(server_id)


@api.patch("/servers/<server_id>")
@requires("servers:write")
def rename_server_alias(server_id: str) -> Any:
    return _rename(server_id)


@api.delete("/servers/<server_id>")
@requires("servers:destroy")
def terminate_server(server_id: str) -> Any:
    st = state()
    with st.lock:
        s = own_server(server_id)
        if s.status == "terminated":
            raise ApiError(409, "Server is already terminated")
        st.terminate(s)
        return {"ok": True, "id": s.id, "status": "terminated"}


_POWER = {
    "start": (("stopped",), "running", "starting"),
    "stop": (("running",), "stopped", "stopping"),
    "reboot": (("running",), "running", "rebooting"),
}


def _power(server_id: str, action: Any) -> Any:
    if not isinstance(action, str) or action not in _POWER:  # {} or [] would not hash
        raise ApiError(400, "action must be one of start, stop, reboot")
    allowed, target, word = _POWER[action]
    with state().lock:
        s = own_server(server_id)
        if s.status not in allowed:
            already = {("start", "running"), ("stop", "stopped")}
            if (action, s.status) in already:
                raise ApiError(409, f"Server is already {s.status}")
            raise ApiError(409, conflict(s, action))
        s.status = target
        return {"id": s.id, "action": action, "status": word}


@api.post("/servers/<server_id>/power/<action>")
@requires("servers:write")
def power(server_id: str, action: str) -> Any:
    return _power(server_id, action)


@api.post("/servers/<server_id>/power")
@requires("servers:write")
def power_alias(server_id: str) -> Any:
    return _power(server_id, json_body().get("action"))


@api.get("/servers/<server_id>/credentials")
@requires("servers:read")
def credentials(server_id: str) -> Any:
    with state().lock:
        s = own_server(server_id)
        require_status(s, ("running", "stopped"), "read credentials")
        return s.credentials()


@api.get("/servers/<server_id>/stats")
@requires("servers:read")
def stats(server_id: str) -> Any:
    st = state()
    with st.lock:
        return own_server(server_id).stats(st.now(), st.stats_rng)


@api.post("/servers/<server_id>/password-reset")
@requires("servers:write")
def password_reset(server_id: str) -> Any:
    with state().lock:
        s = own_server(server_id)
        require_status(s, ("running",), "reset the password")
        s.password = new_password()
        return {"username": s.username, "password": s.password}


@api.post("/servers/<server_id>/reinstall")
@requires("servers:destroy")
@idempotent
def reinstall(server_id: str) -> Any:
    body = json_body()
    errors: list[str] = []
    template = resolve_os(body.get("os"), body.get("osTemplate"), errors, template_required=False)
    if errors:
        raise ApiError(400, errors)
    assert template is not None
    st = state()
    with st.lock:
        s = own_server(server_id)
        require_status(s, ("running", "stopped"), "reinstall")
        s.os = template.id
        s.password = new_password()
        s.schedule_build(st.now(), st.rng, st.failure_rate, pending=False)
        return s.detail(st.now()), 200


def _offers(s: Server, acct: Account, now: float) -> list[dict[str, Any]]:
    active = s.active_types()
    attached = {a.id for a in s.addons}
    out = []
    for a in s.plan.addons:
        monthly = acct.pays(a.monthly_price)
        out.append(
            {
                "id": a.id,
                "name": a.name,
                "type": a.type,
                "monthlyPrice": fmt(monthly),
                "proratedPrice": fmt(s.prorated(monthly, now)),
                "active": a.type in active,
                "attached": a.id in attached,
            }
        )
    return out


@api.get("/servers/<server_id>/addons")
@requires("servers:read")
def list_addons(server_id: str) -> Any:
    st = state()
    with st.lock:
        s = own_server(server_id)
        return _offers(s, account(), st.tick())


@api.post("/servers/<server_id>/addons")
@requires("servers:write")
def purchase_addon(server_id: str) -> Any:
    body = json_body()
    addon_id = body.get("addonId")
    if not isinstance(addon_id, str) or not addon_id:
        raise ApiError(400, "addonId must be a non-empty string")
    st = state()
    with st.lock:
        s = own_server(server_id)
        require_status(s, ("running", "stopped"), "attach an add-on")
        addon = s.plan.addon(addon_id)
        if addon is None:
            raise ApiError(400, f"addon '{addon_id}' is not offered by product {s.plan.name}")
        if addon.type in s.active_types():
            raise ApiError(400, f"an add-on of type {addon.type} is already active on this server")
        acct = account()
        now = st.tick()
        monthly = acct.pays(addon.monthly_price)
        charge = s.prorated(monthly, now)
        if acct.balance < charge:
            raise ApiError(
                402, f"Insufficient balance: {fmt(charge)} needed, {fmt(acct.balance)} available"
            )
        attach(s, addon, monthly)
        st.charge(acct, charge, "addon", s.id, f"{addon.name} prorated ({s.label})",
                  at=now, period=(now, s.renews_at(now)), addon_id=addon.id)  # fmt: skip
        offer = next(o for o in _offers(s, acct, now) if o["id"] == addon.id)
        return {
            "addon": offer,
            "charged": fmt(charge),
            "balance": fmt(acct.balance),
            "server": s.detail(now),
        }, 201


@api.post("/servers/<server_id>/sso")
@requires("servers:write")
def server_sso(server_id: str) -> Any:
    with state().lock:
        s = own_server(server_id)
        account_id, target = s.account_id, f"/dashboard/servers/{s.id}"
    return sso_link(account_id, target)
