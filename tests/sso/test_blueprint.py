"""GET /sso/<token> end to end: a Flask test app with the bridge's own error handlers, real
SQLite, and a real Otwa (the sandbox over loopback HTTP) minting the login URLs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlite_utils
from flask import Flask
from flask.testing import FlaskClient

from bridge import store
from bridge.errors import register_error_handlers
from bridge.otwa import OtwaClient
from bridge.otwa.retry import no_backoff
from bridge.sso import migrations, spent
from bridge.sso.blueprint import create_blueprint
from bridge.sso.branding import Branding
from bridge.sso.collaborators import Mint, ServiceRecord, ServiceState, mint_with
from bridge.sso.redirects import RedirectPolicy
from bridge.sso.tokens import IssuedLink, LinkSigner
from tests.sso.conftest import SECRET_NEW, SECRET_OLD, T0, Clock, sign_raw
from tests.support.processes import Sandbox

WHMCS_AREA = "https://billing.acme.test/clientarea.php"
BLESTA_AREA = "https://blesta.acme.test/client/"
FALLBACK_AREA = "https://acme.test/"


class Services:
    """The lookup collaborator: the bridge's view of services, set by each test."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], ServiceRecord] = {}
        self.fail: Exception | None = None

    def __call__(self, panel: str, service_id: str, /) -> ServiceRecord | None:
        if self.fail is not None:
            raise self.fail
        return self.records.get((panel, service_id))


@dataclass
class Stack:
    """The app under test and what it talks to."""

    app: Flask
    sandbox: Sandbox
    signer: LinkSigner
    clock: Clock
    services: Services
    db_path: Path
    server_id: str
    mints: list[tuple[str | None, str | None]] = field(default_factory=list)
    mint_override: Callable[[str | None, str | None], str] | None = None

    def link(self, **claims: Any) -> IssuedLink:
        fields = {"panel": "whmcs", "service_id": "1042", "client_id": "77", "target": "server"}
        return self.signer.issue(**{**fields, **claims}, now=self.clock())

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def click(self, token: str, **kwargs: Any) -> Any:
        return self.client().get(f"/sso/{token}", **kwargs)

    def spent_count(self) -> int:
        db = store.connect(self.db_path)
        try:
            return int(db["sso_spent"].count)
        finally:
            db.close()


def otwa_client(sandbox: Sandbox, timeout: float = 5.0) -> OtwaClient:
    return OtwaClient(
        "otwa_sandbox_default",
        base_url=sandbox.api,
        priority="interactive",
        max_retries=0,
        timeout=timeout,
        backoff=no_backoff,
    )


def running_server(sandbox: Sandbox) -> str:
    client = otwa_client(sandbox)
    product = client.products()[0]
    server = client.create_server(
        product_id=product.id,
        os="ubuntu-24.04",
        os_template="ubuntu-24.04",
        region=product.regions[0],
        label="whmcs-1042",
        idempotency_key="sso-test-1042",
    )
    sandbox.advance(300)  # sandbox seconds: past any build time
    assert client.get_server(server.id).status == "running"
    return server.id


def build_stack(
    sandbox: Sandbox,
    db_path: Path,
    clock: Clock,
    *,
    mint_timeout: float = 5.0,
    db: Callable[[], sqlite_utils.Database] | None = None,
) -> Stack:
    """The bridge's migrated database, a running server at Otwa for service whmcs/1042 of
    client 77, and the app with the blueprint; ``db`` replaces the connection provider."""
    conn = store.connect(db_path, migrate=True)
    migrations.apply(conn)
    conn.close()
    services = Services()
    server_id = running_server(sandbox)
    services.records[("whmcs", "1042")] = ServiceRecord(ServiceState.ACTIVE, "77", server_id)
    stack: Stack
    real_mint = mint_with(otwa_client(sandbox, timeout=mint_timeout))

    def mint(server_id: str | None, next_path: str | None, /) -> str:
        stack.mints.append((server_id, next_path))
        if stack.mint_override is not None:
            return stack.mint_override(server_id, next_path)
        return real_mint(server_id, next_path)

    signer = LinkSigner([SECRET_NEW, SECRET_OLD])
    app = Flask("sso-test")
    app.config["TESTING"] = False  # exceptions must reach the handlers, as in production
    register_error_handlers(app)  # the bridge's JSON handlers: the blueprint must win
    app.register_blueprint(
        create_blueprint(
            signer=signer,
            db=db or (lambda: store.thread_db(db_path)),
            lookup=services,
            mint=mint,
            policy=RedirectPolicy.for_otwa(sandbox.api),
            branding=Branding(name="Acme Hosting", color="#0a7"),
            client_areas={"whmcs": WHMCS_AREA, "blesta": BLESTA_AREA},
            fallback_client_area=FALLBACK_AREA,
            clock=clock,
        )
    )
    stack = Stack(app, sandbox, signer, clock, services, db_path, server_id)
    return stack


@pytest.fixture
def stack(sandbox: Sandbox, tmp_path: Path, clock: Clock) -> Stack:
    return build_stack(sandbox, tmp_path / "bridge.sqlite", clock)


def assert_page(response: Any, status: int, phrase: str, back: str | None = WHMCS_AREA) -> str:
    """A refusal: HTML (never JSON), the status, the sentence, the way back, the headers."""
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert phrase in html, html
    if back:
        assert f'href="{back}"' in html
    assert "Location" not in response.headers
    assert_safe_headers(response)
    assert "otwa" not in html.lower() and "Traceback" not in html
    return html


def assert_safe_headers(response: Any) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def follow_in_browser(location: str) -> requests.Response:
    """What the customer's browser does with the 302: open the Otwa login URL."""
    return requests.get(location, timeout=10)


# -- the happy paths -------------------------------------------------------------------------


def test_a_click_lands_logged_in_on_the_servers_page(stack: Stack) -> None:
    link = stack.link()
    r = stack.click(link.token)
    assert r.status_code == 302 and r.get_data() == b""
    location = r.headers["Location"]
    assert location.startswith(f"{stack.sandbox.url}/sso/")
    assert_safe_headers(r)
    assert stack.mints == [(stack.server_id, None)]
    page = follow_in_browser(location)
    assert page.status_code == 200 and f"data-server-id='{stack.server_id}'" in page.text
    db = store.connect(stack.db_path)
    assert spent.is_spent(db, link.claims.jti)
    db.close()


def test_a_dashboard_link_opens_the_deep_link_on_the_dashboard(stack: Stack) -> None:
    link = stack.link(target="dashboard", next_path="/dashboard/billing")
    r = stack.click(link.token)
    assert r.status_code == 302
    assert stack.mints == [(None, "/dashboard/billing")]  # POST /sso, not the server's
    page = follow_in_browser(r.headers["Location"])
    assert page.status_code == 200 and "Page: /dashboard/billing" in page.text


def test_a_second_click_gets_the_already_used_page(stack: Stack) -> None:
    link = stack.link()
    assert stack.click(link.token).status_code == 302
    assert_page(stack.click(link.token), 410, "already been used")
    assert len(stack.mints) == 1  # no second login minted


def test_two_clicks_racing_give_exactly_one_login(sandbox: Sandbox, tmp_path: Path) -> None:
    # Both clicks verify the token, then meet at a barrier right before spending it, each on
    # its own connection: the database alone decides who wins.
    db_path = tmp_path / "bridge.sqlite"
    barrier = threading.Barrier(2)
    local = threading.local()

    def db_after_barrier() -> sqlite_utils.Database:
        if not getattr(local, "met", False):
            local.met = True
            barrier.wait(timeout=10)
        return store.thread_db(db_path)

    stack = build_stack(sandbox, db_path, Clock(), db=db_after_barrier)
    link = stack.link()
    responses: list[Any] = []

    def click() -> None:
        responses.append(stack.click(link.token))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r.status_code for r in responses) == [302, 410]
    assert_page(next(r for r in responses if r.status_code == 410), 410, "already been used")
    assert len(stack.mints) == 1 and stack.spent_count() == 1


def test_rotation_old_links_still_open_new_links_use_the_new_secret(stack: Stack) -> None:
    before_rotation = LinkSigner([SECRET_OLD]).issue(
        panel="whmcs", service_id="1042", client_id="77", target="server", now=stack.clock()
    )
    assert stack.click(before_rotation.token).status_code == 302
    fresh = stack.link()
    assert LinkSigner([SECRET_NEW]).verify(fresh.token, now=stack.clock()) == fresh.claims
    assert stack.click(fresh.token).status_code == 302


# -- links that do not open anything -----------------------------------------------------------


def test_a_tampered_link_is_invalid_and_spends_nothing(stack: Stack) -> None:
    token = stack.link().token
    tampered = token[:-8] + ("A" if token[-8] != "A" else "B") + token[-7:]
    assert_page(stack.click(tampered), 404, "isn't valid", back=FALLBACK_AREA)
    assert stack.spent_count() == 0 and stack.mints == []


def test_an_expired_link_says_so_and_points_at_its_own_panel(stack: Stack) -> None:
    link = stack.link(panel="blesta")
    stack.clock.advance(599)
    stack.services.records[("blesta", "1042")] = stack.services.records[("whmcs", "1042")]
    assert stack.click(link.token).status_code == 302
    late = stack.link(panel="blesta")
    stack.clock.advance(600)
    assert_page(stack.click(late.token), 410, "expired", back=BLESTA_AREA)
    assert stack.spent_count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/sso/",
        "/sso/garbage",
        "/sso/bsso_x.y.z",
        "/sso/a/b/c",
        "/sso/%00%0d%0a",
        "/sso/" + "x" * 5000,
    ],
)
def test_garbage_gets_the_invalid_page_never_json(stack: Stack, path: str) -> None:
    assert_page(stack.client().get(path), 404, "isn't valid", back=FALLBACK_AREA)


@pytest.mark.parametrize(
    ("record", "status", "phrase"),
    [
        (None, 404, "couldn't find this service"),
        (ServiceRecord(ServiceState.ACTIVE, "78", "srv"), 403, "isn't in your account"),
        (ServiceRecord(ServiceState.SUSPENDED, "77", "srv"), 423, "suspended"),
        (ServiceRecord(ServiceState.TERMINATED, "77", None), 410, "cancelled"),
    ],
)
def test_the_service_is_checked_again_at_the_click(
    stack: Stack, record: ServiceRecord | None, status: int, phrase: str
) -> None:
    link = stack.link()
    if record is None:
        del stack.services.records[("whmcs", "1042")]
    else:
        stack.services.records[("whmcs", "1042")] = record
    assert_page(stack.click(link.token), status, phrase)
    assert stack.mints == []  # Otwa never asked
    assert stack.spent_count() == 1  # a refusal for good spends the link


def test_a_server_not_ready_yet_gives_the_link_back_for_a_later_click(stack: Stack) -> None:
    link = stack.link()
    active = stack.services.records[("whmcs", "1042")]
    stack.services.records[("whmcs", "1042")] = ServiceRecord(ServiceState.PENDING, "77", None)
    r = assert_page(stack.click(link.token), 409, "still being set up")
    assert r and stack.spent_count() == 0
    stack.services.records[("whmcs", "1042")] = active
    assert stack.click(link.token).status_code == 302


# -- Otwa failing, slow or lying ---------------------------------------------------------------


def test_otwa_5xx_is_a_try_again_page_and_the_same_link_works_after(stack: Stack) -> None:
    link = stack.link()
    stack.sandbox.faults(1.0, ["500"])
    assert_page(stack.click(link.token), 503, "couldn't reach the control panel")
    assert stack.spent_count() == 0
    stack.sandbox.clear_faults()
    r = stack.click(link.token)
    assert r.status_code == 302 and follow_in_browser(r.headers["Location"]).status_code == 200


def test_otwa_timing_out_is_the_slow_page(sandbox: Sandbox, tmp_path: Path, clock: Clock) -> None:
    stack = build_stack(sandbox, tmp_path / "bridge.sqlite", clock, mint_timeout=0.5)
    link = stack.link()
    sandbox.faults(1.0, ["timeout"], delay=5)
    try:
        r = stack.click(link.token)
    finally:
        sandbox.clear_faults()  # releases the held request
    assert_page(r, 504, "didn't answer in time")
    assert r.headers["Retry-After"] == "60" and stack.spent_count() == 0


@pytest.mark.parametrize(
    "forged",
    [
        "https://evil.test/sso/abc",
        "https://otwa.cloud.evil.test/sso/abc",
        "http://otwa.cloud/sso/abc",
        "https://otwa.cloud@evil.test/",
        "//evil.test/sso/abc",
        "javascript:alert(1)",
        None,
    ],
)
def test_a_forged_mint_answer_is_never_followed(stack: Stack, forged: object) -> None:
    stack.mint_override = lambda server_id, next_path: forged  # type: ignore[assignment,return-value]
    assert_page(stack.click(stack.link().token), 502, "problem on our side")
    assert stack.spent_count() == 1  # a suspicious answer does not hand the link back


def test_deep_links_cannot_redirect_anywhere_else(stack: Stack) -> None:
    # The issuer refuses them outright ...
    for bad in ("//evil.test", "/\\evil.test", "https://evil.test", "/a\r\nLocation: x"):
        with pytest.raises(ValueError):
            stack.link(target="dashboard", next_path=bad)
    # ... and a token carrying one anyway (signed with our secret) opens nothing.
    payload = {"p": "whmcs", "s": "1042", "c": "77", "t": "dashboard", "j": "j" * 22}
    forged = sign_raw({**payload, "e": int(T0) + 600, "n": "//evil.test/"})
    assert_page(stack.click(forged), 404, "isn't valid", back=FALLBACK_AREA)
    assert stack.mints == [] and stack.spent_count() == 0
    # A good deep link reaches Otwa as it is, and the redirect still goes to Otwa's host.
    r = stack.click(stack.link(target="dashboard", next_path="/dashboard/servers").token)
    assert r.status_code == 302 and r.headers["Location"].startswith(stack.sandbox.url + "/")


@pytest.mark.parametrize("where", ["lookup", "mint"])
def test_a_bug_in_a_collaborator_is_the_error_page(stack: Stack, where: str) -> None:
    def boom(*args: object) -> Any:
        raise RuntimeError("collaborator bug")

    if where == "lookup":
        stack.services.fail = RuntimeError("collaborator bug")
    else:
        stack.mint_override = boom
    link = stack.link()
    assert_page(stack.click(link.token), 500, "problem on our side")
    assert stack.spent_count() == 0  # our fault: the customer may click again


def test_head_requests_do_not_spend_the_link(stack: Stack) -> None:
    link = stack.link()
    r = stack.client().head(f"/sso/{link.token}")
    assert r.status_code == 200 and r.get_data() == b"" and stack.spent_count() == 0
    assert_safe_headers(r)
    assert stack.click(link.token).status_code == 302


def test_the_app_keeps_answering_json_elsewhere(stack: Stack) -> None:
    r = stack.client().get("/nope")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


def test_client_area_urls_are_checked_when_the_blueprint_is_built(stack: Stack) -> None:
    mint: Mint = mint_with(otwa_client(stack.sandbox))
    for areas, fallback in (({"whmcs": "javascript:alert(1)"}, None), ({}, "/relative")):
        with pytest.raises(ValueError, match="client area"):
            create_blueprint(
                signer=stack.signer,
                db=lambda: store.thread_db(stack.db_path),
                lookup=stack.services,
                mint=mint,
                policy=RedirectPolicy.for_otwa(stack.sandbox.api),
                branding=Branding(name="Acme"),
                client_areas=areas,
                fallback_client_area=fallback,
            )
