"""``adopt``: link an existing Otwa server to a panel's service, ordering nothing.

Resellers move existing customers in this way (WHMCS: the admin tab's Server ID field,
"Sync with bridge" after a Server Sync import). The hook endpoint first asks Otwa whether
the account has the server (:func:`check_server`: 404 ``server_not_found`` records
nothing); the recording links it in the hook's transaction (409 ``server_already_linked``
/ ``service_has_server``, see :func:`bridge.provisioning.intake.record`); the run reads the
server and hands over to the usual write-back (IPs, credentials; no welcome e-mail).
"""

from __future__ import annotations

import sqlite_utils

from bridge.commands import Command
from bridge.errors import BridgeError
from bridge.provisioning import keys, reads
from bridge.runtime import Bridge


def check_server(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> None:
    """Raise 404 ``server_not_found`` unless Otwa lists ``params.server_id`` as a live
    server of the bridge's account (an interactive read, shared like status reads)."""
    server_id = str(command.params.get("server_id") or "")
    if not keys.SERVER_ID_RE.fullmatch(server_id):
        return  # the recording refuses it with the shape to send
    found = reads.server(bridge, db, server_id, command.request_id)
    if found.get("status") in ("missing", "terminated"):
        raise BridgeError(
            f"The bridge's Otwa account has no server {server_id}"
            + (" (it is terminated)" if found.get("status") == "terminated" else "")
            + ". Nothing was changed; copy the id from the Otwa dashboard, or import the "
            "server from the list of unlinked servers.",
            code="server_not_found",
            status=404,
        )
