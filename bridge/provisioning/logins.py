"""Customer logins into Otwa: the service as a login sees it, and the one way to mint one.

Both ways a customer reaches the Otwa dashboard go through here:

* the ``sso`` hook action (WHMCS ServiceSingleSignOn: minted when the hook comes, Otwa's
  URL in the reply; :func:`bridge.provisioning.actions.sso`), and
* a click on the bridge's own link (``GET /sso/<token>``, :mod:`bridge.sso`), minted at
  the click.

:func:`mint` is the one Otwa call for both; :func:`lookup` is the services table as the
click and the ``sso_link`` hook re-check it (provisioning owns that table);
:func:`adopt_owner` records the owner of a service that predates owners (migration m004).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

import sqlite_utils

from bridge import store
from bridge.otwa import OtwaClient, models
from bridge.provisioning import operations as ops

log = logging.getLogger("bridge.provisioning.logins")


class ServiceState(StrEnum):
    """A service as far as a login cares. ``provisioning`` and ``failed`` are PENDING,
    ``terminating`` (or a terminate waiting to run) is TERMINATED, and an active but
    suspended service is SUSPENDED."""

    ACTIVE = "active"
    PENDING = "pending"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class ServiceRecord:
    """What :func:`lookup` answers: the service's state, owner and current Otwa server.
    ``client_id`` is None only for a service recorded before owners were (m004) that no
    hook has named a client for since."""

    state: ServiceState
    client_id: str | None
    server_id: str | None


def lookup(db: sqlite_utils.Database, panel: str, service_id: str) -> ServiceRecord | None:
    """The service now, or None when the bridge never had it. Read-only, no Otwa call."""
    service = ops.get_service(db, panel, service_id)
    if service is None:
        return None
    state = str(service["state"])
    if state in ("terminated", "terminating") or _terminate_waiting(db, panel, service_id):
        shown = ServiceState.TERMINATED
    elif state != "active":  # provisioning, failed
        shown = ServiceState.PENDING
    elif service["suspended"]:
        shown = ServiceState.SUSPENDED
    else:
        shown = ServiceState.ACTIVE
    client = service.get("client_id")
    return ServiceRecord(shown, str(client) if client else None, service.get("server_id"))


def _terminate_waiting(db: sqlite_utils.Database, panel: str, service_id: str) -> bool:
    # A terminate the panel already sent but that has not run yet: the customer is leaving,
    # so no new login (the service row still says "active" until the destroy runs).
    row = db.execute(
        "SELECT 1 FROM operations WHERE panel = ? AND service_id = ? AND action = 'terminate'"
        " AND state IN ('queued', 'scheduled') LIMIT 1",
        [panel, service_id],
    ).fetchone()
    return row is not None


def adopt_owner(
    db: sqlite_utils.Database, panel: str, service_id: str, client_id: str, *, now: float
) -> bool:
    """Record ``client_id`` as the owner of a service that has none yet (recorded before
    m004); True when this call recorded it. Never replaces an owner: once set, the usual
    check applies to every later link and click."""
    with store.write(db):
        service = ops.get_service(db, panel, service_id)
        if service is None or service.get("client_id"):
            return False
        ops.update_service(db, panel, service_id, now=now, client_id=client_id)
    log.info(
        "service owner recorded from a signed sso_link hook",
        extra={"panel": panel, "service_id": service_id, "client_id": client_id},
    )
    return True


def mint(client: OtwaClient, server_id: str | None, next_path: str | None) -> models.SsoLink:
    """A fresh, one-time Otwa login: ``POST /servers/:id/sso`` (that server's page) with a
    server id, ``POST /sso`` (the whole dashboard) without; ``next_path`` is passed as
    ``next``. Raises the :mod:`bridge.otwa.errors` tree. The URL is registered as a secret
    by the client: never store or log it. ``client`` decides priority, timeout, retries
    and budget wait (a waiting customer: interactive, short, none)."""
    if server_id is not None:
        return client.server_sso(server_id, next=next_path)
    return client.sso(next=next_path)
