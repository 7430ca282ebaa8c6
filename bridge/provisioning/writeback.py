"""Write-back to the billing panel: the server's IPs and credentials (WHMCS
``UpdateClientProduct``) and admin notifications (WHMCS ``SendAdminEmail``).

Credentials are fetched from Otwa at the moment of writing (again on every retry) and go
straight into the form; they are registered as secrets so no log line can carry them, and
never stored. A panel without a configured API (``api_url``) is skipped, logged.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from bridge.logs import redact, register_secret
from bridge.provisioning import crashpoints
from bridge.provisioning import operations as ops
from bridge.provisioning.actions import Done
from bridge.provisioning.context import Context, panel_config
from bridge.provisioning.failures import Refusal, Transient

log = logging.getLogger("bridge.provisioning.writeback")


def _api_ready(panel: Any) -> bool:
    return bool(panel is not None and panel.adapter == "whmcs" and panel.api_url)


def call_whmcs(panel: Any, action: str, fields: dict[str, Any], timeout: float) -> dict[str, Any]:
    """POST one WHMCS API action (form-encoded, ``responsetype=json``); the parsed reply.

    Raises :class:`Transient` when the panel could not be reached or answered 5xx, and
    :class:`Refusal` when it answered ``result=error`` (or a 4xx).
    """
    data = {
        "action": action,
        "identifier": panel.api_identifier or "",
        "secret": panel.api_secret or "",
        "responsetype": "json",
        **fields,
    }
    if panel.api_access_key:
        data["accesskey"] = panel.api_access_key
    try:
        response = requests.post(panel.api_url, data=data, timeout=timeout)
    except requests.RequestException as exc:
        raise Transient(f"panel {panel.name} API unreachable ({type(exc).__name__})") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise Transient(f"panel {panel.name} API answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("result") != "success":
        message = body.get("message") if isinstance(body, dict) else None
        message = redact(str(message or f"HTTP {response.status_code}"))
        raise Refusal(
            "writeback_failed",
            f"Panel {panel.name} refused {action}: {message}. Check the panel's API "
            "credentials and IP allow-list, then `otwa-bridge ops retry`.",
            502,
        )
    return body


def writeback(ctx: Context) -> Done:
    """Write IP, extra IPs, username and password of the operation's server to the panel."""
    op = ctx.op
    result = dict(op.get("result") or {})
    service_fields = {"state": "active"} if op["action"] == "create" else {}
    panel = panel_config(ctx.settings, op["panel"])
    if not _api_ready(panel):
        log.info("write-back skipped: panel has no API configured", extra={"panel": op["panel"]})
        return Done(
            ops.DONE,
            result={**result, "written_back": False},
            service=service_fields,
            reason="write-back skipped (no panel API)",
        )
    creds = ctx.client().credentials(op["server_id"])
    register_secret(creds.password, transient=True)
    fields: dict[str, Any] = {
        "serviceid": op["service_id"],
        "serviceusername": creds.username or "",
        "servicepassword": creds.password,
    }
    ip = creds.ip or result.get("ip")
    if ip:
        fields["dedicatedip"] = ip
    if "additional_ips" in result or op["action"] == "create":
        fields["assignedips"] = "\n".join(result.get("additional_ips") or [])
    crashpoints.hit("writeback.before_call")
    call_whmcs(
        panel,
        "UpdateClientProduct",
        fields,
        ctx.settings["WRITEBACK_TIMEOUT"],
    )
    crashpoints.hit("writeback.after_call")
    if op["action"] == "create" and panel.welcome_email:
        # After the write-back, so the template's IP and password fields are filled. A
        # crash between this call and the commit re-sends it on retry: a duplicate e-mail
        # is the lesser harm next to a welcome without credentials.
        call_whmcs(
            panel,
            "SendEmail",
            {"messagename": panel.welcome_email, "id": op["service_id"]},
            ctx.settings["WRITEBACK_TIMEOUT"],
        )
    return Done(
        ops.DONE,
        result={**result, "ip": ip, "written_back": True},
        service=service_fields,
        reason="written back",
    )


def notify(ctx: Context) -> Done:
    """Tell the panel's admins an operation failed for good (WHMCS SendAdminEmail)."""
    panel = panel_config(ctx.settings, ctx.op["panel"])
    payload = ctx.job.get("payload") or {}
    if not _api_ready(panel) or not panel.notify_admins:
        log.warning(
            "operation failed; panel admins not notified (no API or notify_admins off)",
            extra={"operation_id": ctx.op["id"], "panel": ctx.op["panel"]},
        )
        return Done(None)
    call_whmcs(
        panel,
        "SendAdminEmail",
        {
            "customsubject": payload.get("subject", "otwa-bridge: operation failed"),
            "custommessage": payload.get("message", ""),
            "type": "system",
        },
        ctx.settings["WRITEBACK_TIMEOUT"],
    )
    return Done(None)  # type: ignore[arg-type]


def failure_notice(op: dict[str, Any], code: str, message: str) -> dict[str, str]:
    """Subject and body of the admin e-mail for a failed operation (no secrets)."""
    subject = f"otwa-bridge: {op['action']} of service {op['service_id']} failed ({code})"
    body = (
        f"Operation {op['id']} ({op['action']}) for service {op['service_id']} on panel "
        f"{op['panel']} failed: {message}\n\nSee `otwa-bridge ops list --state {op['state']}`;"
        f" after fixing the cause run `otwa-bridge ops retry {op['id']}`."
    )
    return {"subject": subject, "message": redact(body)}
