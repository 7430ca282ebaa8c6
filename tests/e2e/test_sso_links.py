"""Client-area SSO links through the real thing: gunicorn (two workers), the job worker and
the sandbox as processes; links asked for with signed sso_link hooks (and with
`otwa-bridge send`), clicked over HTTP and in a real browser (headless Chromium).

Every proof ends with the canary: no link, token, minted Otwa URL or login cookie appears
in any log line the bridge's processes wrote.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from bridge.sso.tokens import LinkSigner, generate_secret
from tests.e2e.conftest import StackFactory
from tests.sso.conftest import sign_raw
from tests.support.e2e import E2EStack, assert_converged, whmcs_body
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.forging_proxy import ForgingProxy
from tests.support.processes import ROOT, Sandbox

NEW, OLD = generate_secret(), generate_secret()
AREA = "https://billing.acme.test/clientarea.php"
BRAND = "Acme Hosting"
CHROMIUM = "/usr/bin/chromium"


def sso_stack(make_stack: StackFactory, **overrides: Any) -> E2EStack:
    """A stack whose bridge hands out links (two secrets, newest first) in the reseller's
    brand, with the WHMCS panel's client area; not started."""
    stack = make_stack(
        {"SSO_SECRETS": f"{NEW},{OLD}", "BRAND_NAME": BRAND, "BRAND_COLOR": "#0a7", **overrides},
        gunicorn_workers=2,
        panel_keys=f'client_area_url = "{AREA}"',
    )
    stack.reconfigure(PUBLIC_BASE_URL=stack.url)
    return stack


def running(stack: E2EStack, whmcs: FakeWhmcs, *sids: int) -> dict[str, str]:
    """Create the services through the hook and wait until built and written back; their
    Otwa server ids."""
    for sid in sids:
        created = stack.send(whmcs_body("CreateAccount", sid))
        assert created.status == 200, created.response.text  # type: ignore[union-attr]
    servers = assert_converged(stack, whmcs, sids)
    stack.quiesce()
    return {sid: s["id"] for sid, s in servers.items()}


def issue(stack: E2EStack, sid: int, **params: Any) -> str:
    """A link from a signed sso_link hook (WHMCS vocabulary, client 77)."""
    sent = stack.send(whmcs_body("sso_link", sid, **params))
    assert sent.status == 200, sent.response.text  # type: ignore[union-attr]
    url: str = sent.json()["result"]["url"]
    assert url.startswith(f"{stack.url}/sso/bsso_")
    return url


def click(url: str) -> requests.Response:
    """One click, as a browser would send it, without following the redirect."""
    return requests.get(url, allow_redirects=False, timeout=15)


def page(r: requests.Response, status: int, phrase: str) -> str:
    """A refusal page: HTML in the brand, the status, the sentence, the way back."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers["Cache-Control"] == "no-store"
    assert phrase in r.text and BRAND in r.text and f'href="{AREA}"' in r.text
    assert "otwa" not in r.text.lower() and "Traceback" not in r.text
    return r.text


def assert_no_leaks(stack: E2EStack, secrets: dict[str, str]) -> None:
    """The canary: none of ``secrets`` in any log line of gunicorn or a worker."""
    logs = stack.log_texts()
    assert "gunicorn.log" in logs and any(n.startswith("worker") for n in logs), sorted(logs)
    assert "sso link followed" in logs["gunicorn.log"]  # the clicks did log, masked
    assert "GET /sso/" in logs["gunicorn.log"]  # and the access log has them, masked
    leaks = [(what, name) for what, v in secrets.items() for name, t in logs.items() if v in t]
    assert leaks == []


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]


# -- a real browser --------------------------------------------------------------------------


def _browser_or_skip() -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium (make system-deps does) to run "
            "the real-browser proof"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright (the test extras) is not installed"
    )
    return sync_api


def send_cli(stack: E2EStack, *args: str) -> dict[str, Any]:
    """`otwa-bridge send ...` against the stack, as an operator or a script runs it."""
    r = subprocess.run(
        [sys.executable, "-m", "bridge", "send", "--url", stack.url, "--panel", "whmcs", *args],
        cwd=ROOT,
        env={**os.environ, **stack.env()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr + r.stdout
    reply: dict[str, Any] = json.loads(r.stdout)
    return reply


def test_a_real_browser_follows_a_client_area_link_to_the_server(
    make_stack: StackFactory, whmcs: FakeWhmcs, sandbox: Sandbox, tmp_path: Path
) -> None:
    sync_api = _browser_or_skip()
    stack = sso_stack(make_stack).start(workers=1)
    server_id = running(stack, whmcs, 501)["501"]
    reply = send_cli(stack, "sso_link", "--service", "501", "--client", "77")
    assert reply["ok"] is True and reply["operation"] is None
    url = reply["result"]["url"]
    assert reply["result"]["target"] == "server" and url.startswith(f"{stack.url}/sso/")

    shots = {"first": tmp_path / "sso-first-click.png", "second": tmp_path / "sso-second-click.png"}
    redirects: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            context = browser.new_context()
            tab = context.new_page()
            tab.on(
                "response",
                lambda r: (
                    redirects.append(r.headers.get("location", ""))
                    if r.url == url and r.status == 302
                    else None
                ),
            )
            landed = tab.goto(url)
            assert landed is not None and landed.status == 200
            assert tab.url == f"{sandbox.url}/dashboard/servers/{server_id}"
            assert tab.locator(f"[data-server-id='{server_id}']").is_visible()
            tab.screenshot(path=str(shots["first"]), full_page=True)
            cookies = [c["value"] for c in context.cookies() if c["name"].startswith("otwa_")]

            second = tab.goto(url)
            assert second is not None and second.status == 410
            assert tab.url == url  # no redirect this time: the bridge's own page
            assert tab.get_by_role("heading").inner_text() == "This link has already been used"
            assert (
                tab.get_by_role("link", name="Back to your client area").get_attribute("href")
                == AREA
            )
            assert BRAND in tab.content() and "otwa" not in tab.content().lower()
            tab.screenshot(path=str(shots["second"]), full_page=True)
        finally:
            browser.close()
    for name, shot in shots.items():
        assert shot.stat().st_size > 1000, name
        print(f"screenshot of the {name} click: {shot}")

    (minted,) = redirects
    assert minted.startswith(f"{sandbox.url}/sso/") and cookies
    assert_no_leaks(
        stack,
        {
            "link": url,
            "token": token_of(url),
            "minted URL": minted,
            "minted token": token_of(minted),
            **{f"cookie {n}": c for n, c in enumerate(cookies)},
        },
    )


# -- every refusal, through gunicorn ----------------------------------------------------------


def test_links_refused_for_every_reason_the_customer_can_meet(
    make_stack: StackFactory, whmcs: FakeWhmcs, sandbox: Sandbox
) -> None:
    stack = sso_stack(make_stack).start(workers=1)
    running(stack, whmcs, 601, 602, 603, 604)
    seen: dict[str, str] = {}

    def link(sid: int, **params: Any) -> str:
        url = issue(stack, sid, **params)
        seen[f"link {len(seen)}"] = url
        return url

    # Tampered: nothing spent, the very same link still opens afterwards.
    good = link(601)
    tampered = good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB")
    page(click(tampered), 404, "isn't valid")
    # A HEAD (a mail scanner, a link checker) spends nothing either.
    assert requests.head(good, timeout=15).status_code == 200
    opened = click(good)
    assert opened.status_code == 302 and opened.headers["Location"].startswith(sandbox.url)
    seen["minted"] = opened.headers["Location"]
    # Replayed: the second click of the same link.
    page(click(good), 410, "already been used")

    # Expired: a link signed (with the current secret) more than its TTL ago.
    late = LinkSigner([NEW]).issue(
        panel="whmcs", service_id="601", client_id="77", target="server", now=time.time() - 601
    )
    seen["expired"] = late.token
    page(click(f"{stack.url}/sso/{late.token}"), 410, "has expired")

    # Rotation: a link signed before the new secret came first still opens ...
    before = LinkSigner([OLD]).issue(
        panel="whmcs", service_id="601", client_id="77", target="server", now=time.time()
    )
    seen["old secret"] = before.token
    assert click(f"{stack.url}/sso/{before.token}").status_code == 302
    # ... and a new one is signed with the new secret alone.
    fresh = link(601)
    assert LinkSigner([NEW]).verify(token_of(fresh), now=time.time()).service_id == "601"

    # Another client's service: the panel moved it to client 78 after the link was issued.
    moved = link(602)
    moved_hook = stack.send({**whmcs_body("rename", 602, label="moved"), "userid": 78})
    assert moved_hook.status in (200, 202), moved_hook.response.text  # type: ignore[union-attr]
    page(click(moved), 403, "isn't in your account")
    asked_for_78 = stack.send({**whmcs_body("sso_link", 602), "userid": 77})
    assert (asked_for_78.status, asked_for_78.json()["error"]["code"]) == (403, "client_mismatch")

    # Suspended after the link was issued.
    suspended = link(603)
    assert stack.send(whmcs_body("SuspendAccount", 603)).status in (200, 202)
    page(click(suspended), 423, "suspended")

    # Terminated after the link was issued.
    terminated = link(604)
    gone = stack.send(whmcs_body("TerminateAccount", 604, grace_seconds=0))
    assert gone.status == 200, gone.response.text  # type: ignore[union-attr]
    page(click(terminated), 410, "cancelled")

    # Open redirect through the deep link: refused when asked for, and a signed token
    # carrying one anyway (only a holder of the secret could make it) opens nothing.
    for bad, code in (("//evil.test/x", "invalid_body"), ("/a/../../evil", "bad_request")):
        refused = stack.send(whmcs_body("sso_link", 601, target="dashboard", next=bad))
        assert (refused.status, refused.json()["error"]["code"]) == (400, code)
    payload = {"p": "whmcs", "s": "601", "c": "77", "t": "dashboard", "j": "j" * 22}
    forged = sign_raw({**payload, "e": int(time.time()) + 600, "n": "//evil.test/"}, secret=NEW)
    page(click(f"{stack.url}/sso/{forged}"), 404, "isn't valid")
    deep = link(601, target="dashboard", next="/dashboard/billing")
    landed = requests.get(deep, timeout=15)  # redirects followed, cookies kept
    assert landed.status_code == 200 and "Page: /dashboard/billing" in landed.text
    assert landed.url.startswith(f"{sandbox.url}/dashboard/billing")

    assert_no_leaks(stack, {**seen, **{f"token {k}": token_of(v) for k, v in seen.items()}})


def test_otwa_failing_or_slow_is_a_try_again_page_and_the_link_survives(
    make_stack: StackFactory, whmcs: FakeWhmcs, sandbox: Sandbox
) -> None:
    stack = sso_stack(make_stack).start(workers=1)
    running(stack, whmcs, 701)
    url = issue(stack, 701)
    sandbox.faults(1.0, ["500"])
    try:
        down = click(url)
    finally:
        sandbox.clear_faults()
    page(down, 503, "couldn't reach the control panel")
    assert down.headers["Retry-After"] == "60"
    sandbox.faults(1.0, ["timeout"], delay=5)  # longer than INLINE_DEADLINE (1.5 s)
    try:
        slow = click(url)
    finally:
        sandbox.clear_faults()  # releases the held request
    page(slow, 504, "didn't answer in time")
    opened = click(url)  # given back both times: the same link opens now
    assert opened.status_code == 302
    assert_no_leaks(
        stack, {"link": url, "token": token_of(url), "minted": opened.headers["Location"]}
    )


def test_two_clicks_racing_open_exactly_one_login(
    make_stack: StackFactory, whmcs: FakeWhmcs
) -> None:
    stack = sso_stack(make_stack).start(workers=1)
    running(stack, whmcs, 801)
    url = issue(stack, 801)
    start = threading.Barrier(8)
    answers: list[requests.Response] = []

    def racer() -> None:
        start.wait(timeout=30)
        answers.append(click(url))

    racers = [threading.Thread(target=racer) for _ in range(8)]
    for t in racers:
        t.start()
    for t in racers:
        t.join(timeout=60)
    assert sorted(r.status_code for r in answers) == [302] + [410] * 7
    for r in answers:
        if r.status_code == 410:
            page(r, 410, "already been used")
    assert stack.rows("SELECT count(*) AS n FROM sso_spent")[0]["n"] == 1


def test_a_forged_otwa_answer_is_never_followed(
    make_stack: StackFactory, whmcs: FakeWhmcs, sandbox: Sandbox
) -> None:
    proxy = ForgingProxy(sandbox.url, "https://evil.test/sso/stolen-session").start()
    try:
        stack = sso_stack(make_stack, OTWA_BASE_URL=proxy.api).start(workers=1)
        running(stack, whmcs, 901)
        url = issue(stack, 901)
        text = page(click(url), 502, "problem on our side")
        assert "evil.test" not in text and proxy.forged == 1
        page(click(url), 410, "already been used")  # a suspicious answer spends the link
        logs = stack.log_texts()["gunicorn.log"]
        assert "sso mint answer refused" in logs and "evil.test" not in logs
    finally:
        proxy.stop()


def test_the_worker_prunes_spent_links_after_they_expire(make_stack: StackFactory) -> None:
    stack = sso_stack(make_stack).start(workers=0)
    now = time.time()
    conn = sqlite3.connect(stack.db_path)
    with conn:  # one link that expired an hour ago (past the grace), one still valid
        conn.execute(
            "INSERT INTO sso_spent (jti, panel, service_id, spent_at, expires_at)"
            " VALUES ('old', 'whmcs', '1', ?, ?), ('live', 'whmcs', '2', ?, ?)",
            [now - 4000, now - 3400, now, now + 600],
        )
    conn.close()
    stack.add_worker()
    stack.wait_for(
        lambda: [r["jti"] for r in stack.rows("SELECT jti FROM sso_spent")] == ["live"],
        what="the worker to prune the expired link id",
    )
