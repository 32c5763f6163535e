"""The cached, single-flight price service: TTL, stale-but-usable, 503 after max_age."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from kassa.assets.registry import Asset, registry
from kassa.kit.errors import BadRequest, PriceUnavailable, ServiceUnavailable
from kassa.prices.service import PriceService, Quote

BTC = registry().assets["BTC"]
ETH = registry().assets["ETH"]
TTL, MAX_AGE = 60, 600
STAMP = datetime(2026, 4, 16, 2, 0, tzinfo=UTC)


def service(source: Any, clock: Any) -> PriceService:
    return PriceService(source, TTL, MAX_AGE, clock=clock)


async def test_many_quotes_cost_one_upstream_call(source: Any, clock: Any) -> None:
    prices = service(source, clock)

    for _ in range(50):
        assert (await prices.quote(BTC, "USD")).price == Decimal("84250.00")
    await prices.quote(ETH, "EUR")
    await prices.table("JPY")

    assert source.calls == 1


async def test_concurrent_callers_share_one_fetch(clock: Any) -> None:
    class SlowSource:
        calls = 0

        async def fetch(self, assets: Sequence[Asset], currencies: Sequence[str]) -> list[Quote]:
            self.calls += 1
            await asyncio.sleep(0.05)
            return [Quote("BTC", "USD", Decimal("84250.00"), None, STAMP)]

    slow = SlowSource()
    prices = service(slow, clock)

    quotes = await asyncio.gather(*(prices.quote(BTC, "USD") for _ in range(20)))

    assert slow.calls == 1
    assert {q.price for q in quotes} == {Decimal("84250.00")}


async def test_refetches_after_ttl(source: Any, clock: Any) -> None:
    prices = service(source, clock)
    await prices.quote(BTC, "USD")

    clock.advance(TTL - 1)
    await prices.quote(BTC, "USD")
    assert source.calls == 1

    source.usd["BTC"] = Decimal("85000.50")
    clock.advance(1)
    assert (await prices.quote(BTC, "USD")).price == Decimal("85000.50")
    assert source.calls == 2


async def test_stale_quotes_served_while_refetch_fails(source: Any, clock: Any) -> None:
    prices = service(source, clock)
    await prices.quote(BTC, "USD")
    source.failing = PriceUnavailable("CoinGecko answered HTTP 500", retry_after=5.0)

    clock.advance(TTL + 1)
    assert (await prices.quote(BTC, "USD")).price == Decimal("84250.00")
    assert source.calls == 2
    table = await prices.table("USD")
    assert table.age_seconds == TTL + 1
    assert table.ttl_seconds == TTL

    clock.advance(2)  # inside the failure's retry_after: the source is left alone
    await prices.quote(BTC, "USD")
    assert source.calls == 2

    clock.advance(5)
    await prices.quote(BTC, "USD")
    assert source.calls == 3


async def test_503_once_quotes_are_older_than_max_age(source: Any, clock: Any) -> None:
    prices = service(source, clock)
    await prices.quote(BTC, "USD")
    source.failing = PriceUnavailable("CoinGecko answered HTTP 500")

    clock.advance(MAX_AGE - 1)
    await prices.quote(BTC, "USD")
    clock.advance(1)
    with pytest.raises(ServiceUnavailable) as info:
        await prices.quote(BTC, "USD")
    assert info.value.status_code == 503
    assert info.value.message == "Price feed unavailable: no fresh price for BTC/USD"
    with pytest.raises(ServiceUnavailable, match="no fresh prices in USD"):
        await prices.table("USD")

    source.failing = None  # the feed comes back: prices are served again after the backoff
    clock.advance(5)
    assert (await prices.quote(BTC, "USD")).price == Decimal("84250.00")


async def test_503_when_first_fetch_fails(source: Any, clock: Any) -> None:
    source.failing = PriceUnavailable("CoinGecko request failed: ConnectTimeout")
    prices = service(source, clock)

    with pytest.raises(ServiceUnavailable, match="no fresh price for ETH/EUR"):
        await prices.quote(ETH, "EUR")


async def test_unexpected_source_error_is_a_503_not_a_crash(source: Any, clock: Any) -> None:
    source.failing = KeyError("usd")
    prices = service(source, clock)

    with pytest.raises(ServiceUnavailable):
        await prices.quote(BTC, "USD")


async def test_asset_the_source_does_not_price_is_503(source: Any, clock: Any) -> None:
    prices = service(source, clock)

    with pytest.raises(ServiceUnavailable, match="SOL/USD"):
        await prices.quote(registry().assets["SOL"], "USD")
    table = await prices.table("USD")
    assert list(table.quotes) == ["BTC", "ETH", "USDT-TRC20"]


async def test_currency_is_case_insensitive_and_checked(source: Any, clock: Any) -> None:
    prices = service(source, clock)

    assert (await prices.quote(BTC, "eur")).currency == "EUR"
    with pytest.raises(BadRequest) as info:
        await prices.table("XYZ")
    assert info.value.message == (
        "Unsupported currency: XYZ. Supported: USD, EUR, GBP, CAD, AUD, JPY, CHF"
    )


async def test_aclose_closes_the_source(source: Any, clock: Any) -> None:
    await service(source, clock).aclose()

    assert source.closed
