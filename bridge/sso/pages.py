"""The pages a customer's browser gets instead of a login: one per refusal, in the brand.

Each :class:`Refusal` has its HTTP status and its template (``templates/<kind>.html``,
extending ``base.html``); the templates hold every word the customer reads. Rendering is
plain Jinja with autoescaping on everything and ``StrictUndefined`` (a missing value is a
bug, not an empty string). Pages carry no script; their one ``<style>`` is allowed by a
per-response nonce in the Content-Security-Policy (:func:`security_headers`).
"""

from __future__ import annotations

import secrets
from enum import Enum

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bridge.sso.branding import Branding


class Refusal(Enum):
    """Why a click did not log the customer in: ``(kind, HTTP status, retryable)``.

    ``retryable`` ones tell the customer to try the same link again shortly, so the click
    gives the link back (:func:`bridge.sso.spent.release`); the others spend it for good.
    """

    INVALID = ("invalid", 404, False)  # garbage, tampered, signed with a retired secret
    EXPIRED = ("expired", 410, False)
    USED = ("used", 410, False)
    SERVICE_GONE = ("service_gone", 404, False)  # no such service (any more)
    NOT_YOURS = ("not_yours", 403, False)  # the service belongs to another client now
    SUSPENDED = ("suspended", 423, False)
    TERMINATED = ("terminated", 410, False)
    NOT_READY = ("not_ready", 409, True)  # still being set up; or Otwa says "not now"
    OTWA_DOWN = ("otwa_down", 503, True)
    OTWA_SLOW = ("otwa_slow", 504, True)
    BAD_TARGET = ("error", 502, False)  # Otwa's answer pointed somewhere we never redirect
    ERROR = ("error", 500, True)  # our own fault (a bug, the database)

    def __init__(self, template: str, status: int, retryable: bool) -> None:
        self.template = template
        self.status = status
        self.retryable = retryable

    @property
    def kind(self) -> str:
        """Stable lower-case name, for logs and metrics."""
        return self.name.lower()


_env = Environment(
    loader=PackageLoader("bridge.sso", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(refusal: Refusal, *, branding: Branding, back_url: str | None, nonce: str) -> str:
    """The HTML page for ``refusal``. ``back_url`` is the panel's client area (None: the
    page tells the customer to go back without a link); ``nonce`` allows its stylesheet."""
    template = _env.get_template(f"{refusal.template}.html")
    return template.render(
        brand=branding,
        back_url=back_url,
        nonce=nonce,
        status=refusal.status,
        retryable=refusal.retryable,
    )


def new_nonce() -> str:
    """A fresh Content-Security-Policy nonce (one per response)."""
    return secrets.token_urlsafe(16)


def security_headers(branding: Branding, nonce: str | None) -> dict[str, str]:
    """Headers for every SSO response, page or redirect: never cached, never a Referer (the
    URL holds a token), no framing, no sniffing, and a CSP that allows no script at all,
    only the page's own nonce'd style and the brand's logo origin."""
    img_src = branding.logo_origin or "'none'"
    style_src = f"'nonce-{nonce}'" if nonce else "'none'"
    return {
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex, nofollow",
        "Content-Security-Policy": (
            f"default-src 'none'; img-src {img_src}; style-src {style_src}; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
    }
