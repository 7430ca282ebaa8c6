"""Every failure of an Otwa call, as one tree that mirrors HTTP.

::

    OtwaError                      catch-all; .status .request_id .body .retryable
    ├── OtwaConnectionError        no HTTP response (refused, reset, DNS...)   retryable
    │   └── OtwaTimeout            connect or read timeout                      retryable
    ├── BudgetExhausted            local: the shared budget had no slot in time;
    │                              no request was sent; .retry_after            retryable
    └── OtwaAPIError               Otwa answered with a non-2xx status
        ├── ValidationError        400 / 422; .messages (list[str])
        ├── AuthenticationError    401
        ├── PaymentRequiredError   402 (wallet too short: nothing created, nothing charged)
        ├── ScopeError             403; .missing_scopes parsed from the message
        ├── NotFoundError          404 (unknown, or another account's)
        ├── ConflictError          409 (wrong state, operation in progress)
        │   └── IdempotencyConflict  409/422 about an Idempotency-Key; .in_flight
        ├── RateLimitedError       429; .reset_after (seconds)                  retryable
        └── ServerError            5xx                                          retryable

``str(error)`` starts with ``Request <id>:`` when a request id is known and is passed
through :func:`bridge.logs.redact`, so it never carries a key, password or SSO link.
:func:`error_from_response` is the one place a status becomes a class.
"""

from __future__ import annotations

import re
from typing import Any

from bridge.logs import redact

__all__ = [
    "OtwaError",
    "OtwaConnectionError",
    "OtwaTimeout",
    "BudgetExhausted",
    "OtwaAPIError",
    "ValidationError",
    "AuthenticationError",
    "PaymentRequiredError",
    "ScopeError",
    "NotFoundError",
    "ConflictError",
    "IdempotencyConflict",
    "RateLimitedError",
    "ServerError",
    "error_from_response",
    "messages_of",
]


class OtwaError(Exception):
    """Base of every Otwa client error.

    ``status`` is the HTTP status (None when no response came), ``request_id`` the
    response's ``X-Request-Id`` (else the one we sent), ``body`` the parsed JSON error
    body (or None), ``retryable`` whether the same call may succeed if tried again later,
    ``retry_after`` the wait the answer named (``Retry-After``, seconds) or None.
    """

    retryable = False
    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        body: Any = None,
        retryable: bool | None = None,
    ) -> None:
        self.message = redact(str(message))
        super().__init__(self.message)
        self.status = status
        self.request_id = request_id
        self.body = body
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        text = self.message
        if self.status is not None:
            text = f"{text} (HTTP {self.status})"
        if self.request_id:
            text = f"Request {self.request_id}: {text}"
        return redact(text)

    def __repr__(self) -> str:
        return redact(
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"request_id={self.request_id!r})"
        )


class OtwaConnectionError(OtwaError):
    """No HTTP response: connection refused or reset, or the response was lost."""

    retryable = True


class OtwaTimeout(OtwaConnectionError):
    """The connect or read timeout passed. A write may or may not have happened."""


class BudgetExhausted(OtwaError):
    """The shared rate-limit budget had no slot within ``budget_wait``; nothing was sent.

    ``retry_after`` is the estimated number of seconds until a slot frees up.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class OtwaAPIError(OtwaError):
    """Otwa answered with an error status. ``messages`` holds every message line."""

    def __init__(self, message: str, *, messages: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.messages = [redact(m) for m in (messages if messages is not None else [message])]


class ValidationError(OtwaAPIError):
    """400/422: the request body was refused; ``messages`` lists each problem."""


class AuthenticationError(OtwaAPIError):
    """401: key missing, unknown, expired or revoked."""


class PaymentRequiredError(OtwaAPIError):
    """402: the wallet balance is too short; nothing was created or charged."""


_SCOPE_RE = re.compile(r"scope\(?s?\)?\s*:?\s*([a-z*][a-z:*_\-]*(?:\s*,\s*[a-z*][a-z:*_\-]*)*)")


class ScopeError(OtwaAPIError):
    """403: the key lacks a scope; ``missing_scopes`` as named by Otwa's message."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.missing_scopes = parse_missing_scopes(" ".join(self.messages))


def parse_missing_scopes(text: str) -> list[str]:
    """``"API key is missing required scope(s): servers:destroy"`` -> ``["servers:destroy"]``."""
    match = _SCOPE_RE.search(text)
    if not match:
        return []
    return [s.strip() for s in match.group(1).split(",") if ":" in s or s.strip() == "*"]


class NotFoundError(OtwaAPIError):
    """404: no such resource, or it belongs to another account."""


class ConflictError(OtwaAPIError):
    """409: the server is in the wrong state for this action, or the action is in progress."""


class IdempotencyConflict(ConflictError):
    """An Idempotency-Key problem: ``in_flight`` (first request still running: retry later
    with the same key) or a key reused with a different body (a bug: never retry)."""

    def __init__(self, message: str, *, in_flight: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("retryable", in_flight)
        super().__init__(message, **kwargs)
        self.in_flight = in_flight


class RateLimitedError(OtwaAPIError):
    """429: over Otwa's per-key limit; ``reset_after`` seconds until the window resets."""

    retryable = True

    def __init__(self, message: str, *, reset_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reset_after = reset_after


class ServerError(OtwaAPIError):
    """5xx: Otwa failed. A write may or may not have happened."""

    retryable = True


_BY_STATUS: dict[int, type[OtwaAPIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: ScopeError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
}


def messages_of(body: Any, fallback: str) -> list[str]:
    """The ``message`` field as a list of strings (Otwa sends a string or a list)."""
    if isinstance(body, dict):
        raw = body.get("message")
        if isinstance(raw, list):
            out = [str(m) for m in raw if m is not None]
            if out:
                return out
        elif raw:
            return [str(raw)]
        if body.get("error"):
            return [str(body["error"])]
    return [fallback]


def error_from_response(
    status: int,
    body: Any,
    *,
    request_id: str | None,
    reason: str = "",
    reset_after: float | None = None,
    idempotent: bool = False,
) -> OtwaAPIError:
    """Map one error response to its class (the only place statuses become classes).

    ``idempotent``: the request carried an ``Idempotency-Key``. Then a 422 is a key reused
    with a different body, and a 409 that speaks of the key (or of the request being in
    flight / in progress) is the first request still executing.
    """
    messages = messages_of(body, reason or f"HTTP {status}")
    message = "; ".join(messages)
    common: dict[str, Any] = {
        "status": status,
        "request_id": request_id,
        "body": body,
        "messages": messages,
    }
    lowered = message.lower()
    about_key = "idempotency" in lowered
    in_flight_words = any(
        w in lowered
        for w in ("in flight", "in-flight", "in progress", "still", "being processed", "processing")
    )
    if status == 422 and (about_key or idempotent):
        return IdempotencyConflict(message, in_flight=False, **common)
    if status == 409 and (about_key or (idempotent and in_flight_words)):
        return IdempotencyConflict(message, in_flight=in_flight_words, **common)
    if status == 429:
        return RateLimitedError(message, reset_after=reset_after, **common)
    if status >= 500:
        return ServerError(message, **common)
    cls = _BY_STATUS.get(status, OtwaAPIError)
    return cls(message, **common)
