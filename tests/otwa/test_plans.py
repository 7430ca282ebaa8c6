"""Otwa's plan list: one copy per process and one shared by all, refreshed by the worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bridge import runtime, store
from bridge.clock import ManualClock
from bridge.otwa import OtwaClient
from bridge.otwa.plans import DEFAULT_TTL, PlanCache
from bridge.provisioning import worker
from bridge.store.plans import DatabasePlans
from tests.support.processes import Sandbox

ROUTE = "GET /api/v1/products"


def asked(sandbox: Sandbox) -> int:
    """How many times Otwa was asked for its plan list so far."""
    return int(sandbox.state()["requests"]["byRoute"].get(ROUTE, 0))


def migrated(path: Path) -> Path:
    db = store.connect(path)
    store.apply_migrations(db, runtime.MIGRATIONS)
    db.close()
    return path


def test_processes_share_one_fetch_until_it_is_stale(
    sandbox: Sandbox, make_client: Callable[..., OtwaClient], tmp_path: Path
) -> None:
    path = migrated(tmp_path / "bridge.sqlite")
    clock = ManualClock()
    first, second = (
        PlanCache(make_client(), now=clock.now, shared=DatabasePlans(path)) for _ in range(2)
    )
    before = asked(sandbox)
    plans = first.plans()
    assert plans and asked(sandbox) == before + 1
    # Another process: the shared copy, the same plans, and Otwa not asked again.
    assert [(p.id, p.monthly_price, [a.id for a in p.addons]) for p in second.plans()] == [
        (p.id, p.monthly_price, [a.id for a in p.addons]) for p in plans
    ]
    assert second.find(plans[0].name.upper()) is not None  # by name, any case
    assert asked(sandbox) == before + 1

    clock.advance(DEFAULT_TTL)  # both copies stale: the next reader asks, and shares it
    second.plans()
    first.plans()
    assert asked(sandbox) == before + 2

    first.forget()  # the upkeep wants today's prices: asked again, whoever reads next
    second_local = second.plans()  # its own copy is still fresh
    assert second_local and asked(sandbox) == before + 2
    first.plans()
    assert asked(sandbox) == before + 3


def test_without_tables_the_cache_still_works_alone(
    sandbox: Sandbox, make_client: Callable[..., OtwaClient], tmp_path: Path
) -> None:
    # A command run before `otwa-bridge migrate`: no read_cache table, no error either.
    cache = PlanCache(
        make_client(), now=ManualClock().now, shared=DatabasePlans(tmp_path / "empty.sqlite")
    )
    before = asked(sandbox)
    assert cache.plans() and cache.plans()
    assert asked(sandbox) == before + 1


def test_the_worker_refreshes_the_shared_copy_before_it_goes_stale(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    clock = ManualClock()
    settings = {
        "DATABASE": str(tmp_path / "bridge.sqlite"),
        "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
        "OTWA_BASE_URL": sandbox.api,
    }
    in_worker = runtime.build(settings, env={}, clock=clock)
    in_web = runtime.build(settings, env={}, clock=clock)
    in_worker.migrate()
    db = in_worker.connect()
    before = asked(sandbox)
    assert worker.refresh_plans_if_due(in_worker, db)  # at start: nothing shared yet
    assert not worker.refresh_plans_if_due(in_worker, db)  # not again so soon
    assert asked(sandbox) == before + 1

    for _ in range(3):  # orders for three half-lives: the web side never asks Otwa
        clock.advance(DEFAULT_TTL / 2)
        assert worker.refresh_plans_if_due(in_worker, db)
        assert in_web.plans.plans()
    assert asked(sandbox) == before + 4  # the worker's refreshes only
    db.close()
