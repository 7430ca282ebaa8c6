"""includes/hooks/otwabridge.php: invoices, checkout and upgrade validation, the daily
reconcile. Each test checks what the module sends (the contract) and what the real bridge
answers."""

from __future__ import annotations

import pytest

from tests.support.fake_whmcs import FakeWhmcs
from tests.support.stack import Stack
from tests.whmcs.conftest import CLIENT_ID, WhmcsModule
from tests.whmcs.test_module import running_service

CART_WINDOWS = {
    "cart": {"products": [{"pid": 1, "configoptions": {"1": "14", "2": "21", "3": "0"}}]}
}
CART_OK = {"cart": {"products": [{"pid": 1, "configoptions": {"1": "12", "2": "22", "3": "1"}}]}}


def sent(module: WhmcsModule, function: str) -> list[dict]:
    """The bodies the module sent for ``function`` (from its module log)."""
    return [
        e["request"]["body"]
        for e in module.log()
        if e["action"] == function and "url" in e["request"]
    ]


def test_the_hooks_file_registers_every_hook(module: WhmcsModule) -> None:
    import json
    import subprocess

    from tests.whmcs.conftest import HARNESS, HOOKS

    out = subprocess.run(
        [module.php, str(HARNESS), "hooks", str(HOOKS), "x", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted(json.loads(out.stdout)["return"]) == [
        "AfterModuleTerminate",
        "DailyCronJob",
        "InvoicePaid",
        "InvoiceRefunded",
        "ShoppingCartValidateCheckout",
        "ShoppingCartValidateUpgrade",
    ]


def seed_invoice(whmcs: FakeWhmcs, module: WhmcsModule) -> None:
    """Invoice 5012: our service 9101, another module's service, a domain line."""
    module.add_service(9101, status="Active")
    whmcs.seed(products=[{"id": 50, "name": "Shared", "module": "cpanel", "configoptions": []}])
    module.add_service(9102, pid=50, status="Active")
    whmcs.seed(
        invoices=[
            {
                "id": 5012,
                "userid": CLIENT_ID,
                "status": "Paid",
                "datepaid": "2026-11-30 10:00:00",
                "items": [
                    {
                        "id": 1,
                        "type": "Hosting",
                        "relid": 9101,
                        "amount": "12.00",
                        "description": "VPS Starter (srv9101.example.com)",
                    },
                    {
                        "id": 2,
                        "type": "Hosting",
                        "relid": 9102,
                        "amount": "5.00",
                        "description": "Shared hosting",
                    },
                    {
                        "id": 3,
                        "type": "DomainRegister",
                        "relid": 1,
                        "amount": "9.99",
                        "description": "example.com",
                    },
                ],
            }
        ],
    )


@pytest.mark.parametrize(
    ("hook", "action"),
    [("InvoicePaid", "invoice_paid"), ("InvoiceRefunded", "invoice_refunded")],
)
def test_invoice_hooks_send_only_this_modules_lines(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs, hook: str, action: str
) -> None:
    seed_invoice(whmcs, module)
    assert module.hook(hook, {"invoiceid": 5012}) == [None]
    bodies = sent(module, hook)
    assert len(bodies) == 1, bodies
    body = bodies[0]
    assert body["action"] == action and body["serviceid"] == 9101
    assert body["params"]["invoice"] == {
        "id": 5012,
        "line_id": 1,
        "amount": "12.00",
        "currency": "USD",
        "paid_at": "2026-11-30 10:00:00",
        "description": "VPS Starter (srv9101.example.com)",
    }


def test_invoice_lines_are_booked_by_the_bridge(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    seed_invoice(whmcs, module)

    def booked(kind: str) -> int:
        rows = stack.rows("SELECT count(*) AS n FROM ledger_transactions WHERE kind = ?", [kind])
        return int(rows[0]["n"])

    for hook, kind in (("InvoicePaid", "sale"), ("InvoiceRefunded", "refund")):
        module.hook(hook, {"invoiceid": 5012})
        assert not [m for m in module.activity() if "not recorded" in m], module.activity()
        assert booked(kind) == 1, (hook, kind)
        module.hook(hook, {"invoiceid": 5012})  # WHMCS firing twice books nothing twice
        assert not [m for m in module.activity() if "not recorded" in m]
        assert booked(kind) == 1, (hook, kind)


def test_checkout_sends_the_cart_as_whmcs_will_send_createaccount(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    errors = module.hook(
        "ShoppingCartValidateCheckout", {"clientId": CLIENT_ID}, session=CART_WINDOWS
    )
    body = sent(module, "ShoppingCartValidateCheckout")[0]
    assert body["action"] == "validate" and body["pid"] == 1 and body["serviceid"] == 0
    assert body["configoptions"] == {"os": "windows-3.11", "Location": "tr-ist-01", "Extra IPv4": 0}
    assert body["params"] == {"for": "create", "cart_line": 0}
    assert len(errors[0]) == 1  # refused on the checkout page, never an exception
    assert stack.rows("SELECT count(*) AS n FROM operations")[0]["n"] == 0


def test_checkout_blocks_an_unmapped_choice_before_the_invoice(
    stack: Stack, module: WhmcsModule
) -> None:
    errors = module.hook(
        "ShoppingCartValidateCheckout", {"clientId": CLIENT_ID}, session=CART_WINDOWS
    )
    assert errors == [
        [
            'The option "Operating System" you chose for VPS Starter is not available. '
            "Please choose another value."
        ]
    ]
    ok = module.hook("ShoppingCartValidateCheckout", {"clientId": CLIENT_ID}, session=CART_OK)
    assert ok == [[]]
    # Nothing recorded: no operation, no job; only the hooks are remembered (for replays).
    assert stack.rows("SELECT count(*) AS n FROM operations")[0]["n"] == 0
    assert stack.rows("SELECT count(*) AS n FROM jobs")[0]["n"] == 0
    assert {r["action"] for r in stack.rows("SELECT action FROM webhook_events")} == {"validate"}


def test_checkout_fails_open_when_the_bridge_cannot_answer(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    server = whmcs.state()["servers"]["3"]
    whmcs.seed(servers=[{**server, "port": "9"}])  # nothing listens there
    errors = module.hook(
        "ShoppingCartValidateCheckout", {"clientId": CLIENT_ID}, session=CART_WINDOWS
    )
    assert errors == [[]]
    assert [m for m in module.activity() if "not validated, order allowed" in m]


def test_an_upgrade_the_bridge_cannot_do_is_refused_before_the_invoice(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 9201)
    errors = module.hook("ShoppingCartValidateUpgrade", {"id": 9201, "pid": 2})
    assert errors == [
        ["This change cannot be made automatically for your server. Please contact support."]
    ]


def test_the_upgrade_check_sends_the_target_product(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 9202)
    module.hook("ShoppingCartValidateUpgrade", {"id": 9202, "pid": 2})
    body = sent(module, "ShoppingCartValidateUpgrade")[0]
    assert body["action"] == "validate" and body["serviceid"] == 9202 and body["pid"] == 2
    assert body["params"] == {"for": "change_package", "product_id": 2}


def test_daily_reconcile_sends_every_active_service_of_the_server(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    running_service(stack, module, whmcs, 9301)
    module.add_service(9302, status="Terminated")
    module.hook("DailyCronJob", {})
    body = sent(module, "DailyCronJob")[0]
    assert body["action"] == "reconcile" and body["serviceid"] == 0
    [service] = body["params"]["services"]
    assert service["id"] == 9301 and service["status"] == "Active"
    assert service["server_id"] == stack.servers("whmcs-9301-g1")[0]["id"]
    assert service["dedicatedip"] == whmcs.service(9301)["dedicatedip"]
    # The admins hear about the outcome (here: the bridge cannot reconcile yet, or does).
    assert whmcs.calls("SendAdminEmail", source="local") or module.activity()


def test_daily_reconcile_reports_an_active_service_whose_server_is_gone(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    import requests

    running_service(stack, module, whmcs, 9303)
    server = stack.servers("whmcs-9303-g1")[0]
    requests.delete(
        f"{stack.sandbox.api}/servers/{server['id']}",
        headers={"Authorization": "Bearer otwa_sandbox_destroy"},
        timeout=5,
    ).raise_for_status()
    module.hook("DailyCronJob", {})
    [mail] = whmcs.calls("SendAdminEmail", source="local")
    assert "#9303" in mail["custommessage"]


def test_after_terminate_leaves_add_ons_and_other_modules_alone(
    stack: Stack, module: WhmcsModule, whmcs: FakeWhmcs
) -> None:
    module.add_service(9401, status="Terminated", dedicatedip="198.51.100.7")
    for params in (
        {"moduletype": "cpanel", "serviceid": 9401, "addonId": 0},
        {"moduletype": "otwabridge", "serviceid": 9401, "addonId": 77},
    ):
        module.hook("AfterModuleTerminate", {"params": params})
    assert whmcs.service(9401)["dedicatedip"] == "198.51.100.7"
