"""API-key authentication, the per-key rate limit and per-endpoint scope checks.

Order for every /api/v1 request (except the public affiliate rule): key (401) -> rate limit
(429; every request with a valid key counts, whatever its outcome) -> scope (403) -> the
endpoint (404 for another account's server, never 403).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app, g, request

from bridge.sandbox.accounts import Account, ApiKey
from bridge.sandbox.errors import ApiError
from bridge.sandbox.faults import route_of

if TYPE_CHECKING:
    from bridge.sandbox.state import SandboxState

F = TypeVar("F", bound=Callable[..., Any])


def state() -> SandboxState:
    """The app's simulated world (accounts, keys, servers, clock, faults)."""
    world: SandboxState = current_app.config["SANDBOX_STATE"]
    return world


def authenticate() -> None:
    """before_request of the API blueprint: sets ``g.key`` and ``g.verdict`` or raises."""
    if request.url_rule is None or getattr(
        current_app.view_functions.get(request.endpoint or ""), "public", False
    ):
        return
    header = request.headers.get("Authorization", "")
    if not header:
        raise ApiError(401, "Missing API key: send Authorization: Bearer otwa_...")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith("otwa_"):
        raise ApiError(401, "Malformed Authorization header: expected Bearer otwa_...")
    st = state()
    with st.lock:
        key = st.keys.get(token)
        if key is None:
            raise ApiError(401, "Invalid API key")
        verdict = st.limiter.hit(token, st.now())
    g.key, g.verdict = key, verdict
    if not verdict.allowed:
        raise ApiError(
            429,
            "ThrottlerException: Too Many Requests",
            {"Retry-After": verdict.retry_after(st.clock)},
        )
    if not getattr(current_app.view_functions[request.endpoint or ""], "idempotent", False):
        processing_delay()


def processing_delay() -> None:
    """Mark the request as executing, then wait the artificial latency (PUT /_sandbox/latency).

    Called once per request that got past the key, the rate limit and any Idempotency-Key
    reservation: from here until its answer it counts in ``requests.inFlight`` (the API
    blueprint's teardown ends the count). The wait happens outside the lock and ends early
    when the latency setting changes or the sandbox is reset.
    """
    st = state()
    route = route_of(request.method, request.path)
    with st.lock:
        st.in_flight += 1
        st.in_flight_routes[route] += 1
        delay, release = st.latency_of(route), st.latency_release
    g.executing = route
    if delay > 0:
        release.wait(delay)


def end_execution(_exc: BaseException | None = None) -> None:
    """teardown_request of the API blueprint: the request no longer counts as in flight."""
    route = g.pop("executing", None)
    if route:
        st = state()
        with st.lock:
            st.in_flight -= 1
            st.in_flight_routes[route] -= 1


def requires(*scopes: str) -> Callable[[F], F]:
    """Reject with 403 naming the missing scope(s) unless the key holds all of ``scopes``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key: ApiKey = g.key
            missing = key.missing(scopes)
            if missing:
                raise ApiError(403, f"API key is missing required scope(s): {', '.join(missing)}")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Mark a view as needing no key and not rate-limited."""
    view.public = True  # type: ignore[attr-defined]
    return view


def account() -> Account:
    """The account of the calling key (callers hold the state lock)."""
    return state().accounts[g.key.account_id]
