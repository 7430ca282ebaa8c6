"""``/admin``: the console's HTML pages (see the package docstring).

Every page carries a strict CSP (no script at all; one nonce'd style block), no-store,
no-referrer and frame-ancestors 'none'. Errors under ``/admin`` are HTML pages that say
what to do; a missing session redirects to the login form.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, redirect, render_template, request
from werkzeug.routing import PathConverter
from werkzeug.wrappers import Response as BaseResponse

from bridge.access import sessions
from bridge.errors import BridgeError
from bridge.provisioning import admin as operator
from bridge.provisioning import health
from bridge.version import __version__
from bridge.web import current_bridge, get_db
from bridge.web.admin import filters, guard

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
MARGINS = "/admin/reports/margins"
OPEN_PATHS = ("admin.login", "admin.login_post", "admin.not_found")


def utc(t: float | None) -> str:
    """Epoch seconds as ``YYYY-MM-DD HH:MM:SS`` UTC (``-`` when unknown)."""
    if t is None:
        return "-"
    return datetime.fromtimestamp(float(t), UTC).strftime("%Y-%m-%d %H:%M:%S")


@bp.record_once
def _filters(state: Any) -> None:
    state.app.jinja_env.filters.setdefault("utc", utc)


def _page(template: str, status: int = 200, **context: Any) -> Response:
    nonce = secrets.token_urlsafe(16)
    html = render_template(
        f"admin/{template}",
        nonce=nonce,
        admin=g.get("admin"),
        version=__version__,
        margins=has_margins(),
        **context,
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return response


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def has_margins() -> bool:
    """True when the ledger's margin report route is registered."""
    return any(rule.rule == MARGINS for rule in current_app.url_map.iter_rules())


@bp.before_request
def _guard() -> None:
    if request.endpoint in OPEN_PATHS:
        return
    guard.require_admin()


@bp.errorhandler(BridgeError)
def _error(exc: BridgeError) -> BaseResponse:
    if isinstance(exc, guard.NotSignedIn):
        target = request.full_path.rstrip("?") if request.method == "GET" else "/admin"
        response = redirect("/admin/login?" + urlencode({"next": target}), 303)
        return response
    if isinstance(exc, guard.NotConfigured):
        return _page("setup.html", 503, message=exc.message)
    response = _page("error.html", exc.status, error=exc)
    if isinstance(exc, guard.Throttled):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


# -- login -----------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """Only a path under /admin (never another host): an open redirect is a phishing aid."""
    if value and value.startswith("/admin") and "//" not in value and "\\" not in value:
        if value.isprintable():
            return value
    return "/admin"


def _login_page(
    status: int = 200, error: str | None = None, next_path: str | None = None
) -> Response:
    bridge = current_bridge()
    if not guard.configured(bridge):
        raise guard.NotConfigured(guard.SETUP)
    nonce, token = guard.login_form_token()
    response = _page(
        "login.html",
        status,
        next=_safe_next(next_path),
        csrf_token=token,
        error=error,
        password_login=bool(bridge.settings.admin_password_hash.get_secret_value()),
    )
    guard.set_cookie(response, guard.LOGIN_COOKIE, nonce, max_age=3600)
    return response


@bp.get("/login")
def login() -> Response:
    return _login_page(next_path=request.args.get("next"))


@bp.post("/login")
def login_post() -> BaseResponse:
    next_path = request.form.get("next")
    try:
        guard.check_login_form()
        token = guard.log_in(request.form.get("password", ""))
    except guard.Throttled as exc:
        response = _login_page(429, exc.message, next_path)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except BridgeError as exc:
        return _login_page(exc.status, exc.message, next_path)
    key = guard.cookie_key(current_bridge())
    back = redirect(_safe_next(next_path), 303)
    guard.set_cookie(back, guard.COOKIE, sessions.cookie_value(key, token), max_age=None)
    guard.clear_cookie(back, guard.LOGIN_COOKIE)
    return back


@bp.post("/logout")
def logout() -> BaseResponse:
    guard.log_out(guard.require_admin())
    response = redirect("/admin/login", 303)
    guard.clear_cookie(response, guard.COOKIE)
    return response


# -- pages -----------------------------------------------------------------------------------


@bp.get("")
@bp.get("/")
def overview() -> Response:
    return _page("overview.html", health=health.overview(current_bridge(), get_db()))


@bp.get("/operations")
def operations() -> Response:
    wanted = filters.operation_filter(request.args)
    limit = filters.limit(request.args)
    rows = operator.list_operations(
        get_db(), wanted, limit=limit, before=filters.cursor(request.args)
    )
    following = filters.next_cursor(rows, limit)
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "before"]
    next_url = (
        "/admin/operations?" + urlencode([*args, ("before", following)]) if following else None
    )
    return _page(
        "operations.html",
        rows=rows,
        f=wanted,
        states=operator.STATES,
        actions=_actions(),
        next_url=next_url,
        shorten=operator.shorten,
    )


def _actions() -> tuple[str, ...]:
    from bridge.commands import ACTIONS

    return ACTIONS


@bp.get("/operations/<operation_id>")
def operation(operation_id: str) -> Response:
    record = operator.show(get_db(), operation_id)
    return _page("operation.html", record=record, said=None)


CONTROLS = {
    "retry": "Re-queue this operation (same idempotency key). A terminate cancelled in its "
    "grace period waits out the rest of it; it is never destroyed at once.",
    "cancel": "Cancel this operation. A terminate in its grace period leaves the service "
    "active: its server is started again, unless the service is suspended.",
}


@bp.get("/operations/<operation_id>/<any(retry, cancel):control>")
def confirm(operation_id: str, control: str) -> Response:
    record = operator.show(get_db(), operation_id)
    return _page("confirm.html", record=record, control=control, explain=CONTROLS[control])


@bp.post("/operations/<operation_id>/<any(retry, cancel):control>")
def control(operation_id: str, control: str) -> Response:
    bridge = current_bridge()
    db = get_db()
    if control == "retry":
        state = operator.retry(db, operation_id, bridge)
        said = f"{operation_id}: re-queued as {state}; the worker picks it up."
    else:
        said = operator.cancel(db, operation_id, bridge)
    return _page("operation.html", record=operator.show(db, operation_id), said=said)


@bp.get("/services")
def services() -> Response:
    args = request.args
    rows, following = filters.services_page(get_db(), args)
    next_url = None
    if following:
        kept = [(k, v) for k, v in args.items(multi=True) if k != "after"]
        next_url = "/admin/services?" + urlencode([*kept, ("after", "/".join(following))])
    return _page("services.html", rows=rows, args=args, next_url=next_url)


@bp.get("/dead-letters")
def dead_letters() -> Response:
    return _page("dead_letters.html", rows=operator.dead_letters(get_db(), limit=200))


class _PageTail(PathConverter):
    """A path under /admin that is not the JSON API's (that one answers JSON 404s)."""

    regex = r"(?!api(?:/|$))[^/].*?"


@bp.record_once
def _converter(state: Any) -> None:
    state.app.url_map.converters.setdefault("admin_page", _PageTail)


@bp.get("/<admin_page:rest>")
def not_found(rest: str) -> Response:
    raise BridgeError("No such admin page. Start from /admin.", code="not_found", status=404)
