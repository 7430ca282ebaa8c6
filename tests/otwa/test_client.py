"""Every endpoint through the real client against the real sandbox over loopback HTTP."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from decimal import Decimal

import pytest

from bridge.otwa import OtwaClient, errors, models
from tests.support.processes import Sandbox

BUILD_SECONDS = 300  # sandbox seconds: more than the 60-120 s a build takes


def order(client: OtwaClient, key: str = "op-1", **extra: object) -> models.Server:
    product = client.products()[0]
    options: dict[str, object] = {
        "product_id": product.id,
        "os": "ubuntu-24.04",
        "os_template": "ubuntu-24.04",
        "region": product.regions[0],
        "label": "web-1",
        "idempotency_key": key,
    }
    options.update(extra)
    return client.create_server(**options)  # type: ignore[arg-type]


def running(client: OtwaClient, sandbox: Sandbox, key: str = "op-1") -> models.Server:
    server = order(client, key)
    sandbox.advance(BUILD_SECONDS)
    server = client.get_server(server.id)
    assert server.status == "running"
    return server


def test_account_and_catalog(client: OtwaClient) -> None:
    account = client.account()
    assert account.email == "demo@sandbox.otwa.test" and account.balance == Decimal("500.00")
    reseller = client.reseller()
    assert reseller.partner and reseller.brand_slug == "demo-hosting"
    assert reseller.margin_percent == Decimal("20.00")
    products = client.products()
    assert products and all(isinstance(p.monthly_price, Decimal) for p in products)
    assert all(p.regions for p in products)
    regions = {r.slug for r in client.regions()}
    assert set(products[0].regions) <= regions
    templates = {t.id: t for t in client.os_templates()}
    assert templates["ubuntu-24.04"].family == "ubuntu"
    assert "windows-2022" in templates
    rule = client.affiliate_rule()
    assert rule.trigger in {"verified_signup", "first_deposit", "every_deposit"}
    assert isinstance(rule.reward_amount, Decimal)


def test_create_is_charged_once_and_replayed(client: OtwaClient, sandbox: Sandbox) -> None:
    price = client.products()[0].monthly_price
    first = order(client, "op-create")
    assert first.status == "pending" and first.label == "web-1" and not first.replayed
    again = order(client, "op-create")
    assert again.replayed and again.id == first.id
    assert [s.id for s in client.list_servers()] == [first.id]
    assert client.account().balance == Decimal("500.00") - price
    state = sandbox.state()
    assert len(state["servers"]) == 1 and len(state["charges"]) == 1
    sandbox.advance(BUILD_SECONDS)
    server = client.get_server(first.id)
    assert server.status == "running" and server.ip_address
    assert server.os == "ubuntu-24.04" and server.product_id == first.product_id
    assert server.created_at is not None and server.hostname


def test_server_lifecycle(
    client: OtwaClient, destroyer: OtwaClient, sandbox: Sandbox, logs: io.StringIO
) -> None:
    server = running(client, sandbox)
    creds = client.credentials(server.id)
    assert creds.username == "root" and creds.port == 22 and creds.ip == server.ip_address
    assert creds.password and creds.password not in repr(creds)
    stats = client.stats(server.id)
    assert stats.power_state == "POWERED_ON"

    assert client.power(server.id, "stop") == "stopping"
    sandbox.advance(BUILD_SECONDS)
    assert client.get_server(server.id).status == "stopped"
    assert client.stats(server.id).live is None
    assert client.power(server.id, "start") == "starting"
    sandbox.advance(BUILD_SECONDS)
    assert client.power(server.id, "reboot") == "rebooting"
    sandbox.advance(BUILD_SECONDS)

    renamed = client.rename_server(server.id, "web-renamed")
    assert renamed.label == "web-renamed" and client.get_server(server.id).label == "web-renamed"

    new = client.reset_password(server.id)
    assert new.password and new.password != creds.password
    assert client.credentials(server.id).password == new.password

    rebuilt = destroyer.reinstall(
        server.id, os="debian-12", os_template="debian-12", idempotency_key="op-reinstall"
    )
    assert rebuilt.id == server.id and rebuilt.status == "building" and not rebuilt.replayed
    again = destroyer.reinstall(
        server.id, os="debian-12", os_template="debian-12", idempotency_key="op-reinstall"
    )
    assert again.replayed
    sandbox.advance(BUILD_SECONDS)
    after = client.get_server(server.id)
    assert after.os == "debian-12" and after.ip_address == server.ip_address

    assert destroyer.delete_server(server.id) is None
    assert client.get_server(server.id).status == "terminated"
    text = logs.getvalue()
    for secret in (creds.password, new.password, "otwa_sandbox_default", "otwa_sandbox_destroy"):
        assert secret not in text


def test_addons_purchase(client: OtwaClient, sandbox: Sandbox) -> None:
    server = running(client, sandbox)
    offers = client.addons(server.id)
    assert offers and not any(o.active for o in offers)
    ip_offer = next(o for o in offers if o.type == "extra-ip")
    assert isinstance(ip_offer.prorated_price, Decimal)
    balance = client.account().balance
    purchase = client.buy_addon(server.id, ip_offer.id)
    assert purchase.charged == ip_offer.prorated_price
    assert purchase.balance == balance - ip_offer.prorated_price
    detail = client.get_server(server.id)
    assert [a.id for a in detail.addons] == [ip_offer.id] and detail.additional_ips
    assert any(o.active for o in client.addons(server.id) if o.type == "extra-ip")
    with pytest.raises(errors.ValidationError) as exc:  # one add-on per type
        client.buy_addon(server.id, ip_offer.id)
    assert exc.value.messages


def test_sso_links_are_secret(client: OtwaClient, sandbox: Sandbox, logs: io.StringIO) -> None:
    server = order(client)
    link = client.sso("/dashboard/billing")
    assert link.url.startswith("http") and link.expires_in == 300
    server_link = client.server_sso(server.id)
    assert server_link.url != link.url
    logging.getLogger("tests").info("links: %s %s", link.url, server_link.url)
    text = logs.getvalue()
    assert link.url not in text and server_link.url not in text and "links:" in text


def test_one_structured_line_per_request(client: OtwaClient, logs: io.StringIO) -> None:
    server = order(client, "op-log")
    client.with_options(request_id="req_hook_42").get_server(server.id)
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    mine = [line for line in lines if line["logger"] == "bridge.otwa"]
    by_path = {(line["method"], line["path"]): line for line in mine}
    post = by_path[("POST", "/servers")]
    assert post["status"] == 201 and post["attempt"] == 1 and post["level"] == "info"
    assert post["elapsed_ms"] >= 0 and post["request_id"]
    get = by_path[("GET", "/servers/{id}")]
    assert get["level"] == "debug" and get["request_id"] == "req_hook_42"
    assert server.id not in json.dumps(get["path"])  # the template, not the id


@pytest.mark.parametrize("key", ["otwa_not_a_key_0000", "garbage"])
def test_401_bad_key(make_client: Callable[..., OtwaClient], key: str) -> None:
    with pytest.raises(errors.AuthenticationError) as exc:
        make_client(key).account()
    assert exc.value.status == 401 and exc.value.request_id
    assert str(exc.value).startswith(f"Request {exc.value.request_id}:")
    assert key not in str(exc.value) and key not in repr(exc.value)


def test_402_nothing_created(make_client: Callable[..., OtwaClient], sandbox: Sandbox) -> None:
    broke = make_client("otwa_sandbox_broke")
    with pytest.raises(errors.PaymentRequiredError) as exc:
        order(broke)
    assert exc.value.status == 402 and not exc.value.retryable
    state = sandbox.state()
    assert state["servers"] == [] and state["charges"] == []


def test_403_names_missing_scope(
    client: OtwaClient, make_client: Callable[..., OtwaClient], sandbox: Sandbox
) -> None:
    server = order(client)
    with pytest.raises(errors.ScopeError) as exc:
        client.delete_server(server.id)
    assert exc.value.missing_scopes == ["servers:destroy"]
    with pytest.raises(errors.ScopeError) as exc:
        order(make_client("otwa_sandbox_readonly"), "op-ro")
    assert exc.value.missing_scopes == ["servers:write"]
    assert len(sandbox.state()["servers"]) == 1


def test_404_unknown_or_foreign(client: OtwaClient, make_client: Callable[..., OtwaClient]) -> None:
    with pytest.raises(errors.NotFoundError):
        client.get_server("00000000-0000-4000-8000-000000000000")
    with pytest.raises(errors.NotFoundError):
        client.get_server("../account")  # quoted: stays one path segment
    foreign = order(make_client("otwa_sandbox_other"), "op-other")
    for call in (client.get_server, client.credentials, client.stats, client.addons):
        with pytest.raises(errors.NotFoundError):
            call(foreign.id)


def test_400_validation_messages(client: OtwaClient, sandbox: Sandbox) -> None:
    with pytest.raises(errors.ValidationError) as exc:
        order(client, label="-bad label!", os="no-such-os", os_template="no-such-os")
    assert exc.value.status == 400 and len(exc.value.messages) >= 2
    assert all(isinstance(m, str) and m for m in exc.value.messages)
    with pytest.raises(errors.ValidationError):
        client.sso("https://evil.example/")
    assert sandbox.state()["servers"] == []


def test_409_wrong_state_is_not_retried(client: OtwaClient, sandbox: Sandbox) -> None:
    server = order(client)  # pending
    before = sandbox.state()["requests"]["total"]
    with pytest.raises(errors.ConflictError) as exc:
        client.power(server.id, "start")
    assert type(exc.value) is errors.ConflictError and exc.value.status == 409
    assert sandbox.state()["requests"]["total"] == before + 1


def test_422_idempotency_key_reused_with_other_body(client: OtwaClient, sandbox: Sandbox) -> None:
    order(client, "op-same")
    with pytest.raises(errors.IdempotencyConflict) as exc:
        order(client, "op-same", label="another")
    assert exc.value.status == 422 and not exc.value.in_flight and not exc.value.retryable
    assert len(sandbox.state()["servers"]) == 1


def test_power_action_checked_locally(client: OtwaClient, sandbox: Sandbox) -> None:
    before = sandbox.state()["requests"]["total"]
    with pytest.raises(ValueError):
        client.power("x", "explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.create_server(product_id="p", os="o", os_template="o", idempotency_key="")
    assert sandbox.state()["requests"]["total"] == before
