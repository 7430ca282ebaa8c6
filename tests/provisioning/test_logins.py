"""provisioning.logins: the services table as a login sees it, recording the owner of a
service from before m004, and the one mint both the sso action and a click use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlite_utils

from bridge import store
from bridge.otwa import OtwaClient
from bridge.provisioning import logins
from bridge.provisioning.logins import ServiceRecord, ServiceState
from bridge.store.migrations import migrations
from tests.support.processes import Sandbox


@pytest.fixture
def db(db_path: Path) -> Iterator[sqlite_utils.Database]:
    conn = store.connect(db_path)
    store.apply_migrations(conn, (migrations,))
    yield conn
    conn.close()


def service(db: sqlite_utils.Database, state: str, **fields: object) -> None:
    row = {"suspended": 0, "client_id": "77", "server_id": "srv-1", **fields}
    with store.write(db):
        db.execute(
            "INSERT INTO services (panel, service_id, generation, state, suspended, server_id,"
            " client_id, created_at, updated_at) VALUES ('whmcs', '1', 1, ?, ?, ?, ?, 0, 0)",
            [state, row["suspended"], row["server_id"], row["client_id"]],
        )


@pytest.mark.parametrize(
    ("state", "fields", "expected"),
    [
        ("active", {}, ServiceState.ACTIVE),
        ("active", {"suspended": 1}, ServiceState.SUSPENDED),
        ("provisioning", {"server_id": None}, ServiceState.PENDING),
        ("failed", {"server_id": None}, ServiceState.PENDING),
        ("terminating", {"suspended": 1}, ServiceState.TERMINATED),
        ("terminated", {"server_id": None}, ServiceState.TERMINATED),
    ],
)
def test_the_service_as_a_login_sees_it(
    db: sqlite_utils.Database, state: str, fields: dict[str, object], expected: ServiceState
) -> None:
    service(db, state, **fields)
    record = logins.lookup(db, "whmcs", "1")
    assert record is not None and record.state is expected
    assert record.client_id == "77"


def test_an_unknown_service_is_none(db: sqlite_utils.Database) -> None:
    assert logins.lookup(db, "whmcs", "nope") is None


def test_a_waiting_terminate_counts_as_terminated(db: sqlite_utils.Database) -> None:
    service(db, "active")
    with store.write(db):
        db.execute(
            "INSERT INTO operations (id, panel, service_id, generation, action, state,"
            " created_at, updated_at) VALUES ('op_1', 'whmcs', '1', 1, 'terminate',"
            " 'scheduled', 0, 0)"
        )
    assert logins.lookup(db, "whmcs", "1") == ServiceRecord(ServiceState.TERMINATED, "77", "srv-1")


def test_an_owner_is_recorded_once_and_never_replaced(db: sqlite_utils.Database) -> None:
    service(db, "active", client_id=None)
    record = logins.lookup(db, "whmcs", "1")
    assert record is not None and record.client_id is None
    assert logins.adopt_owner(db, "whmcs", "1", "77", now=5.0) is True
    assert logins.adopt_owner(db, "whmcs", "1", "78", now=6.0) is False
    assert logins.adopt_owner(db, "whmcs", "nope", "78", now=6.0) is False
    record = logins.lookup(db, "whmcs", "1")
    assert record is not None and record.client_id == "77"


def test_one_mint_for_a_server_page_and_for_the_dashboard(sandbox: Sandbox) -> None:
    client = OtwaClient("otwa_sandbox_default", base_url=sandbox.api, max_retries=0)
    product = client.products()[0]
    server = client.create_server(
        product_id=product.id,
        os="ubuntu-24.04",
        os_template="ubuntu-24.04",
        region=product.regions[0],
        label="whmcs-1-g1",
        idempotency_key="logins-1",
    )
    sandbox.advance(300)
    with requests.Session() as browser:
        page = browser.get(logins.mint(client, server.id, None).url, timeout=10)
        assert f"data-server-id='{server.id}'" in page.text
    with requests.Session() as browser:
        page = browser.get(logins.mint(client, None, "/dashboard/billing").url, timeout=10)
        assert "Page: /dashboard/billing" in page.text
