"""What an Otwa failure means for an operation: retry later (:class:`Transient`) or a
definitive refusal a reseller can act on (:class:`Refusal`).

Transient: timeouts, lost responses, 5xx, 429, an exhausted shared budget, an
Idempotency-Key still in flight. Definitive: 400/422, 401, 402, 403, 404 and other 409s.
Messages never carry a key, password or link (the client's errors are already redacted).
"""

from __future__ import annotations

from bridge.otwa import errors


class Transient(Exception):
    """Try again later with the same idempotency key; ``retry_after`` is a lower bound, s."""

    def __init__(self, reason: str, retry_after: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = max(0.0, float(retry_after or 0.0))


class Refusal(Exception):
    """A definitive answer: rendered as ``{"ok": false, "error": {code, message}}`` + status.

    ``nothing_created``: Otwa refused before doing anything (a new try may use a new key).
    """

    def __init__(
        self, code: str, message: str, status: int, *, nothing_created: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.nothing_created = nothing_created


def classify(exc: errors.OtwaError, what: str = "the Otwa call") -> Transient | Refusal:
    """Map a client error to Transient or Refusal; ``what`` names the call for messages."""
    detail = "; ".join(getattr(exc, "messages", None) or [exc.message])
    if isinstance(exc, errors.BudgetExhausted):
        return Transient("the shared Otwa request budget is used up for now", exc.retry_after or 0)
    if isinstance(exc, errors.RateLimitedError):
        return Transient("Otwa rate limit reached (429)", exc.reset_after or 1.0)
    if isinstance(exc, errors.IdempotencyConflict):
        if exc.in_flight:
            return Transient("Otwa is still processing the first request with this key", 1.0)
        return Refusal(
            "idempotency_conflict",
            f"Otwa refused {what}: the idempotency key was reused with different details "
            f"({detail}). This is a bridge bug; nothing was retried.",
            409,
        )
    if isinstance(exc, errors.OtwaTimeout):
        return Transient("Otwa did not answer in time")
    if isinstance(exc, errors.OtwaConnectionError):
        return Transient("the connection to Otwa failed or the answer was lost")
    if isinstance(exc, errors.ServerError):
        return Transient(f"Otwa answered with a server error ({exc.status})")
    if isinstance(exc, errors.PaymentRequiredError):
        return Refusal(
            "otwa_wallet",
            f"Otwa wallet balance too low for {what}. Top up the Otwa wallet, then retry.",
            402,
            nothing_created=True,
        )
    if isinstance(exc, errors.ScopeError):
        scopes = ", ".join(exc.missing_scopes) or "a required scope"
        hint = (
            " Set BRIDGE_OTWA_DESTROY_KEY to a key holding servers:destroy."
            if "servers:destroy" in scopes
            else " Use an Otwa key with the default scope set."
        )
        return Refusal(
            "otwa_scope",
            f"The Otwa API key may not do {what}: it lacks {scopes}.{hint}",
            403,
            nothing_created=True,
        )
    if isinstance(exc, errors.AuthenticationError):
        return Refusal(
            "otwa_key_rejected",
            "Otwa rejected the bridge's API key (missing, revoked or expired); "
            "check BRIDGE_OTWA_API_KEY / BRIDGE_OTWA_DESTROY_KEY.",
            403,
            nothing_created=True,
        )
    if isinstance(exc, errors.NotFoundError):
        return Refusal(
            "otwa_not_found",
            f"Otwa does not know the server for {what} (deleted, or owned by another account).",
            404,
            nothing_created=True,
        )
    if isinstance(exc, errors.ValidationError):
        return Refusal(
            "otwa_validation",
            f"Otwa refused {what}: {detail}. Fix the products map or the panel's options.",
            422,
            nothing_created=True,
        )
    if isinstance(exc, errors.ConflictError):
        return Refusal(
            "otwa_conflict",
            f"Otwa refused {what} in the server's current state: {detail}.",
            409,
        )
    if exc.retryable:
        return Transient(f"Otwa call failed ({exc.status or 'no answer'})")
    return Refusal("otwa_error", f"Otwa refused {what}: {detail}.", 502)
