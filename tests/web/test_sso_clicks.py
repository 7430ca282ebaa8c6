"""GET /sso/<token> as the app wires it: links handed out by the sso_link hook open the
server at a real Otwa (the sandbox) through the Bridge's own collaborators (provisioning's
lookup, the one mint, the shared budget as an interactive call, the Bridge's clock), in
the brand and with the panel's client area from the settings."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from bridge import create_app, runtime, store
from bridge.clock import ManualClock
from bridge.otwa import OtwaClient
from bridge.provisioning import worker
from bridge.sso import spent
from bridge.sso.tokens import LinkSigner, generate_secret
from tests.support.processes import Sandbox
from tests.web import hookkit as k
from tests.web.test_hooks_sso_link import add_service, sso_link

SSO_SECRET = generate_secret()
AREA = "https://billing.acme.test/clientarea.php"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(float(int(time.time())))  # hooks are signed with the real time


@pytest.fixture
def server_id(sandbox: Sandbox) -> str:
    """A running server at the sandbox, as a finished create leaves it."""
    client = OtwaClient("otwa_sandbox_default", base_url=sandbox.api, max_retries=0)
    product = client.products()[0]
    server = client.create_server(
        product_id=product.id,
        os="ubuntu-24.04",
        os_template="ubuntu-24.04",
        region=product.regions[0],
        label="whmcs-1042-g1",
        idempotency_key="sso-clicks-1042",
    )
    sandbox.advance(300)  # sandbox seconds: past any build
    return server.id


@pytest.fixture
def make_app(
    db_path: Path,
    tmp_path: Path,
    sandbox: Sandbox,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
):
    for name, value in k.ENV.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "bridge.toml"
    # The whmcs panel's table opens the file, so its client area can join it.
    config.write_text(
        k.TEST_TOML.replace(
            'secrets_env = "TEST_WHMCS_SECRETS"\n',
            f'secrets_env = "TEST_WHMCS_SECRETS"\nclient_area_url = "{AREA}"\n',
            1,
        )
    )

    def make(**extra: Any) -> Flask:
        settings = {
            "DATABASE": str(db_path),
            "CONFIG": str(config),
            "OTWA_BASE_URL": sandbox.api,
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
            "SSO_SECRETS": SSO_SECRET,
            "PUBLIC_BASE_URL": "http://127.0.0.1:8700",
            "BRAND_NAME": "Acme Hosting",
            "BRAND_COLOR": "#0a7",
            **extra,
        }
        return create_app(bridge=runtime.build(settings, clock=clock))

    return make


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


def link_path(app: Flask, **params: Any) -> str:
    r = k.post(app.test_client(), sso_link(**params))
    assert r.status_code == 200, r.json
    url: str = r.json["result"]["url"]
    assert url.startswith("http://127.0.0.1:8700/sso/")
    return url.removeprefix("http://127.0.0.1:8700")


def grants(tmp_path: Path) -> list[str]:
    """Priorities of the slots taken in the shared budget (none: the file is made lazily)."""
    if not (tmp_path / "budget.sqlite").exists():
        return []
    conn = sqlite3.connect(tmp_path / "budget.sqlite")
    try:
        return [row[0] for row in conn.execute("SELECT priority FROM grants ORDER BY at")]
    finally:
        conn.close()


def test_a_link_from_the_hook_opens_the_server_once(
    app: Flask, db_path: Path, tmp_path: Path, server_id: str
) -> None:
    add_service(db_path, server_id=server_id)
    path = link_path(app)
    assert grants(tmp_path) == []  # handing the link out asked Otwa nothing
    r = app.test_client().get(path)
    assert r.status_code == 302, r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    page = requests.get(r.headers["Location"], timeout=10)  # the browser follows
    assert page.status_code == 200 and f"data-server-id='{server_id}'" in page.text
    assert grants(tmp_path) == ["interactive"]  # one Otwa call, ahead of background work

    again = app.test_client().get(path)
    html = again.get_data(as_text=True)
    assert again.status_code == 410 and again.mimetype == "text/html"
    assert "already been used" in html and "Acme Hosting" in html and "#0a7" in html
    assert f'href="{AREA}"' in html  # the panel's own client area
    assert "otwa" not in html.lower()
    assert grants(tmp_path) == ["interactive"]  # no second login minted


def test_a_dashboard_link_lands_on_its_deep_link(app: Flask, db_path: Path, server_id: str) -> None:
    add_service(db_path, server_id=server_id)
    r = app.test_client().get(link_path(app, target="dashboard", next="/dashboard/billing"))
    assert r.status_code == 302
    page = requests.get(r.headers["Location"], timeout=10)
    assert page.status_code == 200 and "Page: /dashboard/billing" in page.text


def test_a_staff_account_link_opens_the_whole_dashboard(app: Flask) -> None:
    body = {"action": "sso_link", "serviceid": 0, "userid": 0, "params": {"target": "account"}}
    r = k.post(app.test_client(), body)
    assert r.status_code == 200, r.json
    click = app.test_client().get(r.json["result"]["url"].removeprefix("http://127.0.0.1:8700"))
    assert click.status_code == 302  # no service to re-check: the bridge never had one
    page = requests.get(click.headers["Location"], timeout=10)
    assert page.status_code == 200 and "Page: /dashboard/" in page.text


def test_the_service_is_checked_again_at_the_click(
    app: Flask, db_path: Path, server_id: str
) -> None:
    add_service(db_path, server_id=server_id)
    path = link_path(app)
    db = store.connect(db_path)
    with store.write(db):
        db.execute("UPDATE services SET suspended = 1")
    db.close()
    r = app.test_client().get(path)
    assert r.status_code == 423 and "suspended" in r.get_data(as_text=True)


def test_without_secrets_every_click_is_the_invalid_page(
    make_app, db_path: Path, server_id: str, clock: ManualClock
) -> None:
    app = make_app(SSO_SECRETS="")
    add_service(db_path, server_id=server_id)
    token = (
        LinkSigner([generate_secret()])
        .issue(panel="whmcs", service_id="1042", client_id="77", target="server", now=clock.now())
        .token
    )
    r = app.test_client().get(f"/sso/{token}")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "isn't valid" in html
    assert f'href="{AREA}"' in html  # the only client area configured is the fallback


def test_the_worker_prunes_spent_link_ids_once_their_links_expired(
    app: Flask, db_path: Path, server_id: str, clock: ManualClock
) -> None:
    add_service(db_path, server_id=server_id)
    assert app.test_client().get(link_path(app)).status_code == 302
    bridge = app.extensions[runtime.EXTENSION]
    db = store.connect(db_path)
    try:
        assert worker.prune_if_due(bridge, db) == 0  # spent, not yet expired
        assert db["sso_spent"].count == 1
        clock.advance(worker.PRUNE_EVERY)  # past expiry + grace, and the next hourly run
        assert 600 + spent.PRUNE_GRACE < worker.PRUNE_EVERY
        assert worker.prune_if_due(bridge, db) == 1
        assert db["sso_spent"].count == 0
    finally:
        db.close()
