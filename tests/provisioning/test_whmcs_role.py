"""The WHMCS API role of the bridge's credential: what docs/panels/whmcs.md lists is what
bridge/panels/whmcs.py calls, and the fake WHMCS refuses any action outside the role, so a
missing permission fails here the way it fails a reseller."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from tests.support.fake_whmcs import BRIDGE_ROLE, FakeWhmcs
from tests.support.stack import BridgeEnv

ROOT = Path(__file__).resolve().parents[2]


def _called_by_the_adapter() -> set[str]:
    """Every literal action name passed to ``self.call(...)`` in the WHMCS adapter."""
    tree = ast.parse((ROOT / "bridge/panels/whmcs.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "call"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def _documented() -> list[str]:
    """The API actions of the role table in docs/panels/whmcs.md, section 2."""
    text = (ROOT / "docs/panels/whmcs.md").read_text()
    section = text.split("## 2. ")[1].split("\n## ")[0]
    return re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)


def test_the_documented_role_is_what_the_bridge_calls() -> None:
    assert sorted(_documented()) == sorted(BRIDGE_ROLE) == sorted(_called_by_the_adapter())


def test_the_welcome_email_needs_send_email(tmp_path: Path, sandbox, whmcs: FakeWhmcs) -> None:
    env = BridgeEnv(tmp_path, sandbox, whmcs, panel_keys='welcome_email = "Otwa Welcome"')
    whmcs.set_role([a for a in BRIDGE_ROLE if a != "SendEmail"])
    op_id, _ = env.submit(env.command("create", "r1"))
    env.drain()
    op = env.op(op_id)
    assert (op["state"], op["error_code"]) == ("failed", "writeback_failed")
    assert 'API action "SendEmail" is not allowed' in op["error_message"]
    assert "API role" in op["error_message"]  # what to fix, in the admin's words

    whmcs.set_role(BRIDGE_ROLE)
    op_id, _ = env.submit(env.command("create", "r2"))
    env.drain()
    assert env.op(op_id)["state"] == "done"
    assert [c["messagename"] for c in whmcs.calls("SendEmail")][-1] == "Otwa Welcome"


def test_admin_notices_need_send_admin_email(env: BridgeEnv, sandbox, whmcs: FakeWhmcs) -> None:
    whmcs.set_role([a for a in BRIDGE_ROLE if a != "SendAdminEmail"])
    sandbox.set_balance("otwa_sandbox_default", "0.00")
    op_id = env.record(env.command("create", "r3"))  # the worker meets the 402
    log = env.drain()
    assert env.op(op_id)["error_code"] == "otwa_wallet"
    assert len(whmcs.calls("SendAdminEmail")) == 1  # tried, and refused by the role
    said = [json.loads(line).get("msg", "") for line in log.splitlines() if line.startswith("{")]
    assert any('API action "SendAdminEmail" is not allowed' in m for m in said), said
