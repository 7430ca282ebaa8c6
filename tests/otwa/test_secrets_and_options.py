"""Canary secrets never reach a log line or an exception text; options, settings, budget_wait."""

from __future__ import annotations

import io
import logging
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from bridge import runtime
from bridge.otwa import Budget, OtwaClient, errors
from tests.otwa.test_client import order, running
from tests.support.processes import Sandbox

log = logging.getLogger("tests.otwa.secrets")


def failing_calls(client: OtwaClient, sandbox: Sandbox) -> list[str]:
    """Run calls that fail every way we know; return each exception's str, repr and traceback."""
    texts: list[str] = []

    def attempt(call: Callable[[], object]) -> None:
        try:
            call()
        except errors.OtwaError as exc:
            texts.extend([str(exc), repr(exc), *traceback.format_exception(exc)])
            log.exception("otwa call failed: %s", exc)
            log.error("body was %s", exc.body)
        else:  # pragma: no cover - every call here must fail
            raise AssertionError("expected a failure")

    attempt(lambda: client.get_server("00000000-0000-4000-8000-000000000000"))
    attempt(lambda: client.delete_server("00000000-0000-4000-8000-000000000000"))
    attempt(lambda: order(client, label="-bad-"))
    sandbox.faults(1.0, ["500"], limit=1)
    attempt(lambda: client.with_options(max_retries=0).account())
    sandbox.faults(1.0, ["reset"], limit=1)
    attempt(lambda: client.with_options(max_retries=0).account())
    sandbox.faults(1.0, ["timeout"], limit=1, delay=2)
    attempt(lambda: client.with_options(max_retries=0, timeout=0.2).account())
    sandbox.clear_faults()
    return texts


def test_canaries_never_reach_logs_or_exceptions(
    make_client: Callable[..., OtwaClient], sandbox: Sandbox, logs: io.StringIO
) -> None:
    # Keys: the one in use (valid), and invalid ones with and without the otwa_ shape.
    for canary_key in ("otwa_canaryKEY_4b1f9e", "canary-key-5c1d2e7a"):
        texts = failing_calls(make_client(canary_key), sandbox)
        assert any("401" in t for t in texts)
        for text in texts + [logs.getvalue()]:
            assert canary_key not in text

    client = make_client()
    server = running(client, sandbox)
    password = client.credentials(server.id).password
    new_password = client.reset_password(server.id).password
    sso_url = client.sso().url
    server_sso_url = client.server_sso(server.id).url
    canaries = ["otwa_sandbox_default", password, new_password, sso_url, server_sso_url]
    log.info("credentials %s / %s, links %s %s", password, new_password, sso_url, server_sso_url)
    texts = failing_calls(client, sandbox)
    assert len(texts) > 10
    output = logs.getvalue()
    assert "otwa call failed" in output and "credentials" in output
    for canary in canaries:
        assert canary and len(canary) >= 8
        for text in texts + [output]:
            assert canary not in text


def test_with_options_is_a_cheap_copy(client: OtwaClient) -> None:
    copy = client.with_options(priority="interactive", max_retries=0, timeout=1.5, budget_wait=0)
    assert copy is not client and copy.session is client.session
    assert (copy.priority, copy.max_retries, copy.timeout, copy.budget_wait) == (
        "interactive",
        0,
        1.5,
        0,
    )
    assert (client.priority, client.max_retries, client.timeout) == ("background", 4, 5.0)
    with pytest.raises(ValueError):
        client.with_options(priority="urgent")  # type: ignore[arg-type]


def test_the_bridge_builds_a_client_per_key(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "empty.toml").write_text("")
    bridge = runtime.build(
        {
            "OTWA_BASE_URL": sandbox.api,
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
            "OTWA_RATE_WINDOW": 30.0,
            "CONFIG": str(tmp_path / "empty.toml"),
        },
        env={},
    )
    client = bridge.client()
    destroyer = bridge.client(destroy=True).with_options(priority="interactive")
    assert client.budget is not None and client.budget.window == 30.0
    assert destroyer.priority == "interactive"
    server = order(client)
    with pytest.raises(errors.ScopeError):
        client.delete_server(server.id)
    destroyer.delete_server(server.id)
    assert client.get_server(server.id).status == "terminated"
    assert client.budget.usage("otwa_sandbox_default")["used"] >= 3
    assert destroyer.budget is not None
    assert destroyer.budget.usage("otwa_sandbox_destroy")["interactive"] == 1


def test_budget_exhausted_sends_nothing(
    make_client: Callable[..., OtwaClient], sandbox: Sandbox, tmp_path: Path
) -> None:
    # Otwa's window, frozen so it cannot reset, spent down to 5 left outside the budget: the
    # budget spends what Otwa says is left (less its margin of 2), not its own fallback limit.
    requests.put(f"{sandbox.url}/_sandbox/clock", json={"timeScale": 0}, timeout=5)
    for _ in range(95):
        requests.get(
            f"{sandbox.api}/account",
            headers={"Authorization": "Bearer otwa_sandbox_default"},
            timeout=5,
        )
    budget = Budget(tmp_path / "budget.sqlite", limit=90, window=60.0, reserve=1)
    client = make_client(budget=budget, budget_wait=0)
    client.account()  # Otwa: 4 left; the budget: 4 - margin 2 = 2 free
    client.account()  # 1 free: the reserved slot
    before = sandbox.state()["requests"]["total"]
    with pytest.raises(errors.BudgetExhausted) as exc:
        client.account()
    assert exc.value.retry_after > 50 and exc.value.status is None
    assert sandbox.state()["requests"]["total"] == before
    client.with_options(priority="interactive").account()  # the reserved slot


def test_in_flight_idempotency_conflict_is_retried(
    make_client: Callable[..., OtwaClient], sandbox: Sandbox
) -> None:
    first_client = make_client()
    product = first_client.products()[0]
    requests.put(f"{sandbox.url}/_sandbox/latency", json={"seconds": 0.6}, timeout=5)
    kwargs = {
        "product_id": product.id,
        "os": "ubuntu-24.04",
        "os_template": "ubuntu-24.04",
        "label": "twice",
        "idempotency_key": "op-twice",
    }
    results: dict[str, object] = {}
    thread = threading.Thread(target=lambda: results.update(a=first_client.create_server(**kwargs)))
    thread.start()
    sandbox.wait_in_flight(1)  # the first request is executing
    second = make_client(backoff=lambda n: 0.3).create_server(**kwargs)  # type: ignore[arg-type]
    thread.join()
    first = results["a"]
    assert second.replayed and second.id == first.id  # type: ignore[attr-defined]
    state = sandbox.state()
    assert len(state["servers"]) == 1 and len(state["charges"]) == 1
    assert state["requests"]["byStatus"].get("409", 0) >= 1  # it did meet the in-flight 409
