"""Prometheus text exposition at ``/metrics``.

Every value is read from SQLite at scrape time, so the numbers are the same whichever
gunicorn worker answers and survive restarts; no in-process counters to aggregate.
"""

from __future__ import annotations

from flask import Blueprint, Response

from bridge.provisioning import gauges
from bridge.version import __version__
from bridge.web import current_bridge, get_db

bp = Blueprint("metrics", __name__)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _family(name: str, help_text: str, samples: dict[tuple[tuple[str, str], ...], float]) -> str:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in sorted(samples.items()):
        rendered = ",".join(f'{k}="{_label(v)}"' for k, v in labels)
        lines.append(f"{name}{{{rendered}}} {value:g}" if rendered else f"{name} {value:g}")
    return "\n".join(lines)


@bp.get("/metrics")
def metrics() -> Response:
    """Operations, jobs, services and hooks by state, plus the age of the oldest due job."""
    g = gauges.read(get_db(), current_bridge().clock.now())
    parts = [
        _family("bridge_info", "Build information.", {(("version", __version__),): 1}),
        _family(
            "bridge_operations",
            "Operations by action and state.",
            {(("action", a), ("state", s)): n for (a, s), n in g.operations.items()},
        ),
        _family(
            "bridge_jobs",
            "Worker jobs by kind and state (dead = needs a human: otwa-bridge ops list).",
            {(("kind", k), ("state", s)): n for (k, s), n in g.jobs.items()},
        ),
        _family(
            "bridge_services",
            "Panel services by state.",
            {(("state", s),): n for s, n in g.services.items()},
        ),
        _family(
            "bridge_webhook_events",
            "Accepted hooks remembered for dedupe, by panel.",
            {(("panel", p),): n for p, n in g.webhook_events.items()},
        ),
        _family(
            "bridge_oldest_due_job_seconds",
            "How long the oldest due job has waited (worker lag).",
            {(): g.oldest_due_job_seconds},
        ),
    ]
    return Response("\n".join(parts) + "\n", mimetype="text/plain; version=0.0.4")
