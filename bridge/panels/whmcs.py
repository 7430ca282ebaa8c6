"""The WHMCS panel: the module's ``$params`` vocabulary in, the WHMCS API out.

In: the PHP module (webhooks/whmcs) forwards the module's ``$params``: ``serviceid``,
``pid``, ``userid``, ``domain``, ``configoptions`` (customer-chosen options by the option
name's part before ``|``; values as WHMCS sends them: a sub-option's part before ``|``, a
yes/no or quantity option's quantity; the products map matches them, see
docs/products-map.md), ``customfields``, ``clientsdetails``; plus ``action`` and
``params``. A product add-on's call carries ``addonid`` (``serviceid`` is the parent) and
may only be ``add_addon``. WHMCS function names (``CreateAccount``...) are accepted as
action spellings, and so is the generic envelope. The service password in ``$params`` is
never read.

Out: write-back is ``UpdateClientProduct`` (IP, assigned IPs, username, password) and, for
a new server, ``SendEmail`` with the configured welcome template; admin notices are
``SendAdminEmail``. Each is one form-encoded POST to ``includes/api.php``; redirects are
never followed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bridge.commands import Command
from bridge.errors import BridgeError
from bridge.logs import redact
from bridge.panels import schemas
from bridge.panels.base import SERVER_READY, Notice, Panel, PanelRefused, WriteBack
from bridge.panels.generic import envelope_command, text

WHMCS_BODY = "/$defs/whmcs_body"
GENERIC_SCHEMA = "generic.schema.json"

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
    "InvoiceRefunded": "invoice_refunded",
}
# Client details worth carrying; anything else (passwords, security answers) is dropped.
CLIENT_FIELDS = ("firstname", "lastname", "companyname", "email", "country", "language")
# What a product add-on's call would do to the parent's server, for the refusal's words.
ADDON_VERBS = {
    "suspend": "suspend",
    "unsuspend": "unsuspend",
    "terminate": "remove",
    "change_package": "change",
}


def is_generic(body: Mapping[str, Any]) -> bool:
    """True when the body is the generic envelope rather than WHMCS ``$params``."""
    return isinstance(body.get("service"), Mapping) or "serviceid" not in body


def option_label(value: Any) -> str:
    """``"3|Ubuntu 24.04"`` -> ``"Ubuntu 24.04"``: WHMCS option values may carry their id."""
    shown = text(value)
    head, sep, tail = shown.partition("|")
    return tail.strip() if sep and head.strip().isdigit() else shown.strip()


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


def _refuse_addon_call(body: Mapping[str, Any]) -> None:
    """A product add-on's call (``addonid`` set; ``serviceid`` is then the *parent*
    service) may only attach the add-on: anything else would act on the parent's server.
    The module never sends one; an older module or a hand-made call is refused here."""
    addon = body.get("addonid")
    if addon in (None, "", 0, "0") or body["action"] == "add_addon":
        return
    action = str(body["action"])
    verb = ADDON_VERBS.get(action, action.replace("_", " "))
    raise BridgeError(
        f"Nothing was changed on the server of service {text(body['serviceid'])}: this is "
        f"product add-on {text(addon)}, and Otwa v1.9 cannot {verb} an add-on on its own "
        "(it stays attached until the whole server is terminated). Act on the parent "
        "service instead, or set the add-on's status in WHMCS by hand.",
        code="addon_action_unsupported",
        status=422,
        details={"addonid": text(addon), "action": action},
    )


class WhmcsPanel(Panel):
    """A WHMCS installation with the otwabridge server module."""

    SCHEMA = "whmcs.schema.json"
    ALIASES = ALIASES

    def schema_errors(self, body: Any) -> list[dict[str, str]]:
        """Errors against the branch the body's shape picks (generic envelope or WHMCS
        ``$params``), so they point at the field to fix."""
        if schemas.is_valid(self.SCHEMA, body):
            return []
        if isinstance(body, Mapping) and not is_generic(body):
            found = schemas.explain(self.SCHEMA, body, WHMCS_BODY)
        else:
            found = schemas.explain(GENERIC_SCHEMA, body)
        return found or schemas.errors(self.SCHEMA, body)

    def to_command(
        self, body: Mapping[str, Any], *, webhook_id: str, request_id: str | None = None
    ) -> Command:
        """serviceid -> service_id, pid -> product_id, userid -> client_id, domain ->
        hostname, configoptions/customfields -> options."""
        if is_generic(body):
            command = envelope_command(
                self.name, body, webhook_id=webhook_id, request_id=request_id
            )
            # The WHMCS module may forward option values as "id|Label" in the envelope too.
            options = {k: option_label(v) for k, v in command.options.items()}
            return replace(command, options=options)
        _refuse_addon_call(body)
        details = body.get("clientsdetails") or {}
        client: dict[str, Any] = {"id": text(body["userid"])}
        client.update({k: details[k] for k in CLIENT_FIELDS if details.get(k) not in (None, "")})
        params = dict(body.get("params") or {})
        product = body.get("pid")
        if body["action"] == "change_package" and params.get("product_id") is not None:
            product = params["product_id"]
        domain = body.get("domain")
        return Command(
            panel=self.name,
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

    # -- the WHMCS API -------------------------------------------------------------------

    @property
    def can_write_back(self) -> bool:
        return bool(self.config.api_url)

    def call(self, action: str, fields: Mapping[str, Any], *, timeout: float) -> dict[str, Any]:
        """POST one WHMCS API action (form-encoded, ``responsetype=json``); the parsed reply.

        Raises PanelUnavailable (unreachable, 5xx, 429) or PanelRefused (``result=error``,
        a 4xx, a redirect) with the panel's message, secrets masked.
        """
        config = self.config
        if not config.api_url:
            raise PanelRefused(f"panel {self.name} has no api_url configured")
        data: dict[str, Any] = {
            "action": action,
            "identifier": config.api_identifier or "",
            "secret": config.api_secret or "",
            "responsetype": "json",
            **fields,
        }
        if config.api_access_key:
            data["accesskey"] = config.api_access_key
        response = self._post(config.api_url, data=data, timeout=timeout)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("result") != "success":
            message = body.get("message") if isinstance(body, dict) else None
            message = redact(str(message or f"HTTP {response.status_code}"))
            raise PanelRefused(
                f"Panel {self.name} refused {action}: {message}. Check the panel's API "
                "credentials, its API role and IP allow-list, then `otwa-bridge ops retry`."
            )
        return body

    def write_back(self, update: WriteBack, *, timeout: float) -> None:
        fields: dict[str, Any] = {
            "serviceid": update.service_id,
            "serviceusername": update.username or "",
            "servicepassword": update.password or "",
        }
        if update.ip:
            fields["dedicatedip"] = update.ip
        if update.additional_ips is not None:
            fields["assignedips"] = "\n".join(update.additional_ips)
        self.call("UpdateClientProduct", fields, timeout=timeout)
        if update.event == SERVER_READY and self.config.welcome_email:
            # After the write-back, so the template's IP and password fields are filled.
            # A crash between this call and the job's commit re-sends it on retry: a
            # duplicate e-mail is the lesser harm next to a welcome without credentials.
            self.call(
                "SendEmail",
                {"messagename": self.config.welcome_email, "id": update.service_id},
                timeout=timeout,
            )

    def notify_admins(self, notice: Notice, *, timeout: float) -> bool:
        if not (self.can_write_back and self.config.notify_admins):
            return False
        self.call(
            "SendAdminEmail",
            {"customsubject": notice.subject, "custommessage": notice.message, "type": "system"},
            timeout=timeout,
        )
        return True
