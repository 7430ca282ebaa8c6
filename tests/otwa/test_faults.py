"""Each fault kind of the sandbox (POST /_sandbox/faults) against the real client's retries."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.otwa import Budget, OtwaClient, errors
from tests.otwa.test_client import BUILD_SECONDS, order, running
from tests.support.processes import Sandbox, free_port


def attempts(logs: io.StringIO, method: str, path: str) -> list[object]:
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    return [
        line["status"] if line["status"] is not None else line.get("error", "?")
        for line in lines
        if line["logger"] == "bridge.otwa" and (line["method"], line["path"]) == (method, path)
    ]


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("500", errors.ServerError),
        ("502", errors.ServerError),
        ("reset", errors.OtwaConnectionError),
    ],
)
def test_reads_retry_through_faults(
    make_client: Callable[..., OtwaClient],
    sandbox: Sandbox,
    logs: io.StringIO,
    kind: str,
    cls: type[errors.OtwaError],
) -> None:
    sandbox.faults(1.0, [kind], limit=2)
    assert make_client().account().email  # third attempt gets through
    seen = attempts(logs, "GET", "/account")
    assert len(seen) == 3 and seen[-1] == 200
    assert sandbox.state()["requests"]["faults"] == {kind: 2}

    sandbox.faults(1.0, [kind], limit=2)
    with pytest.raises(cls) as exc:
        make_client(max_retries=1).account()
    assert exc.value.retryable and exc.value.request_id


def test_timeout_then_success(make_client: Callable[..., OtwaClient], sandbox: Sandbox) -> None:
    sandbox.faults(1.0, ["timeout"], limit=1, delay=5)
    with pytest.raises(errors.OtwaTimeout) as exc:
        make_client(timeout=0.3, max_retries=0).account()
    assert exc.value.retryable and exc.value.status is None
    sandbox.faults(1.0, ["timeout"], limit=1, delay=5)
    assert make_client(timeout=0.3).account().email


def test_lost_response_on_create_makes_exactly_one_server(
    client: OtwaClient, sandbox: Sandbox
) -> None:
    price = client.products()[0].monthly_price
    sandbox.faults(1.0, ["lost-response"], methods=["POST"], paths=["/servers"], limit=1)
    server = order(client, "op-lost")
    assert server.replayed  # the first attempt created it; the retry got the cached answer
    state = sandbox.state()
    assert [s["id"] for s in state["servers"]] == [server.id]
    assert len(state["charges"]) == 1
    assert state["requests"]["faults"] == {"lost-response": 1}
    assert state["balances"]["otwa_sandbox_default"] == str(500 - price)  # type: ignore[operator]


def test_lost_response_on_reinstall_is_retried_safely(
    client: OtwaClient, destroyer: OtwaClient, sandbox: Sandbox
) -> None:
    server = running(client, sandbox)
    sandbox.faults(1.0, ["lost-response"], paths=["/servers/*/reinstall"], limit=1)
    rebuilt = destroyer.reinstall(
        server.id, os="rocky-10.1", os_template="rocky-10.1", idempotency_key="op-re"
    )
    assert rebuilt.replayed and rebuilt.status == "building"
    assert sandbox.state()["requests"]["byRoute"]["POST /api/v1/servers/:id/reinstall"] == 2


def test_writes_without_a_key_are_not_retried(client: OtwaClient, sandbox: Sandbox) -> None:
    server = running(client, sandbox)
    route = "POST /api/v1/servers/:id/power/stop"
    sandbox.faults(1.0, ["500"], paths=["/servers/*/power/*"], limit=1)
    with pytest.raises(errors.ServerError):
        client.power(server.id, "stop")
    assert sandbox.state()["requests"]["byRoute"][route] == 1
    # lost-response: Otwa acted, the client can't know; it must not act twice.
    sandbox.faults(1.0, ["lost-response"], paths=["/servers/*/power/*"], limit=1)
    with pytest.raises(errors.OtwaConnectionError):
        client.power(server.id, "stop")
    assert sandbox.state()["requests"]["byRoute"][route] == 2
    sandbox.advance(BUILD_SECONDS)
    assert client.get_server(server.id).status == "stopped"


def test_429_waits_for_the_reset(
    make_client: Callable[..., OtwaClient], sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.faults(1.0, ["429"], limit=1)
    with pytest.raises(errors.RateLimitedError) as exc:
        make_client(max_retries=0).account()
    assert exc.value.status == 429 and exc.value.reset_after is not None
    assert 0 < exc.value.reset_after <= 60

    slept: list[float] = []
    sandbox.faults(1.0, ["429"], limit=1)
    assert make_client(sleep=slept.append).account().email
    assert slept and slept[0] >= 1.0  # Retry-After is at least one whole second

    budget = Budget(tmp_path / "budget.sqlite", limit=90, window=5.0)
    sandbox.faults(1.0, ["429"], limit=1)
    make_client(budget=budget).account()
    assert budget.usage("otwa_sandbox_default")["used"] == 2  # the retry took its own slot


def test_connection_refused(make_client: Callable[..., OtwaClient]) -> None:
    dead = OtwaClient(
        "otwa_sandbox_default",
        base_url=f"http://127.0.0.1:{free_port()}/api/v1",
        max_retries=2,
        backoff=lambda n: 0.0,
    )
    with pytest.raises(errors.OtwaConnectionError) as exc:
        dead.account()
    assert exc.value.retryable and exc.value.status is None
    assert str(exc.value).startswith("Request req_")


def test_fault_sweep_never_duplicates(
    make_client: Callable[..., OtwaClient], sandbox: Sandbox
) -> None:
    """Half of all requests fail in every way but timeout; 12 orders make exactly 12 servers."""
    client = make_client(max_retries=10, sleep=lambda s: None)
    product = client.products()[0]
    sandbox.faults(0.5, ["500", "502", "429", "reset", "lost-response"], seed=7)
    ids = set()
    for n in range(12):
        server = client.create_server(
            product_id=product.id,
            os="ubuntu-24.04",
            os_template="ubuntu-24.04",
            label=f"sweep-{n}",
            idempotency_key=f"op-sweep-{n}",
        )
        ids.add(server.id)
    sandbox.clear_faults()
    state = sandbox.state()
    assert len(ids) == 12 and {s["id"] for s in state["servers"]} == ids
    assert len(state["charges"]) == 12
    assert sum(state["requests"]["faults"].values()) > 5  # the sweep really hit faults
