from __future__ import annotations

from decimal import Decimal

import pytest

from kassa.kit.money import (
    decimal_places,
    format_atomic,
    fraction_of,
    from_atomic,
    quantize,
    to_atomic,
)

UINT256_MAX = 2**256 - 1  # 78 digits


def test_uint256_round_trips_exactly() -> None:
    value = from_atomic(UINT256_MAX, 18)
    assert to_atomic(value, 18) == UINT256_MAX
    text = format_atomic(UINT256_MAX, 18)
    assert text.replace(".", "") == str(UINT256_MAX)


def test_format_keeps_every_place_of_the_asset() -> None:
    assert format_atomic(118695, 8) == "0.00118695"
    assert format_atomic(250_000_000, 6) == "250.000000"
    assert format_atomic(-593, 8) == "-0.00000593"
    assert format_atomic(0, 18) == "0.000000000000000000"


def test_to_atomic_refuses_extra_places() -> None:
    assert to_atomic(Decimal("0.00000001"), 8) == 1
    with pytest.raises(ValueError, match="more than 8"):
        to_atomic(Decimal("0.000000001"), 8)


def test_fee_is_rounded_down() -> None:
    assert fraction_of(118695, Decimal("0.005")) == 593
    assert fraction_of(UINT256_MAX, Decimal("0.005")) == UINT256_MAX * 5 // 1000
    assert fraction_of(199, Decimal("0.005")) == 0


def test_quantize_up_and_down() -> None:
    value = Decimal(100) / Decimal("84250.00")
    assert quantize(value, 8) == Decimal("0.00118694")
    assert quantize(value, 8, up=True) == Decimal("0.00118695")


def test_decimal_places() -> None:
    assert decimal_places(Decimal("10.00")) == 0
    assert decimal_places(Decimal("10.001")) == 3
    assert decimal_places(Decimal("1E+3")) == 0


def test_json_numbers_are_exact_and_fixed_point() -> None:
    from kassa.kit import jsonutil

    big = "115792089237316195423570985008687907853269984665640564039457.584007913129639935"
    text = '{"a": 0.00000012, "b": ' + big + ', "c": 30.00}'
    parsed = jsonutil.loads(text)
    assert parsed["a"] == Decimal("0.00000012")
    assert jsonutil.dumps(parsed) == text.replace(": ", ":").replace(", ", ",")
    with pytest.raises(jsonutil.InvalidJSON):
        jsonutil.loads('{"a": NaN}')
