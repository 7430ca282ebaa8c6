"""Write-back to the billing panel, through its adapter: the server's IPs and credentials
(``server.ready``, ``server.reinstalled``, ``password.reset``) and admin notices.

Credentials are fetched from Otwa at the moment of writing (again on every retry) and go
straight to the panel; they are registered as secrets so no log line can carry them, and
never stored. A panel with no write-back configured is skipped, logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bridge.logs import redact, register_secret
from bridge.panels import Notice, Panel, PanelRefused, PanelUnavailable, WriteBack
from bridge.panels.base import PASSWORD_RESET, SERVER_ADOPTED, SERVER_READY, SERVER_REINSTALLED
from bridge.provisioning import crashpoints
from bridge.provisioning import operations as ops
from bridge.provisioning.actions import Done
from bridge.provisioning.context import Context
from bridge.provisioning.failures import Refusal, Transient

log = logging.getLogger("bridge.provisioning.writeback")

_EVENTS = {"create": SERVER_READY, "reinstall": SERVER_REINSTALLED, "adopt": SERVER_ADOPTED}


def _panel(ctx: Context) -> Panel | None:
    return ctx.bridge.panel(ctx.op["panel"])


def _deliver(call: Callable[[], object]) -> None:
    """Run a panel call, turning its failures into the queue's Transient / Refusal."""
    try:
        call()
    except PanelUnavailable as exc:
        raise Transient(str(exc)) from None
    except PanelRefused as exc:
        raise Refusal("writeback_failed", redact(str(exc)), 502) from None


def writeback(ctx: Context) -> Done:
    """Write IP, extra IPs, username and password of the operation's server to the panel."""
    op = ctx.op
    result = dict(op.get("result") or {})
    service_fields = {"state": "active"} if op["action"] == "create" else {}
    panel = _panel(ctx)
    if panel is None or not panel.can_write_back:
        log.info("write-back skipped: panel has none configured", extra={"panel": op["panel"]})
        return Done(
            ops.DONE,
            result={**result, "written_back": False},
            service=service_fields,
            reason="write-back skipped (none configured)",
        )
    creds = ctx.client().credentials(op["server_id"])
    register_secret(creds.password, transient=True)
    ip = creds.ip or result.get("ip")
    known_ips = "additional_ips" in result or op["action"] in ("create", "adopt")
    update = WriteBack(
        event=_EVENTS.get(op["action"], PASSWORD_RESET),
        operation_id=op["id"],
        service_id=op["service_id"],
        server_id=op["server_id"],
        ip=ip,
        additional_ips=tuple(result.get("additional_ips") or ()) if known_ips else None,
        username=creds.username,
        password=creds.password,
        occurred_at=ctx.now(),
    )
    crashpoints.hit("writeback.before_call")
    timeout = ctx.bridge.settings.writeback_timeout
    _deliver(lambda: panel.write_back(update, timeout=timeout))
    crashpoints.hit("writeback.after_call")
    return Done(
        ops.DONE,
        result={**result, "ip": ip, "written_back": True},
        service=service_fields,
        reason="written back",
    )


def notify(ctx: Context) -> Done:
    """Tell the panel's admins an operation failed for good."""
    panel = _panel(ctx)
    payload = ctx.job.get("payload") or {}
    notice = Notice(
        operation_id=ctx.op["id"],
        action=ctx.op["action"],
        service_id=ctx.op["service_id"],
        code=str(payload.get("code") or ctx.op.get("error_code") or "failed"),
        subject=str(payload.get("subject") or "otwa-bridge: operation failed"),
        message=str(payload.get("message") or ""),
        occurred_at=ctx.now(),
    )
    told = [False]

    def send() -> None:
        assert panel is not None
        told[0] = panel.notify_admins(notice, timeout=ctx.bridge.settings.writeback_timeout)

    if panel is not None:
        _deliver(send)
    if not told[0]:
        log.warning(
            "operation failed; panel admins not notified (not configured)",
            extra={"operation_id": ctx.op["id"], "panel": ctx.op["panel"]},
        )
    return Done(None)


def failure_notice(op: dict[str, Any], code: str, message: str) -> dict[str, str]:
    """Subject and body of the admin notice for a failed operation (no secrets)."""
    subject = f"otwa-bridge: {op['action']} of service {op['service_id']} failed ({code})"
    body = (
        f"Operation {op['id']} ({op['action']}) for service {op['service_id']} on panel "
        f"{op['panel']} failed: {message}\n\nSee `otwa-bridge ops show {op['id']}`;"
        f" after fixing the cause run `otwa-bridge ops retry {op['id']}`."
    )
    return {"subject": subject, "message": redact(body), "code": code}
