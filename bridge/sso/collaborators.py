"""What a click needs from the rest of the bridge, as two injected callables, and how their
answers become refusals.

* :class:`Lookup` ``(panel, service_id) -> ServiceRecord | None``: the service as the
  bridge knows it now (None: no such service). Must not call Otwa. In the app it is
  :func:`bridge.provisioning.logins.lookup` (provisioning owns the services table, and
  :class:`ServiceRecord` / :class:`ServiceState` with it; they are re-exported here).
* :class:`Mint` ``(server_id | None, next_path | None) -> url``: a fresh Otwa login URL,
  ``POST /servers/:id/sso`` with a server id, ``POST /sso`` (whole dashboard) without. It
  goes through the shared budget as an interactive call and raises the
  :mod:`bridge.otwa.errors` tree (or ``TimeoutError``) when it cannot.
"""

from __future__ import annotations

from typing import Protocol

from bridge.otwa import errors as otwa_errors
from bridge.otwa.client import OtwaClient
from bridge.provisioning.logins import ServiceRecord, ServiceState, mint
from bridge.sso.pages import Refusal
from bridge.sso.tokens import Target

__all__ = [
    "Lookup",
    "Mint",
    "ServiceRecord",
    "ServiceState",
    "mint_refusal",
    "mint_with",
    "service_refusal",
]


class Lookup(Protocol):
    def __call__(self, panel: str, service_id: str, /) -> ServiceRecord | None: ...


class Mint(Protocol):
    def __call__(self, server_id: str | None, next_path: str | None, /) -> str: ...


def mint_with(client: OtwaClient) -> Mint:
    """A :class:`Mint` over ``client``: ``POST /servers/:id/sso`` for a server, ``POST /sso``
    for the dashboard. Give it a client with ``priority="interactive"`` (a customer is
    waiting) and few retries with a short timeout: a slow click is answered with a page.
    It is :func:`bridge.provisioning.logins.mint`, the one code path the ``sso`` hook
    action uses too."""

    def mint_url(server_id: str | None, next_path: str | None, /) -> str:
        return mint(client, server_id, next_path).url

    return mint_url


def service_refusal(
    record: ServiceRecord | None, *, client_id: str, target: Target
) -> Refusal | None:
    """Why this service may not be opened for ``client_id`` now; None when it may. Used at
    the click, and by the ``sso_link`` hook before it issues a link (:mod:`.links`)."""
    if record is None:
        return Refusal.SERVICE_GONE
    if record.client_id != client_id:
        return Refusal.NOT_YOURS
    if record.state is ServiceState.TERMINATED:
        return Refusal.TERMINATED
    if record.state is ServiceState.SUSPENDED:
        return Refusal.SUSPENDED
    if record.state is ServiceState.PENDING:
        return Refusal.NOT_READY
    if target is Target.SERVER and not record.server_id:
        return Refusal.NOT_READY
    return None


def mint_refusal(exc: BaseException) -> Refusal:
    """The page for a failed mint. Slow (timeout, no budget slot in time) is 504, Otwa
    failing or refusing for now (5xx, 429, no connection) 503; the server gone at Otwa is
    "service gone", a state conflict "not ready"; anything else is our fault (500)."""
    if isinstance(exc, otwa_errors.OtwaTimeout | otwa_errors.BudgetExhausted | TimeoutError):
        return Refusal.OTWA_SLOW
    if isinstance(
        exc,
        otwa_errors.OtwaConnectionError | otwa_errors.ServerError | otwa_errors.RateLimitedError,
    ):
        return Refusal.OTWA_DOWN
    if isinstance(exc, otwa_errors.NotFoundError):
        return Refusal.SERVICE_GONE
    if isinstance(exc, otwa_errors.ConflictError):
        return Refusal.NOT_READY
    return Refusal.ERROR
