"""Conversion rules: exact, rounded once half-even, fiat→fiat refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from kassa.kit.errors import BadRequest
from kassa.prices.conversion import round_half_even, significant
from kassa.prices.service import PriceService


@pytest.fixture
def prices(source: Any, clock: Any) -> PriceService:
    return PriceService(source, 60, 600, clock=clock)


async def test_doc_example_usd_to_btc(prices: PriceService) -> None:
    result = await prices.convert("USD", "BTC", Decimal(100))

    assert (result.from_code, result.to_code) == ("USD", "BTC")
    assert result.input_amount == 100
    assert str(result.output_amount) == "0.00118694"
    assert str(result.rate) == "84250.00"
    assert result.last_updated == datetime(2026, 4, 16, 2, 0, tzinfo=UTC)


async def test_fiat_to_crypto_uses_the_price_in_that_fiat(prices: PriceService) -> None:
    result = await prices.convert("eur", "BTC", Decimal(100))

    assert result.from_code == "EUR"
    assert result.rate == Decimal("84250.00") * Decimal("0.8790")
    assert str(result.output_amount) == "0.00135033"  # 100 / 74055.75 = 0.0013503343...


async def test_fiat_to_crypto_rounds_to_quote_precision(prices: PriceService) -> None:
    result = await prices.convert("USD", "ETH", Decimal(100))

    assert str(result.output_amount) == "0.06256256"  # 100 / 1598.40 = 0.0625625625...


async def test_crypto_to_fiat_rounds_to_minor_units(prices: PriceService) -> None:
    usd = await prices.convert("BTC", "USD", Decimal("0.00118694"))
    jpy = await prices.convert("BTC", "JPY", Decimal("0.5"))

    assert str(usd.output_amount) == "100.00"  # 99.9997...
    assert str(jpy.output_amount) == "5994388"  # 0.5 × 11988775 = 5994387.5 → even
    assert str(jpy.rate) == "11988775.0000"


async def test_crypto_to_crypto_goes_through_usd(prices: PriceService) -> None:
    result = await prices.convert("BTC", "ETH", Decimal(1))

    assert str(result.rate) == "52.7089589590"  # 84250.00 / 1598.40, 12 significant digits
    assert str(result.output_amount) == "52.70895896"
    stable = await prices.convert("USDT-TRC20", "BTC", Decimal("84250"))
    assert str(stable.output_amount) == "1.00000000"


async def test_huge_exact_amount_stays_exact(prices: PriceService) -> None:
    amount = Decimal("123456789012345678901234567890.123456789")

    result = await prices.convert("BTC", "USD", amount)

    assert str(result.output_amount) == "10401234474290123447429012344742901.23"
    assert result.input_amount is amount


@pytest.mark.parametrize(
    ("from_code", "to_code", "message"),
    [
        ("USD", "EUR", "Cannot convert USD to EUR: one side must be a crypto asset"),
        (
            "XYZ",
            "BTC",
            'Unsupported from: "XYZ". Supported: USD, EUR, GBP, CAD, AUD, JPY, CHF, BTC',
        ),
        ("USD", "DOGE", 'Unsupported to: "DOGE"'),
        ("USD", "USDT", '"USDT" is ambiguous — please specify the network.'),
    ],
)
async def test_bad_codes_are_400(
    prices: PriceService, from_code: str, to_code: str, message: str
) -> None:
    with pytest.raises(BadRequest) as info:
        await prices.convert(from_code, to_code, Decimal(1))

    assert info.value.message.startswith(message)


@pytest.mark.parametrize("amount", [Decimal(0), Decimal(-1), Decimal("NaN")])
async def test_non_positive_amount_is_400(prices: PriceService, amount: Decimal) -> None:
    with pytest.raises(BadRequest, match="must be greater than 0"):
        await prices.convert("USD", "BTC", amount)


def test_rounding_is_half_even_and_single() -> None:
    assert round_half_even(Fraction("0.125"), 2) == Decimal("0.12")
    assert round_half_even(Fraction("0.135"), 2) == Decimal("0.14")
    assert round_half_even(Fraction(1, 3), 8) == Decimal("0.33333333")
    assert significant(Fraction(2, 3), 12) == Decimal("0.666666666667")
