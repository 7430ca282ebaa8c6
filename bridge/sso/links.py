"""Handing a link out: the ``sso_link`` hook's checks and reply, minus the HTTP.

:func:`issue_refusal` says why no link may be issued for a service (in the hook error
shape's terms: a stable code, a status, a sentence for the panel's admin), :func:`reply`
turns an issued token into ``{"url": "<public base>/sso/<token>", "expires_at": ISO 8601}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bridge.settings import public_base_problem
from bridge.sso.collaborators import ServiceRecord, service_refusal
from bridge.sso.pages import Refusal
from bridge.sso.tokens import IssuedLink, Target


@dataclass(frozen=True)
class IssueRefusal:
    """Why the hook gets no link: ``code`` and ``status`` for the JSON error shape."""

    code: str
    status: int
    message: str


_BY_REFUSAL = {
    Refusal.SERVICE_GONE: ("no_server", 404, "Service {s} has no server at the bridge."),
    Refusal.NOT_YOURS: ("client_mismatch", 403, "Service {s} belongs to another client."),
    Refusal.SUSPENDED: ("service_suspended", 409, "Service {s} is suspended."),
    Refusal.TERMINATED: ("no_server", 404, "Service {s} is terminated."),
    Refusal.NOT_READY: ("service_not_ready", 409, "Service {s} has no running server yet."),
}


def issue_refusal(
    record: ServiceRecord | None, *, service_id: str, client_id: str, target: Target
) -> IssueRefusal | None:
    """The same checks as the click (:func:`service_refusal`), answered for the panel.
    Codes: ``no_server`` 404, ``client_mismatch`` 403, ``service_suspended`` 409,
    ``service_not_ready`` 409. None when a link may be issued."""
    refusal = service_refusal(record, client_id=client_id, target=target)
    if refusal is None:
        return None
    code, status, message = _BY_REFUSAL[refusal]
    return IssueRefusal(code, status, message.format(s=service_id) + " No link was issued.")


def reply(issued: IssuedLink, public_base_url: str) -> dict[str, str]:
    """``{"url": "<public base>/sso/<token>", "expires_at": "YYYY-MM-DDTHH:MM:SSZ"}``.
    Raises ``ValueError`` for a bad ``public_base_url``
    (:func:`bridge.settings.public_base_problem`, the rule the setting is loaded with).
    The URL is a bearer credential: hand it to the panel, never store or log it."""
    problem = public_base_problem(public_base_url)
    if problem:
        raise ValueError(problem)
    expires = datetime.fromtimestamp(issued.claims.expires_at, tz=UTC)
    return {
        "url": f"{public_base_url.rstrip('/')}/sso/{issued.token}",
        "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
