"""gunicorn's own logs run through the bridge's redaction: /sso/<token> paths are masked."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from bridge import gunicorn_conf
from bridge.sso.tokens import LinkSigner
from tests.sso.conftest import SECRET_NEW, T0


def test_an_sso_click_leaves_no_token_in_gunicorns_logs() -> None:
    issued = LinkSigner([SECRET_NEW]).issue(
        panel="whmcs", service_id="1042", client_id="77", target="server", now=T0
    )
    token = issued.token
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s path=%(U)s')
    cfg.set("logger_class", gunicorn_conf.logger_class)
    logger = cfg.logger_class(cfg)
    assert isinstance(logger, gunicorn_conf.RedactingLogger)
    out = io.StringIO()
    for handler in (*logger.access_log.handlers, *logger.error_log.handlers):
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(out)
    environ = {
        "REMOTE_ADDR": "203.0.113.9",
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/sso/{token}",
        "PATH_INFO": f"/sso/{token}",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    response = SimpleNamespace(status="302 FOUND", sent=0, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    logger.error("Error handling request /sso/%s", token)
    text = out.getvalue()
    assert '203.0.113.9 "GET /sso/*** HTTP/1.1" 302 path=/sso/***' in text
    assert "Error handling request /sso/***" in text
    assert token[len("bsso_") :][:12] not in text
