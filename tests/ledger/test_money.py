"""Money at the edges: exact parsing per currency exponent, formatting, allocation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.ledger.currencies import EXPONENTS
from bridge.ledger.errors import LedgerError
from bridge.ledger.money import allocate, convert, format_minor, percent, to_minor


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "USD", 1250),
        ("12.5", "EUR", 1250),
        ("12.500", "USD", 1250),  # trailing zeros are exact
        ("0.01", "USD", 1),
        ("1200", "JPY", 1200),
        ("1.250", "BHD", 1250),
        ("3.1", "KWD", 3100),
        ("1.0001", "CLF", 10001),
        (" 7 ", "USD", 700),
    ],
)
def test_to_minor_is_exact_per_exponent(text: str, currency: str, minor: int) -> None:
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "code"),
    [
        ("12.345", "USD", "amount_precision"),
        ("5.5", "JPY", "amount_precision"),
        ("1.2345", "KWD", "amount_precision"),
        ("-1.00", "USD", "bad_amount"),
        ("1e3", "USD", "bad_amount"),
        ("12,50", "EUR", "bad_amount"),
        ("", "USD", "bad_amount"),
        ("NaN", "USD", "bad_amount"),
        ("99999999999.00", "USD", "bad_amount"),  # beyond MAX_MINOR
        ("1.00", "usd", "unknown_currency"),
        ("1.00", "XAU", "unknown_currency"),
        ("1.00", "ABC", "unknown_currency"),
    ],
)
def test_to_minor_refuses_with_a_code(text: str, currency: str, code: str) -> None:
    with pytest.raises(LedgerError) as exc:
        to_minor(text, currency)
    assert exc.value.code == code


@pytest.mark.parametrize("value", [12.5, 12, True, None, Decimal("NaN"), Decimal("Infinity")])
def test_floats_ints_and_non_finite_decimals_are_refused(value: object) -> None:
    with pytest.raises(LedgerError) as exc:
        to_minor(value, "USD")  # type: ignore[arg-type]
    assert exc.value.code == "bad_amount"
    assert "decimal string" in exc.value.message


def test_signed_amounts_and_decimals() -> None:
    assert to_minor("-2.00", "USD", signed=True) == -200
    assert to_minor(Decimal("9.99"), "USD") == 999


def test_precision_message_says_what_to_send() -> None:
    with pytest.raises(LedgerError) as exc:
        to_minor("5.5", "JPY", field="lines[0].amount")
    assert "lines[0].amount" in exc.value.message and "'1234'" in exc.value.message


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (1250, "USD", "12.50"),
        (0, "USD", "0.00"),
        (-5, "USD", "-0.05"),
        (1200, "JPY", "1200"),
        (-125, "KWD", "-0.125"),
        (1, "CLF", "0.0001"),
    ],
)
def test_format_minor(minor: int, currency: str, text: str) -> None:
    assert format_minor(minor, currency) == text


@given(
    currency=st.sampled_from(sorted(EXPONENTS)),
    minor=st.integers(min_value=-(10**12), max_value=10**12),
)
def test_format_then_parse_round_trips(currency: str, minor: int) -> None:
    assert to_minor(format_minor(minor, currency), currency, signed=True) == minor


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=20),
)
def test_allocate_is_exact_and_proportional(total: int, weights: list[int]) -> None:
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert all(s >= 0 for s in shares)
    whole = sum(weights)
    if whole:
        # Never more than one unit away from the exact proportional share.
        for share, w in zip(shares, weights, strict=True):
            assert abs(share * whole - total * w) < whole


def test_convert_and_percent_round_half_up_once() -> None:
    assert convert(1000, "EUR", Decimal("1.085"), "USD") == 1085
    assert convert(1, "USD", Decimal("0.5"), "USD") == 1  # 0.005 -> 0.01 (half up)
    assert convert(1000, "JPY", Decimal("0.0067"), "USD") == 670
    assert percent(1, 3) == Decimal("33.33")
    assert percent(2, 3) == Decimal("66.67")
    assert percent(-1, 8) == Decimal("-12.50")
    assert percent(5, 0) is None


def test_exponent_table_knows_the_odd_ones() -> None:
    assert [EXPONENTS[c] for c in ("USD", "EUR", "JPY", "KRW", "BHD", "KWD", "TND", "CLF")] == [
        2,
        2,
        0,
        0,
        3,
        3,
        3,
        4,
    ]
