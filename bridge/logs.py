"""Structured (one JSON object per line) logs with secrets redacted before they are written.

Redaction is a logging.Filter on the root handler, so it covers every logger, including
libraries'. Anything shaped like an Otwa key, a webhook secret, a bearer token, a
password field, an SSO link or a bridge link token (``bsso_…``) is masked; exact secret
values registered with :func:`register_secret` are masked wherever they appear.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections import OrderedDict
from typing import Any

_KEY = r"(?:password|passwd|secret|api[_-]?key|token|authorization)"
_BARE = r"[^\s\"',}&]+"
# Values, not prose: a key-value shape is masked, a sentence is not ("Cannot reset the
# password: server is stopped" stays readable). Exact secret values (keys, hook secrets,
# server passwords, SSO links) are masked by value anyway (register_secret).
_PATTERNS = [
    # An admin console cookie (before the key shape below, which would eat its name).
    re.compile(r"(otwa_admin(?:_login)?=)[^;\s\"',]+"),
    re.compile(r"otwa_[A-Za-z0-9_\-]{6,}"),
    re.compile(r"whsec_[A-Za-z0-9+/=]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]+"),
    re.compile(rf"(?i)({_KEY}[\"']?\s*[:=]\s*\")[^\"]+"),  # password: "value", "token": "v"
    re.compile(rf"(?i)({_KEY}[\"']?\s*[:=]\s*')[^']+"),  # password='value', {'token': 'v'}
    re.compile(rf"(?i)({_KEY}[\"']?\s*=\s*){_BARE}"),  # password=value, token = value
    re.compile(rf"(?i)({_KEY}[\"']?:){_BARE}"),  # password:value (no space: not a sentence)
    re.compile(rf"(?i)([\"']{_KEY}[\"']\s*:\s*){_BARE}"),  # "token": 12345
    re.compile(r"(?i)(/sso/)[A-Za-z0-9._\-~]+"),
    re.compile(r"bsso_[A-Za-z0-9_\-.]{8,}"),  # a bridge SSO link token on its own
]
_known_secrets: set[str] = set()  # keys and hook secrets: for the life of the process
# Passwords and SSO links pass through once (fetched, written back, forgotten): remember them
# for a while, bounded, so a long-running worker neither grows without end nor scans every
# password it ever saw on each log line.
TRANSIENT_TTL = 3600.0
TRANSIENT_MAX = 4096
_transient: OrderedDict[str, float] = OrderedDict()  # value -> expiry (monotonic), oldest first
# Longest first, so a secret containing another is masked whole. Rebuilt on registration
# rather than sorted on every log line; swapped atomically, so readers need no lock.
_longest_first: tuple[str, ...] = ()
_lock = threading.Lock()


def register_secret(value: str | None, *, transient: bool = False) -> None:
    """Mask this exact value in future log lines.

    Long-lived secrets (API keys, webhook secrets) are masked for the life of the process;
    ``transient`` ones (server passwords, SSO links) for ``TRANSIENT_TTL`` seconds, at most
    ``TRANSIENT_MAX`` of them (oldest dropped first). Shape-based patterns still apply after.
    """
    global _longest_first
    if not value or len(value) < 6:
        return
    with _lock:
        now = time.monotonic()
        if transient:
            if value in _known_secrets:
                return
            _transient[value] = now + TRANSIENT_TTL
            _transient.move_to_end(value)
        elif value in _known_secrets:
            return
        else:
            _known_secrets.add(value)
            _transient.pop(value, None)
        while _transient and (
            len(_transient) > TRANSIENT_MAX or next(iter(_transient.values())) <= now
        ):
            _transient.popitem(last=False)
        everything = _known_secrets | _transient.keys()
        _longest_first = tuple(sorted(everything, key=len, reverse=True))


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
