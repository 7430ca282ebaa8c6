"""The sandbox's stand-in for Otwa's web dashboard: GET /sso/<token> and /dashboard pages.

A valid token is spent on first use, opens a session (cookie) and redirects to its target,
which is always one of the sandbox's own relative paths. Used or expired tokens get an HTML
410 page, unknown ones a 404 page.
"""

from __future__ import annotations

from html import escape
from typing import Any

from flask import Blueprint, make_response, redirect, request

from bridge.sandbox.auth import state

dashboard = Blueprint("dashboard", __name__)
COOKIE = "otwa_sandbox_session"


def page(title: str, body: str, status: int = 200) -> Any:
    html = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)} - Otwa Cloud (sandbox)</title></head>"
        f"<body><header>Otwa Cloud <small>sandbox</small></header><main><h1>{escape(title)}</h1>"
        f"{body}</main></body></html>"
    )
    resp = make_response(html, status)
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@dashboard.get("/sso/<token>")
def redeem(token: str) -> Any:
    st = state()
    with st.lock:
        outcome, t = st.sso.redeem(token, st.now())
        if outcome == "unknown":
            return page("Login link not found", "<p>This login link does not exist.</p>", 404)
        if outcome == "gone":
            return page(
                "Login link expired",
                "<p>This login link has already been used or has expired. "
                "Ask for a new one from your billing panel.</p>",
                410,
            )
        assert t is not None
        sid = st.sso.open_session(t.account_id)
    resp = redirect(t.target, code=302)
    resp.set_cookie(COOKIE, sid, httponly=True, samesite="Lax")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _session_account() -> str | None:
    sid = request.cookies.get(COOKIE, "")
    with state().lock:
        return state().sso.sessions.get(sid)


@dashboard.get("/dashboard")
@dashboard.get("/dashboard/<path:rest>")
def show(rest: str = "") -> Any:
    account_id = _session_account()
    if account_id is None:
        return page("Not signed in", "<p>Open a fresh login link to sign in.</p>", 401)
    st = state()
    with st.lock:
        st.tick()
        acct = st.accounts[account_id]
        if rest.startswith("servers/"):
            s = st.server_of(account_id, rest.split("/", 2)[1])
            if s is None:
                return page("Server not found", "<p>No such server.</p>", 404)
            rows = "".join(
                f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>"
                for k, v in (
                    ("Label", s.label),
                    ("Status", s.status),
                    ("IP", s.primary["ip"] if s.primary else "-"),
                    ("OS", s.os),
                    ("Region", s.region),
                )  # fmt: skip
            )
            return page(f"Server {s.label}", f"<table data-server-id='{s.id}'>{rows}</table>")
        items = "".join(
            f"<li><a href='/dashboard/servers/{s.id}'>{escape(s.label)}</a> "
            f"({escape(s.status)})</li>"
            for s in st.servers.values()
            if s.account_id == account_id
        )
        return page(
            "Dashboard",
            f"<p>Signed in as {escape(acct.email)}</p><p>Page: /dashboard/{escape(rest)}</p>"
            f"<ul>{items}</ul>",
        )
