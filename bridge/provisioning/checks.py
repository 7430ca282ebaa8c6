"""What a command would need, checked now: the products map and the service's state, no
Otwa call and nothing recorded (the ``validate`` hook action).

A panel asks before the customer pays (WHMCS: ShoppingCartValidateCheckout), so a choice
the bridge cannot provision is refused at checkout instead of after the invoice.
"""

from __future__ import annotations

import dataclasses

import sqlite_utils

from bridge.commands import Command, Outcome
from bridge.errors import BridgeError
from bridge.otwa.errors import OtwaError
from bridge.provisioning import addons, adoption
from bridge.provisioning import operations as ops
from bridge.runtime import Bridge

PURPOSES = ("create", "change_package")


def validate(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """Whether ``command`` (its product and options) could be provisioned as
    ``params.for`` (``create``, the default, or ``change_package``; ``params.intent`` is
    read when ``for`` is absent). Raises the same :class:`~bridge.errors.BridgeError` the
    real action would (422 ``unmapped_option``, ``unknown_product``,
    ``region_not_allowed``, ``plan_change_unsupported``, ``addon_detach_unsupported``...)."""
    # "intent" is the spelling of the first module drafts; "for" wins when both are sent.
    purpose = str(command.params.get("for") or command.params.get("intent") or "create")
    if purpose not in PURPOSES:
        raise BridgeError(
            f"validate: params.for must be one of {', '.join(PURPOSES)}, not {purpose!r}.",
            code="bad_request",
        )
    as_action = dataclasses.replace(command, action=purpose)
    service = ops.get_service(db, command.panel, command.service_id)
    generation = int(service["generation"]) if service else 1
    placement = bridge.catalog.place(as_action, generation)
    if purpose == "change_package":
        if service is None or service["state"] == "terminated":
            raise BridgeError(
                f"Service {command.service_id} of panel {command.panel} has no Otwa server to "
                "change.",
                code="no_server",
                status=404,
            )
        if service.get("plan") and placement.plan != service["plan"]:
            raise BridgeError(
                f"Otwa cannot change plan {service['plan']} to {placement.plan} in place (Otwa "
                "has no resize); offer this product as a new order instead.",
                code="plan_change_unsupported",
                status=422,
            )
        addons.refuse_dropping(bridge, db, command, service, placement.addon_types)
    result = {
        "valid": True,
        "for": purpose,
        "placement": {
            "plan": placement.plan,
            "region": placement.region,
            "os": placement.os,
            "addon_types": placement.addon_types,
        },
    }
    return Outcome(200, {"ok": True, "operation": None, "result": result})


def before_recording(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> None:
    """Refusals known before anything is recorded, asked by the hook endpoint after the
    products map and before the hook's transaction (no transaction is held across a call):

    * ``adopt``: 404 ``server_not_found`` when the account has no such server (or it is
      terminated); the recording re-checks everything local.
    * an add-on type the plan does not offer (``add_addon``, or the add-ons a
      ``create``/``change_package`` asks for): 422 ``addon_not_offered``, instead of a
      failed operation later. The plan list is the process's cache (one ``GET /products``
      per five minutes, no retries, no waiting for the budget); when Otwa cannot be asked
      the check is skipped and the job refuses as before."""
    if command.action == "adopt":
        adoption.check_server(bridge, db, command)
        return
    if command.action == "add_addon":
        service = ops.get_service(db, command.panel, command.service_id)
        plan = (service or {}).get("plan")
        wanted = [str(command.params.get("type") or "")]
    elif command.action in PURPOSES:
        try:
            placement = bridge.catalog.place(command, 1)
        except BridgeError:
            return  # the products map's own refusal comes from catalog.validate
        plan, wanted = placement.plan, list(placement.addon_types)
    else:
        return
    if not plan or not any(wanted):
        return
    client = bridge.client().with_options(max_retries=0, budget_wait=0.0, timeout=3.0)
    try:
        product = bridge.plans.find(str(plan), client)
    except OtwaError:
        return
    if product is None:
        return
    offered = {a.type for a in product.addons or []}
    for kind in wanted:
        if kind and kind not in offered:
            choices = ", ".join(sorted(t for t in offered if t)) or "none"
            raise BridgeError(
                f"Otwa plan {product.name} offers no {kind} add-on (it offers: {choices}). "
                "Nothing was recorded; choose an add-on the plan offers, or another plan.",
                code="addon_not_offered",
                status=422,
            )
