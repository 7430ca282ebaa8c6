"""The Otwa reads behind the read-only hook actions (status, usage, unlinked_servers,
reconcile, catalog, test_connection): no operation, no job, an interactive call in the
shared budget, shared between processes for ``READ_CACHE_SECONDS`` (:mod:`readcache`).

Every function returns plain JSON-able data and raises :class:`~bridge.errors.BridgeError`
when Otwa cannot answer (503 ``otwa_unavailable`` while it is down or the budget is used
up, the classified refusal otherwise), worded for staff. Nothing here reads a credential.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from bridge.commands import Outcome
from bridge.errors import BridgeError
from bridge.otwa import OtwaClient, errors, models
from bridge.provisioning import readcache
from bridge.provisioning.failures import Transient, classify
from bridge.runtime import Bridge

log = logging.getLogger("bridge.provisioning.reads")

# The catalog (regions, OS templates) changes rarely: shared for five minutes.
CATALOG_TTL = 300.0


def answered(result: dict[str, Any]) -> Outcome:
    """The reply of an action answered at once: ``"operation": null``, nothing recorded."""
    return Outcome(200, {"ok": True, "operation": None, "result": result})


def client(bridge: Bridge, request_id: str | None = None) -> OtwaClient:
    """The Otwa client of a read someone waits for: interactive priority (ahead of
    background polling in the shared budget), no retries, ``READ_TIMEOUT`` in all."""
    timeout = bridge.settings.read_timeout
    return bridge.client().with_options(
        priority="interactive",
        request_id=request_id,
        max_retries=0,
        budget_wait=timeout / 2,
        timeout=timeout,
    )


def failed(exc: errors.OtwaError, what: str) -> BridgeError:
    """The hook's answer to a read Otwa did not give: 503 when asking again may work."""
    outcome = classify(exc, what)
    if isinstance(outcome, Transient):
        return BridgeError(
            f"Otwa could not be read right now ({outcome.reason}); nothing was changed. Ask "
            "again in a moment.",
            code="otwa_unavailable",
            status=503,
        )
    return BridgeError(outcome.message, code=outcome.code, status=outcome.status)


def iso(when: datetime | float | None) -> str | None:
    """UTC ISO 8601 with a Z, or None."""
    if when is None:
        return None
    if not isinstance(when, datetime):
        when = datetime.fromtimestamp(float(when), UTC)
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def summary(server: models.Server) -> dict[str, Any]:
    """What reads tell about a server (no credentials)."""
    return {
        "server_id": server.id,
        "status": server.status,
        "label": server.label,
        "hostname": server.hostname,
        "ip": server.ip_address,
        "additional_ips": [ip.ip for ip in server.additional_ips or []],
        "os": server.os,
        "region": server.region,
        "product_id": server.product_id,
        "disk_gb": server.disk_gb,
        "created_at": iso(server.created_at),
    }


def _wait(bridge: Bridge) -> float:
    return bridge.settings.read_timeout + 1.0


def server(
    bridge: Bridge, db: sqlite_utils.Database, server_id: str, request_id: str | None = None
) -> dict[str, Any]:
    """The server's summary (``GET /servers/:id``, shared); ``{"status": "missing"}`` when
    Otwa no longer knows it."""

    def fetch(_previous: Any) -> dict[str, Any]:
        try:
            return summary(client(bridge, request_id).get_server(server_id))
        except errors.NotFoundError:
            return {"server_id": server_id, "status": "missing"}
        except errors.OtwaError as exc:
            raise failed(exc, f"reading server {server_id}") from None

    value = readcache.cached(
        bridge,
        db,
        f"server:{server_id}",
        fetch,
        ttl=bridge.settings.read_cache_seconds,
        wait=_wait(bridge),
    )
    return dict(value)


def servers(
    bridge: Bridge, db: sqlite_utils.Database, request_id: str | None = None
) -> list[dict[str, Any]]:
    """Every server of the account (``GET /servers``: one call, shared), summaries."""

    def fetch(_previous: Any) -> list[dict[str, Any]]:
        try:
            return [summary(s) for s in client(bridge, request_id).list_servers()]
        except errors.OtwaError as exc:
            raise failed(exc, "listing the servers") from None

    value = readcache.cached(
        bridge, db, "servers", fetch, ttl=bridge.settings.read_cache_seconds, wait=_wait(bridge)
    )
    return list(value)


def _live(live: models.LiveStats | None) -> dict[str, Any] | None:
    if live is None:
        return None
    return {
        "cpu_percent": live.cpu_percent,
        "memory_used_mb": live.memory_used_mb,
        "memory_total_mb": live.memory_total_mb,
        "disk_read_kbps": live.disk_read_kbps,
        "disk_write_kbps": live.disk_write_kbps,
        "net_rx_kbps": live.net_rx_kbps,
        "net_tx_kbps": live.net_tx_kbps,
    }


def stats(
    bridge: Bridge, db: sqlite_utils.Database, server_id: str, request_id: str | None = None
) -> dict[str, Any]:
    """``{"power_state", "live", "history"}``: Otwa's live sample (``GET /servers/:id/stats``,
    shared) and the samples the bridge saw before it, oldest first (at most
    ``STATS_HISTORY_SAMPLES``, the last hour; Otwa itself keeps no history)."""
    keep = bridge.settings.stats_history_samples

    def fetch(previous: Any) -> dict[str, Any]:
        try:
            answer = client(bridge, request_id).stats(server_id)
        except errors.OtwaError as exc:
            raise failed(exc, f"reading the live stats of server {server_id}") from None
        now = bridge.clock.now()
        history = list((previous or {}).get("history") or [])
        last = (previous or {}).get("live")
        if last and (previous or {}).get("at"):
            history.append({"at": previous["at"], **last})
        cutoff = iso(now - 3600.0) or ""
        history = [h for h in history if str(h.get("at") or "") >= cutoff][-keep:] if keep else []
        return {
            "power_state": answer.power_state,
            "live": _live(answer.live),
            "at": iso(answer.live.sampled_at if answer.live and answer.live.sampled_at else now),
            "history": history,
        }

    value = readcache.cached(
        bridge,
        db,
        f"stats:{server_id}",
        fetch,
        ttl=bridge.settings.read_cache_seconds,
        wait=_wait(bridge),
    )
    return dict(value)


def _catalog_list(
    bridge: Bridge, db: sqlite_utils.Database, key: str, request_id: str | None
) -> list[dict[str, Any]]:
    def fetch(_previous: Any) -> list[dict[str, Any]]:
        api = client(bridge, request_id)
        try:
            if key == "regions":
                return [{"value": r.slug, "label": r.name} for r in api.regions()]
            return [
                {"value": t.id, "label": t.label or t.id, "family": t.family}
                for t in api.os_templates()
            ]
        except errors.OtwaError as exc:
            raise failed(exc, f"reading the {key}") from None

    return list(readcache.cached(bridge, db, key, fetch, ttl=CATALOG_TTL, wait=_wait(bridge)))


def labels(
    bridge: Bridge, db: sqlite_utils.Database, key: str, request_id: str | None = None
) -> dict[str, str]:
    """Display names of Otwa's ``"regions"`` or ``"os_templates"`` by slug; empty when Otwa
    cannot be asked (names are a nicety: a read never fails for want of them)."""
    try:
        items = _catalog_list(bridge, db, key, request_id)
    except BridgeError as exc:
        log.info("no %s names for a read: %s", key, exc.message)
        return {}
    return {str(i["value"]): str(i["label"]) for i in items}


def plan(bridge: Bridge, plan_id_or_name: str | None, request_id: str | None = None) -> Any:
    """Otwa's plan (the process's plan cache), or None when unknown or unreadable."""
    if not plan_id_or_name:
        return None
    try:
        return bridge.plans.find(plan_id_or_name, client(bridge, request_id))
    except errors.OtwaError as exc:
        log.info("no plan name for a read: %s", exc)
        return None
