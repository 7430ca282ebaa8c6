"""Proof 5, secrets never reach a log: a create / reset_password / sso / terminate flow over
gunicorn + worker with canary secrets (webhook secret, WHMCS API identifier and secret,
an Otwa key the sandbox rejects) and the real ones the flow produces (the Otwa keys in
use, both server passwords, the SSO link). None appears in any log file the bridge's
processes wrote (the sandbox's and the fake panel's are exempt) nor in any hook reply,
except the one place the panel needs it: the SSO reply carries its link. reset_password's
reply does not carry the new password: the worker writes it to the panel
(UpdateClientProduct), like the password of a create.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bridge.processes import NginxProcess, nginx_binary
from tests.e2e.conftest import StackFactory
from tests.support.e2e import E2EStack, Sent, assert_converged, whmcs_body
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import Sandbox

SID = 777
HOOK_CANARY = "whsec_" + base64.b64encode(b"CANARY-hook-secret-0123456789abcdef").decode()
OTWA_KEY_CANARY = "otwa_live_CANARY0otwa0key0Zq9"
# Not shaped like a secret: only an exact-value registration can hide these.
WHMCS_ID_CANARY = "CANARYwhmcsIdentifier31337"
WHMCS_SECRET_CANARY = "CANARYwhmcsApiSecret42424"


class CanaryWhmcs(FakeWhmcs):
    IDENTIFIER = WHMCS_ID_CANARY
    SECRET = WHMCS_SECRET_CANARY


@pytest.fixture
def canary_whmcs(tmp_path: Path) -> Iterator[FakeWhmcs]:
    fake = CanaryWhmcs(tmp_path).start()
    yield fake
    fake.stop()


def _done(stack: E2EStack, sent: Sent) -> None:
    op_id = sent.json()["operation"]["id"]
    stack.wait_state(op_id, "done", "failed", "dead")
    assert stack.op(op_id)["state"] == "done", stack.op(op_id)


def test_no_secret_reaches_a_log_or_a_reply(
    make_stack: StackFactory, sandbox: Sandbox, canary_whmcs: FakeWhmcs
) -> None:
    stack = make_stack(panel=canary_whmcs)
    stack.use_hook_secret(HOOK_CANARY)
    stack.start(workers=1)
    replies: dict[str, Sent] = {}

    replies["create"] = stack.send(whmcs_body("CreateAccount", SID))
    first = assert_converged(stack, canary_whmcs, [SID])[str(SID)]
    first_password = first["password"]

    replies["reset_password"] = stack.send(whmcs_body("ChangePassword", SID))
    assert replies["reset_password"].status in (200, 202)
    _done(stack, replies["reset_password"])
    server = next(s for s in sandbox.state()["servers"] if s["id"] == first["id"])
    new_password = server["password"]
    assert new_password != first_password
    written = [c for c in canary_whmcs.calls("UpdateClientProduct") if "_failed" not in c]
    assert written[-1]["servicepassword"] == new_password  # the panel got the new one

    replies["sso"] = stack.send(whmcs_body("ServiceSingleSignOn", SID))
    assert replies["sso"].status == 200, replies["sso"].response.text  # type: ignore[union-attr]
    sso_url = replies["sso"].json()["result"]["url"]
    sso_token = sso_url.rsplit("/", 1)[1]
    assert len(sso_token) >= 16
    # The link the panel got is real: it signs the customer in (once; 300 sandbox seconds).
    r = requests.get(sso_url, allow_redirects=False, timeout=5)
    assert r.status_code == 302, r.status_code

    replies["terminate"] = stack.send(whmcs_body("TerminateAccount", SID, grace_seconds=0))
    _done(stack, replies["terminate"])
    stack.quiesce()

    # An Otwa key the sandbox rejects: the refusal names the setting, never the key.
    stack.extra_env["BRIDGE_OTWA_API_KEY"] = OTWA_KEY_CANARY
    stack.extra_env["BRIDGE_OTWA_DESTROY_KEY"] = OTWA_KEY_CANARY + "Destroy"
    stack.restart_web()
    replies["test_connection"] = stack.send(whmcs_body("TestConnection", SID))
    refused = replies["test_connection"]
    assert refused.status == 403, refused.response.text  # type: ignore[union-attr]
    assert refused.json()["error"]["code"] == "otwa_key_rejected"

    secrets = {
        "webhook secret": HOOK_CANARY,
        "webhook secret key bytes": HOOK_CANARY.removeprefix("whsec_"),
        "WHMCS API identifier": WHMCS_ID_CANARY,
        "WHMCS API secret": WHMCS_SECRET_CANARY,
        "Otwa key (canary)": OTWA_KEY_CANARY,
        "Otwa key in use": "otwa_sandbox_default",
        "Otwa destroy key in use": "otwa_sandbox_destroy",
        "first server password": first_password,
        "reset server password": new_password,
        "SSO link": sso_url,
        "SSO token": sso_token,
    }
    logs = stack.log_texts()
    assert {"gunicorn.log", "worker-0.log"} <= set(logs), sorted(logs)
    assert all(logs.values()), "every process logged something"
    leaks = [(what, name) for what, v in secrets.items() for name, t in logs.items() if v in t]
    assert leaks == []

    for action, sent in replies.items():
        text = sent.response.text  # type: ignore[union-attr]
        allowed = {"SSO link", "SSO token"} if action == "sso" else set()
        shown = {what for what, v in secrets.items() if v in text}
        assert shown == allowed, (action, shown)

    # The database holds no password, no key and no SSO link.
    db = stack.dump()
    for what in (
        "first server password",
        "reset server password",
        "Otwa key in use",
        "SSO link",
        "SSO token",
    ):
        assert secrets[what] not in db, what


def test_the_sso_link_is_not_stored_and_its_replay_is_refused(
    make_stack: StackFactory, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    stack = make_stack()
    stack.start(workers=0)
    created = stack.send(whmcs_body("CreateAccount", SID))
    assert created.status == 200, created.response.text  # type: ignore[union-attr]
    sso = stack.send(whmcs_body("ServiceSingleSignOn", SID))
    assert sso.status == 200, sso.response.text  # type: ignore[union-attr]
    token = sso.json()["result"]["url"].rsplit("/", 1)[1]
    assert token not in stack.dump()
    # Its replay cannot hand out the link again: a clear refusal (docs/hooks.md).
    again = stack.resend(sso)
    assert again.status == 410, again.response.text  # type: ignore[union-attr]
    assert again.json()["error"]["code"] == "sso_link_already_issued"
    assert token not in again.response.text  # type: ignore[union-attr]


SSO_SECRET_CANARY = "CANARY-sso-link-signing-secret-0123456789abcdef"
ADMIN_PASSWORD_CANARY = "CANARY-admin-password-31337"


def test_no_secret_reaches_a_log_through_the_edge(
    make_stack: StackFactory, sandbox: Sandbox, canary_whmcs: FakeWhmcs
) -> None:
    """The deployed shape (nginx in front, tests/edge) with canary secrets: an order, an SSO
    link clicked through nginx, malformed requests and a slow body carrying secrets (refused
    by gunicorn's JSON worker, the body deadline and nginx), and a backup. No secret in the
    gunicorn, worker or nginx logs, nor in what the CLI printed."""
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (make system-deps)")
    from bridge.access.passwords import hash_password

    admin_hash = hash_password(ADMIN_PASSWORD_CANARY)
    stack = make_stack(
        {
            "SSO_SECRETS": SSO_SECRET_CANARY,
            "BODY_TIMEOUT": 1.0,
            "ADMIN_PASSWORD_HASH": admin_hash,
            "TRUSTED_PROXIES": "127.0.0.1",
        },  # fmt: skip
        panel=canary_whmcs,
    )
    stack.use_hook_secret(HOOK_CANARY)
    edge = NginxProcess(stack.tmp / "nginx", f"127.0.0.1:{stack.port}")
    stack.reconfigure(PUBLIC_BASE_URL=edge.url)
    stack.start(workers=1)
    edge.start()
    try:
        _edge_flow(stack, edge, canary_whmcs, admin_hash)
    finally:
        edge.stop()


def _edge_flow(
    stack: E2EStack, edge: NginxProcess, canary_whmcs: FakeWhmcs, admin_hash: str
) -> None:
    import os
    import re
    import socket
    import subprocess

    from tests.support.processes import ROOT, bridge_cmd

    def through_nginx(body: dict) -> requests.Response:
        raw = json.dumps(body).encode()
        headers = stack.signed_headers(raw, "msg_" + uuid.uuid4().hex[:16])
        return requests.post(f"{edge.url}/v1/hooks/whmcs", data=raw, headers=headers, timeout=20)

    assert through_nginx(whmcs_body("CreateAccount", SID)).status_code == 200
    server = assert_converged(stack, canary_whmcs, [SID])[str(SID)]
    link = through_nginx(whmcs_body("sso_link", SID))
    assert link.status_code == 200, link.text
    url = link.json()["result"]["url"]
    token = url.rsplit("/", 1)[1]
    assert (
        url.startswith(f"{edge.url}/sso/")
        and requests.get(url, allow_redirects=False, timeout=10).status_code == 302
    )

    # The admin console through nginx: sign in, look at the operations.
    admin = requests.Session()
    form = admin.get(f"{edge.url}/admin/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf, form[:300]
    signed_in = admin.post(f"{edge.url}/admin/login", allow_redirects=False, timeout=10,
                           data={"csrf_token": csrf.group(1), "password": ADMIN_PASSWORD_CANARY,
                                 "next": "/admin/operations"})  # fmt: skip
    assert signed_in.status_code == 303, signed_in.text[:300]
    cookie = admin.cookies.get("otwa_admin")
    assert cookie and admin.get(f"{edge.url}/admin/operations", timeout=10).status_code == 200

    def raw_send(port: int, data: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(data)
            out = b""
            while chunk := sock.recv(65536):
                out += chunk
            return out

    malformed = [
        f"GET /sso/{token} HTTP/1.1 extra\r\nHost: x\r\n\r\n".encode(),
        "POST /v1/hooks/whmcs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"webhook-signature: {HOOK_CANARY}\x01"
        f"\r\nContent-Length: 2\r\n\r\n{{}}".encode(),
        f"GET /healthz?s={SSO_SECRET_CANARY} HTTP/1.1\r\nHost: x\r\nX-K: {WHMCS_SECRET_CANARY}"
        "\x00\r\n\r\n".encode(),
    ]
    for port in (stack.port, edge.port):
        for data in malformed:
            assert b'"ok": false' in raw_send(port, data)
    requests.get(f"{edge.url}/v1/hooks/whmcs?secret={HOOK_CANARY}&t={token}", timeout=10)
    # A body that never finishes, holding a secret: cut by the deadline, 408.
    slow = raw_send(stack.port, (
        "POST /v1/hooks/whmcs HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n"
        f'{{"password": "{server["password"]}", "secret": "{HOOK_CANARY}"'
    ).encode())  # fmt: skip
    assert b"request_timeout" in slow
    backup = subprocess.run(
        bridge_cmd("backup", "--to", f"{stack.tmp}/backups/"),
        cwd=ROOT, env={**os.environ, **stack.env()}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert backup.returncode == 0, backup.stderr
    stack.quiesce()
    edge.stop()

    secrets = {
        "webhook secret": HOOK_CANARY,
        "webhook secret key bytes": HOOK_CANARY.removeprefix("whsec_"),
        "WHMCS API identifier": WHMCS_ID_CANARY,
        "WHMCS API secret": WHMCS_SECRET_CANARY,
        "SSO link secret": SSO_SECRET_CANARY,
        "Otwa key in use": "otwa_sandbox_default",
        "server password": server["password"],
        "SSO link": url,
        "SSO token": token,
        "admin password": ADMIN_PASSWORD_CANARY,
        "admin password hash": admin_hash,
        "admin session cookie": cookie,
    }
    logs = {**stack.log_texts(), "nginx": edge.logs(), "backup": backup.stdout + backup.stderr}
    assert {"gunicorn.log", "worker-0.log"} <= set(logs) and "/sso/***" in logs["nginx"]
    assert "Refused a malformed request" in logs["gunicorn.log"]
    leaks = [(what, name) for what, v in secrets.items() for name, t in logs.items() if v in t]
    assert leaks == []
