"""Add-ons a package change would drop: refused before anything is recorded.

Otwa v1.9 can attach an add-on to a server but never detach one. When a customer's new
options stop asking for an add-on the service bought through its options (``create``,
``change_package``), saying "done" with ``"bought": []`` would keep the add-on on the
server and on the Otwa bill while the panel stops charging for it. The change is refused
instead, 422 ``addon_detach_unsupported``, in words an admin can act on; ``validate``
(``params.for = change_package``) asks the same before the customer pays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from bridge.commands import Command
from bridge.errors import BridgeError
from bridge.provisioning import operations as ops
from bridge.runtime import Bridge


def refuse_dropping(
    bridge: Bridge,
    db: sqlite_utils.Database,
    command: Command,
    service: dict[str, Any],
    wanted: Iterable[str],
) -> None:
    """Raise 422 ``addon_detach_unsupported`` when the service's options bought add-on
    types that ``wanted`` (the new options' types) no longer names."""
    had = ops.option_addon_types(db, command.panel, command.service_id, int(service["generation"]))
    dropped = sorted(had - set(wanted))
    if not dropped:
        return
    names = ", ".join(dropped)
    options = bridge.catalog.addon_options(command.panel, dropped)
    shown = ", ".join(f'"{o}"' for o in options) or "the add-on option"
    raise BridgeError(
        f"Otwa cannot remove the {names} add-on from a server (Otwa v1.9 has no detach), so "
        f"this change would keep it on the server and on the Otwa bill while the customer "
        f"stops paying for it. Nothing was changed. Keep {shown} as it was for service "
        f"{command.service_id}; to really drop the add-on, terminate the service and order "
        "a new one without it.",
        code="addon_detach_unsupported",
        status=422,
        details={"types": dropped, "options": options},
    )
