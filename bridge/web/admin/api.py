"""``/admin/api/*``: the console's data as JSON, behind the same login (a session cookie
or the trusted proxy's header); every POST sends ``X-CSRF-Token`` (from
``GET /admin/api/session``). Errors are the one JSON shape."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from bridge.provisioning import admin as operator
from bridge.provisioning import health
from bridge.web import current_bridge, get_db
from bridge.web.admin import filters, guard

bp = Blueprint("admin_api", __name__, url_prefix="/admin/api")


@bp.before_request
def _guard() -> None:
    guard.require_admin()


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _ok(**body: Any) -> Response:
    return jsonify({"ok": True, **body})


@bp.get("/session")
def session() -> Response:
    """Who is signed in, how, and the CSRF token for POSTs."""
    admin = guard.require_admin()
    return _ok(user=admin.user, via=admin.via, csrf_token=admin.csrf_token)


@bp.get("/operations")
def operations() -> Response:
    wanted = filters.operation_filter(request.args)
    limit = filters.limit(request.args)
    rows = operator.list_operations(
        get_db(), wanted, limit=limit, before=filters.cursor(request.args)
    )
    return _ok(operations=rows, next=filters.next_cursor(rows, limit))


@bp.get("/operations/<operation_id>")
def operation(operation_id: str) -> Response:
    return _ok(**operator.show(get_db(), operation_id))


@bp.post("/operations/<operation_id>/retry")
def retry(operation_id: str) -> Response:
    state = operator.retry(get_db(), operation_id, current_bridge())
    return _ok(operation_id=operation_id, state=state)


@bp.post("/operations/<operation_id>/cancel")
def cancel(operation_id: str) -> Response:
    message = operator.cancel(get_db(), operation_id, current_bridge())
    return _ok(operation_id=operation_id, message=message)


@bp.get("/services")
def services() -> Response:
    rows, following = filters.services_page(get_db(), request.args)
    return _ok(services=rows, next="/".join(following) if following else None)


@bp.get("/dead-letters")
def dead_letters() -> Response:
    return _ok(dead_letters=operator.dead_letters(get_db(), limit=filters.limit(request.args, 100)))


@bp.get("/health")
def health_view() -> Response:
    return _ok(**health.overview(current_bridge(), get_db()))
