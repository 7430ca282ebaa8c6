"""The WHMCS adapter: the module ``$params`` vocabulary, or the generic envelope.

The PHP module (webhooks/whmcs) forwards the module's ``$params``: ``serviceid``, ``pid``,
``userid``, ``domain``, ``configoptions`` (customer-chosen options by name, values either
``Label`` or ``id|Label``), ``customfields``, ``clientsdetails``; plus ``action`` and
``params``. WHMCS function names (``CreateAccount``...) are accepted as action spellings.
The service password in ``$params`` is never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bridge.panels import generic
from bridge.panels.generic import text
from bridge.provisioning.commands import ACTIONS, Command

SCHEMA = "whmcs.schema.json"
WHMCS_BODY = "/$defs/whmcs_body"

# WHMCS module function / hook names -> bridge actions.
ALIASES = {
    "CreateAccount": "create",
    "SuspendAccount": "suspend",
    "UnsuspendAccount": "unsuspend",
    "TerminateAccount": "terminate",
    "ChangePackage": "change_package",
    "ChangePassword": "reset_password",
    "ServiceSingleSignOn": "sso",
    "TestConnection": "test_connection",
    "UsageUpdate": "usage",
    "InvoicePaid": "invoice_paid",
}
# Client details worth carrying; anything else (passwords, security answers) is dropped.
CLIENT_FIELDS = ("firstname", "lastname", "companyname", "email", "country", "language")


def action_of(body: Mapping[str, Any]) -> str | None:
    """The bridge action for ``body["action"]``: a bridge name or a WHMCS function name."""
    action = body.get("action")
    if not isinstance(action, str):
        return None
    action = ALIASES.get(action, action)
    return action if action in ACTIONS else None


def is_generic(body: Mapping[str, Any]) -> bool:
    """True when the body is the generic envelope rather than WHMCS ``$params``."""
    return isinstance(body.get("service"), Mapping) or "serviceid" not in body


def option_label(value: Any) -> str:
    """``"3|Ubuntu 24.04"`` -> ``"Ubuntu 24.04"``: WHMCS option values may carry their id."""
    value = text(value)
    head, sep, tail = value.partition("|")
    return tail.strip() if sep and head.strip().isdigit() else value.strip()


def _options(body: Mapping[str, Any]) -> dict[str, str]:
    options: dict[str, str] = {}
    # Configurable options win over custom fields of the same name.
    for key in ("customfields", "configoptions"):
        values = body.get(key)
        if isinstance(values, Mapping):
            for name, value in values.items():
                if value is not None and text(value) != "":
                    options[str(name)] = option_label(value)
    return options


def to_command(
    panel: str, body: Mapping[str, Any], *, webhook_id: str, request_id: str | None = None
) -> Command:
    """The (schema-valid) body as a Command: serviceid -> service_id, pid -> product_id,
    userid -> client_id, domain -> hostname, configoptions/customfields -> options."""
    if is_generic(body):
        command = generic.to_command(panel, body, webhook_id=webhook_id, request_id=request_id)
        # The WHMCS module may forward option values as "id|Label" in the envelope too.
        options = {k: option_label(v) for k, v in command.options.items()}
        return replace(command, options=options)
    details = body.get("clientsdetails") or {}
    client: dict[str, Any] = {"id": text(body["userid"])}
    client.update({k: details[k] for k in CLIENT_FIELDS if details.get(k) not in (None, "")})
    params = dict(body.get("params") or {})
    product = body.get("pid")
    if body["action"] == "change_package" and params.get("product_id") is not None:
        product = params["product_id"]
    domain = body.get("domain")
    return Command(
        panel=panel,
        action=body["action"],
        service_id=text(body["serviceid"]),
        webhook_id=webhook_id,
        product_id=text(product) if product not in (None, "") else None,
        client_id=client["id"],
        hostname=domain.strip() if isinstance(domain, str) and domain.strip() else None,
        options=_options(body),
        params=params,
        client=client,
        request_id=request_id,
    )
