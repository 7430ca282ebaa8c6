"""``GET /sso/<token>`` for Flask: a 302 to a fresh Otwa login, or a branded HTML page.

:func:`create_blueprint` takes every collaborator as a parameter and reads no settings or
app config, so the app factory decides where they come from. Every response carries
:func:`bridge.sso.pages.security_headers` (``no-store``, ``no-referrer``, a script-free
CSP). Browsers only ever get HTML from here: errors inside the blueprint become the
"something went wrong" page, never JSON or a stack trace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

import sqlite_utils
from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import PathConverter

from bridge.sso import pages
from bridge.sso.branding import Branding, url_problem
from bridge.sso.clicks import Collaborators, follow
from bridge.sso.collaborators import Lookup, Mint
from bridge.sso.pages import Refusal
from bridge.sso.redirects import RedirectPolicy
from bridge.sso.tokens import LinkSigner

log = logging.getLogger(__name__)


class _AnyTail(PathConverter):
    """Everything after ``/sso/``, slashes and control characters included: werkzeug's
    ``path`` stops at a newline, and then the app's JSON 404 would reach a browser."""

    regex = r"[\s\S]+"
    part_isolating = False  # it spans "/" (werkzeug infers this only from a literal "/")


def _register_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("sso_tail", _AnyTail)


def create_blueprint(
    *,
    signer: LinkSigner,
    db: Callable[[], sqlite_utils.Database],
    lookup: Lookup,
    mint: Mint,
    policy: RedirectPolicy,
    branding: Branding,
    client_areas: Mapping[str, str],
    fallback_client_area: str | None = None,
    clock: Callable[[], float] = time.time,
    name: str = "sso",
) -> Blueprint:
    """The SSO blueprint (routes ``/sso/<token>`` and ``/sso/``, GET and HEAD).

    ``db``: this thread's bridge connection (``bridge.web.get_db``), ``sso`` migrations
    applied. ``client_areas``: panel name → the client-area URL its pages link back to;
    ``fallback_client_area`` is used when the panel is unknown (an invalid token names
    none). Raises ``ValueError`` at once for a client-area URL that is not http(s).
    ``clock``: epoch seconds (tests move it).
    """
    areas = dict(client_areas)
    to_check = [(f"client area URL of panel {p!r}", url) for p, url in areas.items()]
    if fallback_client_area is not None:
        to_check.append(("fallback client area URL", fallback_client_area))
    for what, url in to_check:
        problem = url_problem(url, what)
        if problem:
            raise ValueError(problem)
    parts = Collaborators(signer=signer, db=db, lookup=lookup, mint=mint, policy=policy)
    bp = Blueprint(name, __name__)
    bp.record_once(_register_converter)  # before the routes below use it

    def page(refusal: Refusal, panel: str | None) -> Response:
        back_url = areas.get(panel, fallback_client_area) if panel else fallback_client_area
        nonce = pages.new_nonce()
        html = pages.render(refusal, branding=branding, back_url=back_url, nonce=nonce)
        response = Response(html, status=refusal.status, mimetype="text/html")
        response.headers.update(pages.security_headers(branding, nonce))
        if refusal in (Refusal.OTWA_DOWN, Refusal.OTWA_SLOW, Refusal.NOT_READY):
            response.headers["Retry-After"] = "60"
        return response

    @bp.get("/sso/", defaults={"token": ""})
    @bp.get("/sso/<sso_tail:token>")
    def open_link(token: str) -> Response:
        if request.method == "HEAD":
            # Link checkers and mail scanners send HEAD: answer without spending the link.
            response = Response(status=200, mimetype="text/html")
            response.headers.update(pages.security_headers(branding, None))
            return response
        click = follow(token, now=clock(), parts=parts)
        if click.refusal is not None or click.location is None:
            return page(click.refusal or Refusal.ERROR, click.panel)
        response = Response(status=302)
        response.headers["Location"] = click.location
        response.headers.update(pages.security_headers(branding, None))
        return response

    @bp.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("sso page failed")
        return page(Refusal.ERROR, None)

    return bp
