"""Fixtures for the price tests: a recorded CoinGecko body, a fake source and a fake clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kassa.assets.registry import Asset
from kassa.prices.sources import Quote

FIXTURES = Path(__file__).parent / "fixtures"
STAMP = datetime(2026, 4, 16, 2, 0, tzinfo=UTC)
USD_PRICES = {"BTC": Decimal("84250.00"), "ETH": Decimal("1598.40"), "USDT-TRC20": Decimal("1.00")}


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeSource:
    """Prices from a dict; counts fetches; fails while ``failing`` is set."""

    def __init__(self, usd: dict[str, Decimal] | None = None) -> None:
        self.usd = dict(USD_PRICES if usd is None else usd)
        self.calls = 0
        self.failing: Exception | None = None
        self.closed = False

    async def fetch(self, assets: Sequence[Asset], currencies: Sequence[str]) -> list[Quote]:
        self.calls += 1
        if self.failing is not None:
            raise self.failing
        rates = {"USD": Decimal(1), "EUR": Decimal("0.8790"), "JPY": Decimal("142.30")}
        return [
            Quote(a.symbol, c, self.usd[a.symbol] * rates[c], Decimal("1.23"), STAMP)
            for a in assets
            if a.symbol in self.usd
            for c in currencies
            if c in rates
        ]

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def coingecko_body() -> bytes:
    return (FIXTURES / "coingecko_simple_price.json").read_bytes()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def source() -> FakeSource:
    return FakeSource()
