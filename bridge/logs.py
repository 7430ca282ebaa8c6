"""Structured (one JSON object per line) logs with secrets redacted before they are written.

Redaction is a logging.Filter on the root handler, so it covers every logger, including
libraries'. Anything shaped like an Otwa key, a webhook secret, a bearer token, a
password field or an SSO link is masked; exact secret values registered with
:func:`register_secret` are masked wherever they appear.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from typing import Any

_PATTERNS = [
    re.compile(r"otwa_[A-Za-z0-9_\-]{6,}"),
    re.compile(r"whsec_[A-Za-z0-9+/=]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]+"),
    re.compile(
        r"(?i)((?:password|passwd|secret|api[_-]?key|token|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}&]+"
    ),
    re.compile(r"(?i)(/sso/)[A-Za-z0-9._\-~]+"),
]
_known_secrets: set[str] = set()
# Longest first, so a secret containing another is masked whole. Rebuilt on registration
# (rare) rather than sorted on every log line; swapped atomically, so readers need no lock.
_longest_first: tuple[str, ...] = ()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask this exact value in every future log line (keys, webhook secrets, passwords)."""
    global _longest_first
    if value and len(value) >= 6:
        with _lock:
            if value not in _known_secrets:
                _known_secrets.add(value)
                _longest_first = tuple(sorted(_known_secrets, key=len, reverse=True))


def redact(text: str) -> str:
    """Return ``text`` with every known secret and secret-shaped token replaced by ``***``."""
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


class RedactingFilter(logging.Filter):
    """Renders the message, redacts it, and freezes the result into the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message.replace("\r", "\\r").replace("\n", "\\n"))
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, and any ``extra`` fields."""

    _skip = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._skip and not key.startswith("_"):
                out[key] = value
        if record.exc_text:
            out["exc"] = record.exc_text
        return redact(json.dumps(out, default=str))


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """Install the JSON + redaction handler on the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_bridge", False):
            root.setLevel(level)
            return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._bridge = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
