"""Prometheus text exposition at ``/metrics``: not public.

Access (docs/admin.md, "Metrics"): with ``METRICS_BIND`` set, ``otwa-bridge serve`` adds
that listener and ``/metrics`` answers only there (the listener answers nothing else, and
the public one has no ``/metrics``); with ``METRICS_TOKEN`` set, every scrape sends
``Authorization: Bearer <token>`` (comma-separated tokens during a rotation). With neither,
``/metrics`` refuses and says how to set one up. The listener a request came in on is the
local address of its socket (gunicorn's ``gunicorn.socket``), never a header.

Values come from the ``counters`` table kept by triggers as work happens
(:mod:`bridge.provisioning.gauges`), so every gunicorn worker gives the same numbers and a
scrape costs the same at a thousand operations as at a million. The text is written by
``prometheus_client`` (its escaping and format, one custom collector) rather than by hand.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import math
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from bridge.errors import BridgeError, error_body
from bridge.ledger.money import to_decimal
from bridge.ledger.status import Status, status
from bridge.provisioning import gauges
from bridge.runtime import Bridge
from bridge.version import __version__
from bridge.web import current_bridge, get_db

bp = Blueprint("metrics", __name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_WILDCARDS = ("", "0.0.0.0", "::", "*")  # noqa: S104 - names of "any address", compared only


def split_bind(bind: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``) as (host, port)."""
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)


def on_metrics_listener(bridge: Bridge, environ: dict[str, Any]) -> bool:
    """True when the request came in on the ``METRICS_BIND`` listener (its socket's local
    address; False outside gunicorn, which is the only server that adds that listener)."""
    if not bridge.settings.metrics_bind:
        return False
    sock = environ.get("gunicorn.socket")
    try:
        local = sock.getsockname() if sock is not None else None
    except OSError:
        local = None
    if not local or not isinstance(local, tuple):
        return False
    host, port = split_bind(bridge.settings.metrics_bind)
    if int(local[1]) != port:
        return False
    try:
        return host in _WILDCARDS or ipaddress.ip_address(host) == ipaddress.ip_address(local[0])
    except ValueError:  # a host name (localhost): the port decides
        return True


@bp.before_app_request
def _metrics_listener_serves_only_metrics() -> Response | None:
    bridge = current_bridge()
    if request.path != "/metrics" and on_metrics_listener(bridge, request.environ):
        # Answered here, as JSON, whichever blueprint the path belongs to.
        body = error_body("not_found", "This listener (BRIDGE_METRICS_BIND) serves only /metrics.")
        return Response(json.dumps(body), status=404, mimetype="application/json")
    return None


def _check_access(bridge: Bridge) -> None:
    settings = bridge.settings
    if settings.metrics_bind and not on_metrics_listener(bridge, request.environ):
        raise BridgeError(
            "/metrics is served on the metrics listener (BRIDGE_METRICS_BIND="
            f"{settings.metrics_bind}), not here.",
            code="not_found",
            status=404,
        )
    tokens = [t.strip() for t in settings.metrics_token.get_secret_value().split(",")]
    tokens = [t for t in tokens if t]
    if tokens:
        scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
        good = scheme.lower() == "bearer" and any(
            hmac.compare_digest(offered.strip().encode(), t.encode()) for t in tokens
        )
        if not good:
            raise BridgeError(
                "Send Authorization: Bearer <BRIDGE_METRICS_TOKEN> to read /metrics "
                "(Prometheus: authorization: {credentials_file: ...} in the scrape config).",
                code="unauthorized",
                status=401,
            )
    elif not settings.metrics_bind:
        raise BridgeError(
            "/metrics is not public. Set BRIDGE_METRICS_TOKEN (and scrape with "
            "Authorization: Bearer <token>) or BRIDGE_METRICS_BIND=127.0.0.1:9700 (a separate "
            "listener `otwa-bridge serve` opens); see docs/admin.md.",
            code="metrics_not_configured",
            status=403,
        )


class BridgeCollector(Collector):
    """The bridge's families, read once per scrape from the counters and the budget."""

    def __init__(self, bridge: Bridge, g: gauges.Gauges, wallet: Status | None = None) -> None:
        self.bridge = bridge
        self.g = g
        self.wallet = wallet

    def collect(self) -> Iterator[Any]:
        g = self.g
        info = InfoMetricFamily("bridge", "Build information.")
        info.add_metric([], {"version": __version__})
        yield info
        yield _labelled(
            GaugeMetricFamily,
            "bridge_operations",
            "Operations recorded, by action and state (pruned ones leave).",
            ("action", "state"),
            g.operations,
        )
        yield _labelled(
            CounterMetricFamily,
            "bridge_operations_finished",
            "Operations that reached a final state, by action and state.",
            ("action", "state"),
            g.operations_finished,
        )
        yield _labelled(
            GaugeMetricFamily,
            "bridge_jobs",
            "Worker jobs by kind and state (dead = needs a human: otwa-bridge ops list).",
            ("kind", "state"),
            g.jobs,
        )
        yield _labelled(
            CounterMetricFamily,
            "bridge_jobs_dead",
            "Jobs dead-lettered, by kind.",
            ("kind",),
            {(k,): n for k, n in g.jobs_dead.items()},
        )
        yield _labelled(
            GaugeMetricFamily,
            "bridge_services",
            "Panel services by state.",
            ("state",),
            {(s,): n for s, n in g.services.items()},
        )
        yield _labelled(
            GaugeMetricFamily,
            "bridge_webhook_events",
            "Accepted hooks remembered for dedupe, by panel.",
            ("panel",),
            {(p,): n for p, n in g.webhook_events.items()},
        )
        yield _labelled(
            CounterMetricFamily,
            "bridge_hooks_received",
            "Hooks accepted (verified, new webhook-id), by panel.",
            ("panel",),
            {(p,): n for p, n in g.hooks_received.items()},
        )
        yield GaugeMetricFamily(
            "bridge_oldest_due_job_seconds",
            "How long the oldest due job has waited (worker lag).",
            value=g.oldest_due_job_seconds,
        )
        yield from _budget(self.bridge)
        if self.wallet is not None:
            yield from _ledger(self.bridge, self.wallet)


def _labelled(
    kind: Any, name: str, help_text: str, labels: tuple[str, ...], samples: dict[Any, int]
) -> Any:
    family = kind(name, help_text, labels=list(labels))
    for key, value in sorted(samples.items()):
        family.add_metric(list(key), float(value))
    return family


def _budget(bridge: Bridge) -> Iterator[Any]:
    """The shared Otwa rate-limit budget of the everyday key, this window."""
    usage = bridge.budget.usage(bridge.settings.otwa_api_key.get_secret_value())
    used = GaugeMetricFamily(
        "bridge_otwa_budget_used",
        "Otwa requests taken from the shared budget in the current window, by priority.",
        labels=["priority"],
    )
    for priority in ("interactive", "background"):
        used.add_metric([priority], float(usage[priority]))
    yield used
    yield GaugeMetricFamily(
        "bridge_otwa_budget_limit",
        "Fallback Otwa requests per window while Otwa's rate-limit headers are unknown.",
        value=usage["limit"],
    )
    yield GaugeMetricFamily(
        "bridge_otwa_budget_free",
        "Otwa requests the shared budget could send right now (Otwa's Remaining, less the "
        "margin, requests in flight and other users' expected share).",
        value=float(usage["free"]),
    )
    yield GaugeMetricFamily(
        "bridge_otwa_budget_hold_seconds",
        "Seconds every Otwa call still holds after a 429 or an exhausted window.",
        value=usage["hold_all"],
    )


def _major(minor: int, currency: str) -> float:
    # Prometheus values are float64: the exact minor units become one here, at the edge.
    return float(to_decimal(minor, currency))


def _ledger(bridge: Bridge, st: Status) -> Iterator[Any]:
    """The Otwa wallet from the journal and the worker's samples (docs/ledger.md)."""
    settings = bridge.settings
    c = st.currency
    out_at = st.runway.runs_out_at

    def gauge(name: str, help_text: str, value: float) -> Any:
        family = GaugeMetricFamily(name, help_text, labels=["currency"])
        family.add_metric([c], value)
        return family

    yield gauge(
        "bridge_ledger_wallet_balance",
        "Otwa wallet balance: the last GET /account sample plus what was booked since.",
        _major(st.runway.balance, c),
    )
    yield gauge(
        "bridge_ledger_runway_seconds",
        "Seconds until the first renewal the wallet cannot pay (+Inf: none renews).",
        math.inf if out_at is None else max(0.0, out_at - st.runway.now),
    )
    yield gauge(
        "bridge_ledger_runway_alert",
        "1 when a renewal within LEDGER_RUNWAY_ALERT_DAYS will fail.",
        1.0 if st.alert else 0.0,
    )
    yield gauge(
        "bridge_ledger_topup_needed",
        "Top-up that covers every renewal of the next LEDGER_TOPUP_DAYS days.",
        _major(st.runway.topup_for(settings.ledger_topup_days), c),
    )
    if st.drift is not None:
        yield gauge(
            "bridge_ledger_wallet_drift",
            "Otwa's wallet movement minus the journal's, first sample to last (negative: "
            "Otwa took more than was booked; positive: a deposit not booked yet).",
            _major(st.drift, c),
        )
    if st.last_sample is not None:
        yield gauge(
            "bridge_ledger_sample_age_seconds",
            "Seconds since the worker last sampled GET /account.",
            max(0.0, bridge.clock.now() - st.last_sample.sampled_at),
        )


def exposition(bridge: Bridge, db: Any) -> bytes:
    """The whole text exposition for ``bridge`` (one read of the counters, and the
    ledger's wallet status: a few indexed reads)."""
    now = bridge.clock.now()
    s = bridge.settings
    wallet = (
        status(db, s.ledger_currency, now=now, alert_days=s.ledger_runway_alert_days)
        if s.ledger_enabled
        else None
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BridgeCollector(bridge, gauges.read(db, now), wallet))
    return generate_latest(registry)


@bp.get("/metrics")
def metrics() -> Response:
    """Operations, jobs, services and hooks by state, totals, queue lag, the budget and
    the ledger's wallet gauges (balance, drift, runway)."""
    bridge = current_bridge()
    _check_access(bridge)
    response = Response(exposition(bridge, get_db()), content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response
