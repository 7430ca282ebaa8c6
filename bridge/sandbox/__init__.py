"""The Otwa Cloud API sandbox: a faithful local simulator of the v1.9 contract.

``create_sandbox_app(time_scale, seed)`` builds the Flask app (state in memory, one lock);
``serve(...)`` runs it on a threaded werkzeug server until interrupted. The spec it serves
is ``openapi.yaml`` next to this file; choices are documented in docs/sandbox.md.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

SPEC_PATH = Path(__file__).with_name("openapi.yaml")


def create_sandbox_app(
    time_scale: float = 1.0, seed: int | None = None, rate_limit_mode: str = "fixed"
) -> Flask:
    """A sandbox app in boot state whose clock runs ``time_scale`` x real time; its rate
    limit counts in a ``fixed`` or ``sliding`` 60 s window (see ratelimit.py)."""
    from bridge.sandbox.app import create_sandbox_app as _create

    return _create(time_scale=time_scale, seed=seed, rate_limit_mode=rate_limit_mode)


def serve(
    host: str = "127.0.0.1",
    port: int = 8780,
    time_scale: float = 1.0,
    seed: int | None = None,
    rate_limit_mode: str = "fixed",
) -> None:
    """Serve the sandbox on ``host:port`` (threaded) until interrupted. Blocks."""
    from werkzeug.serving import make_server

    from bridge.logs import configure_logging

    configure_logging()
    app = create_sandbox_app(time_scale=time_scale, seed=seed, rate_limit_mode=rate_limit_mode)
    server = make_server(host, port, app, threaded=True)
    print(
        f"Otwa sandbox on http://{host}:{port}/api/v1 (time x{time_scale:g}, seed {seed}, "
        f"{rate_limit_mode} rate-limit window); control API at /_sandbox/state",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = ["SPEC_PATH", "create_sandbox_app", "serve"]
