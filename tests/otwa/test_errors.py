"""The error tree: status -> class, messages, scopes, request ids and redaction in str()."""

from __future__ import annotations

import pytest

from bridge.logs import register_secret
from bridge.otwa import errors


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.ValidationError),
        (401, errors.AuthenticationError),
        (402, errors.PaymentRequiredError),
        (403, errors.ScopeError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (422, errors.ValidationError),
        (429, errors.RateLimitedError),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (503, errors.ServerError),
        (418, errors.OtwaAPIError),
    ],
)
def test_status_maps_to_class(status: int, cls: type) -> None:
    err = errors.error_from_response(status, {"message": "x"}, request_id="req_1")
    assert type(err) is cls
    assert isinstance(err, errors.OtwaAPIError) and isinstance(err, errors.OtwaError)
    assert err.status == status
    assert err.retryable == (status == 429 or status >= 500)


def test_message_as_list_or_string() -> None:
    err = errors.error_from_response(
        400, {"statusCode": 400, "message": ["label is bad", "os is unknown"]}, request_id=None
    )
    assert err.messages == ["label is bad", "os is unknown"]
    assert str(err) == "label is bad; os is unknown (HTTP 400)"
    err = errors.error_from_response(404, {"message": "Server not found"}, request_id="req_9")
    assert err.messages == ["Server not found"]
    assert str(err).startswith("Request req_9: Server not found")
    # No JSON body: the reason phrase stands in.
    err = errors.error_from_response(502, None, request_id="r", reason="Bad Gateway")
    assert err.messages == ["Bad Gateway"]


def test_scope_error_parses_missing_scopes() -> None:
    err = errors.error_from_response(
        403,
        {"message": "API key is missing required scope(s): servers:destroy, billing:read"},
        request_id="r",
    )
    assert isinstance(err, errors.ScopeError)
    assert err.missing_scopes == ["servers:destroy", "billing:read"]
    assert errors.parse_missing_scopes("Forbidden") == []


def test_idempotency_conflicts_are_distinguished() -> None:
    in_flight = errors.error_from_response(
        409, {"message": "A request with this Idempotency-Key is still in progress"}, request_id="r"
    )
    assert isinstance(in_flight, errors.IdempotencyConflict) and in_flight.in_flight
    assert in_flight.retryable
    mismatch = errors.error_from_response(
        422, {"message": "Keys must not be reused"}, request_id="r", idempotent=True
    )
    assert isinstance(mismatch, errors.IdempotencyConflict) and not mismatch.in_flight
    assert not mismatch.retryable
    state = errors.error_from_response(409, {"message": "Server is not running"}, request_id="r")
    assert type(state) is errors.ConflictError and not state.retryable


def test_rate_limited_carries_reset_after() -> None:
    err = errors.error_from_response(429, {"message": "slow"}, request_id="r", reset_after=1.5)
    assert isinstance(err, errors.RateLimitedError) and err.reset_after == 1.5


def test_str_and_repr_never_carry_a_secret() -> None:
    canary = "canary-secret-7f3a9c"
    register_secret(canary)
    err = errors.error_from_response(
        401, {"message": f"bad key otwa_live_abcdefgh and {canary}"}, request_id="req_2"
    )
    for text in (str(err), repr(err), *err.messages):
        assert canary not in text and "otwa_live_abcdefgh" not in text
    assert str(err).startswith("Request req_2:")


def test_budget_exhausted_is_local() -> None:
    err = errors.BudgetExhausted("no slot", retry_after=2.0)
    assert err.status is None and err.retryable and err.retry_after == 2.0
    assert not isinstance(err, errors.OtwaAPIError)
    assert issubclass(errors.OtwaTimeout, errors.OtwaConnectionError)
