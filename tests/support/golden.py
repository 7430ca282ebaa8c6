"""The golden month: a fixed November of sales, Otwa charges, a refund, a termination, a
top-up, a tier change and a renewal, driven through signed hooks over real HTTP and the
real sandbox, so its margin report can be checked in and compared byte for byte.

The bridge runs in this process (a werkzeug server in a thread) on a :class:`ManualClock`
that starts on 2026-10-25; the sandbox (a real process, its clock frozen) is moved by the
same amounts, so Otwa's periods and prorating fall exactly where the script says. The
worker's ledger round runs here too (``upkeep.run_round``, the worker's own code) after
each step. The panel is called ``shop`` and speaks either the generic envelope or the
WHMCS vocabulary (``adapter``): both must produce the same bytes.

==========  ==========================================================================
2026-10-25  round: first GET /account sample (500.00) opens the wallet; service 100
            (Starter) created; invoice 8000 paid (10.00): October
2026-11-02  service 101 (Starter + extra IP: 4.79 + 1.60) and invoice 9001 (12.00, and a
            -2.00 promotion line); service 102 (Standard 7.99) and invoice 9002 (15.00)
2026-11-11  add-on backup on 101 (1.20 a month, prorated 21/30: 0.84); invoice 9003 (2.50)
2026-11-16  credit note on invoice 9002: 5.00
2026-11-20  service 102 terminated (renews no more)
2026-11-21  a 50.00 top-up in Otwa's dashboard, booked with `otwa-bridge ledger topup`
2026-11-22  the reseller's discount becomes 25 % (a tier change)
2026-11-24  service 100 renews at the new price (5.99 x 0.75 = 4.49); round books it
2026-11-30  last round
==========  ==========================================================================
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server

from bridge import create_app, signing, store
from bridge.clock import ManualClock
from bridge.provisioning import jobs, upkeep, worker
from tests.support.processes import ROOT, Sandbox, free_port
from tests.support.stack import HOOK_SECRET, BridgeEnv

START = datetime(2026, 10, 25, 9, 0, tzinfo=UTC).timestamp()
DAY = 86400.0
MONTH = "2026-11"
GOLDEN_CSV = ROOT / "tests" / "ledger" / "golden" / "2026-11-by-product.csv"

SHOP_TOML = """
[panels.shop]
adapter = "{adapter}"
secrets_env = "BRIDGE_SHOP_HOOK_SECRETS"
label_template = "{{panel}}-{{service}}-g{{generation}}"

[panels.shop.os]
option = "Operating System"
default = "Ubuntu 24.04"
[panels.shop.os.values]
"Ubuntu 24.04" = "ubuntu-24.04"

[panels.shop.addons."Extra IPv4"]
"Yes" = "extra-ip"
"No" = ""

[panels.shop.products.1]
plan = "Starter"
regions = ["tr-ist-01"]

[panels.shop.products.2]
plan = "Standard"
regions = ["tr-ist-01"]
"""


class Golden:
    """One run of the golden month against ``sandbox`` through the ``adapter`` panel."""

    def __init__(self, tmp: Path, sandbox: Sandbox, adapter: str, **overrides: Any) -> None:
        self.tmp, self.sandbox, self.adapter = tmp, sandbox, adapter
        self.clock = ManualClock(START)
        self.env = BridgeEnv(
            tmp,
            sandbox,
            None,
            {"LEDGER_SAMPLE_INTERVAL": 3600.0, **overrides},
            clock=self.clock,
            extra_toml=SHOP_TOML.format(adapter=adapter),
        )
        self.env.extra_env["BRIDGE_SHOP_HOOK_SECRETS"] = HOOK_SECRET
        self.env.reconfigure()
        self.url = ""
        self.replies: list[dict[str, Any]] = []

    # -- the bridge, served here -----------------------------------------------------------

    @contextlib.contextmanager
    def served(self) -> Iterator[Golden]:
        """The bridge's app on a loopback port for the duration of the block."""
        app = create_app(bridge=self.env.bridge)
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            server.shutdown()
            thread.join(10)

    def hook(self, body: dict[str, Any], *, webhook_id: str | None = None) -> dict[str, Any]:
        """A signed POST /v1/hooks/shop stamped with the bridge's clock; the reply."""
        raw = json.dumps(body).encode()
        msg_id = webhook_id or "msg_" + uuid.uuid4().hex[:16]
        ts = int(self.clock.now())
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": signing.sign(HOOK_SECRET, msg_id, ts, raw),
        }
        r = requests.post(f"{self.url}/v1/hooks/shop", data=raw, headers=headers, timeout=30)
        reply = {"status": r.status_code, "body": r.json(), "webhook_id": msg_id, "raw": body}
        assert r.status_code < 300, reply
        self.replies.append(reply)
        return reply

    # -- the panel's vocabulary --------------------------------------------------------------

    def body(
        self, action: str, service: int, product: int, *, options: dict[str, str] | None = None,
        **params: Any,
    ) -> dict[str, Any]:  # fmt: skip
        """``action`` for ``service`` as the panel would send it."""
        options = options or {}
        if self.adapter == "whmcs":
            return {
                "action": action, "serviceid": service, "pid": product, "userid": 7,
                "domain": f"web{service}.example.com", "configoptions": options,
                "customfields": {}, "clientsdetails": {"email": "ada@example.com"},
                "params": params,
            }  # fmt: skip
        return {
            "action": action,
            "service": {"id": str(service), "product_id": str(product), "options": options,
                        "hostname": f"web{service}.example.com"},
            "client": {"id": "7"},
            "params": params,
        }  # fmt: skip

    def paid(
        self, service: int, product: int, invoice: int, lines: list[tuple[int, str, str]]
    ) -> None:
        """Invoice ``invoice`` paid now: ``lines`` (line id, amount, description). WHMCS's
        module sends one hook per line; the generic panel one hook with every line."""
        at = datetime.fromtimestamp(self.clock.now(), UTC)
        if self.adapter == "whmcs":
            for line_id, amount, text in lines:
                invoice_body = {"id": invoice, "line_id": line_id, "amount": amount,
                                "currency": "USD", "paid_at": at.strftime("%Y-%m-%d %H:%M:%S"),
                                "description": text}  # fmt: skip
                self.hook(self.body("InvoicePaid", service, product, invoice=invoice_body))
            return
        self.hook(self.body("invoice_paid", service, product, invoice={
            "id": str(invoice), "currency": "USD", "paid_at": at.isoformat(),
            "lines": [{"id": str(n), "amount": a, "description": t} for n, a, t in lines],
        }))  # fmt: skip

    def refunded(self, service: int, product: int, invoice: int, line: int, amount: str) -> None:
        body = {"id": invoice, "line_id": line, "amount": amount, "currency": "USD"}
        if self.adapter != "whmcs":
            body = {"id": str(invoice), "currency": "USD", "refund_id": f"cn-{invoice}",
                    "lines": [{"id": str(line), "amount": amount}]}  # fmt: skip
        action = "InvoiceRefunded" if self.adapter == "whmcs" else "invoice_refunded"
        self.hook(self.body(action, service, product, invoice=body))

    # -- time --------------------------------------------------------------------------------

    def at(self, day: str, hour: int = 9) -> None:
        """Move both clocks to ``day`` (YYYY-MM-DD) at ``hour`` UTC, run the worker's round,
        and leave the clocks a minute later: what happens next is after that sample."""
        target = datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC).timestamp()
        self.move(target - self.clock.now())
        self.round()
        self.move(60.0)

    def move(self, seconds: float) -> None:
        """Both clocks forward by ``seconds``."""
        assert seconds >= 0, "the golden month only moves forward"
        if seconds:
            self.sandbox.advance(seconds)
            self.clock.advance(seconds)

    def round(self) -> upkeep.Round:
        """The worker: every due job and build poll, then the ledger's round."""
        db = store.connect(self.env.db_path)
        owner = jobs.owner_id("golden")
        try:
            for _ in range(100):
                if not worker.work_once(self.env.bridge, db, owner):
                    break
            return upkeep.run_round(self.env.bridge, db)
        finally:
            db.close()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``otwa-bridge`` as a real process on this bridge's database and config."""
        from bridge.processes import bridge_command

        return subprocess.run(
            bridge_command(*args),
            env={**self.env.env(), "PATH": "/usr/bin:/bin"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    # -- the month ---------------------------------------------------------------------------

    def run(self) -> None:
        """The whole script of the module docstring."""
        sb = self.sandbox
        sb.control("PUT", "/clock", {"timeScale": 0})  # Otwa's time moves only with ours
        with self.served():
            self.round()  # the opening sample: 500.00
            self.move(60.0)
            self.hook(self.body("create", 100, 1))
            self.paid(100, 1, 8000, [(1, "10.00", "VPS Starter, first month")])
            self.at("2026-11-02")
            self.hook(self.body("create", 101, 1, options={"Extra IPv4": "Yes"}))
            self.paid(101, 1, 9001, [(1, "12.00", "VPS Starter"), (2, "-2.00", "Promotion")])
            self.hook(self.body("create", 102, 2))
            self.paid(102, 2, 9002, [(1, "15.00", "VPS Standard")])
            self.at("2026-11-02", 10)  # builds finish (Otwa's 60-120 s)
            self.at("2026-11-11")
            self.hook(self.body("add_addon", 101, 1, type="backup"))
            self.paid(101, 1, 9003, [(1, "2.50", "Backups")])
            self.at("2026-11-16")
            self.refunded(102, 2, 9002, 1, "5.00")
            self.at("2026-11-20")
            self.hook(self.body("terminate", 102, 2, grace_seconds=0))
            self.at("2026-11-21")
            sb.control("POST", "/accounts/otwa_sandbox_default/topup", {"amount": "50.00"})
            done = self.cli("ledger", "topup", "50.00", "--reference", "dep-1",
                            "--at", "2026-11-21T09:00:30Z")  # fmt: skip
            assert done.returncode == 0, done.stderr
            self.at("2026-11-22")
            sb.control("PUT", "/accounts/otwa_sandbox_default/margin", {"marginPercent": "25.00"})
            self.at("2026-11-24", 12)  # service 100's anniversary was at 09:01
            self.at("2026-11-30", 23)
