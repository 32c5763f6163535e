"""The static price source, the devnet prices file, and picking a source from settings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kassa.assets.registry import registry
from kassa.config import Settings
from kassa.prices.coingecko import CoinGeckoSource
from kassa.prices.service import build_price_service
from kassa.prices.sources import FIATS
from kassa.prices.static import InvalidPricesFile, StaticPriceSource, parse_static_prices

TEST_PRICES = Path(__file__).parents[1] / "fixtures" / "prices.toml"
ASSETS = list(registry().assets.values())


async def test_fiat_price_is_usd_price_times_rate() -> None:
    source = StaticPriceSource.from_file(TEST_PRICES)

    quotes = {(q.asset, q.currency): q for q in await source.fetch(ASSETS, FIATS)}

    assert len(quotes) == len(ASSETS) * len(FIATS)
    assert str(quotes[("BTC", "USD")].price) == "84250.00"
    assert str(quotes[("BTC", "EUR")].price) == "74055.75"
    assert str(quotes[("TRX", "EUR")].price) == "0.215355"  # 0.2450 × 0.8790, exact
    assert quotes[("ETH", "USD")].change_24h == Decimal("-0.87")
    assert quotes[("SOL", "USD")].change_24h is None
    assert quotes[("BTC", "USD")].last_updated == datetime(2026, 4, 16, 2, 0, tzinfo=UTC)


async def test_packaged_devnet_prices_cover_every_asset_and_fiat() -> None:
    source = StaticPriceSource.from_file(None)

    quotes = await source.fetch(ASSETS, FIATS)

    assert len(quotes) == len(ASSETS) * len(FIATS)
    assert all(q.price > 0 and q.last_updated.tzinfo is UTC for q in quotes)


async def test_toml_floats_are_read_exactly() -> None:
    prices = parse_static_prices("[usd]\nBTC = 84250.10000000000000000001\n")

    assert prices.usd["BTC"] == Decimal("84250.10000000000000000001")
    assert prices.fiat_per_usd == {"USD": Decimal(1)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[usd\n", "not valid TOML"),
        ('[usd]\nBTC = "abc"\n', "usd.BTC is not a number"),
        ('[usd]\nBTC = "-1"\n', "usd.BTC must be a positive number"),
        ('[usd]\nBTC = "NaN"\n', "usd.BTC must be a positive number"),
        ("[usd]\nBTC = true\n", "usd.BTC must be a number"),
        ('usd = "1"\n', r"\[usd\] must be a table"),
        ('updated_at = "soon"\n', "updated_at is not an ISO 8601 time"),
    ],
)
def test_invalid_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidPricesFile, match=message):
        parse_static_prices(text)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidPricesFile, match="cannot read prices file"):
        StaticPriceSource.from_file(tmp_path / "nope.toml")


async def test_build_picks_the_source_from_settings() -> None:
    devnet = Settings(_env_file=None, network="devnet")
    mainnet = Settings(_env_file=None, network="mainnet", price_ttl_seconds=30)

    static_service = build_price_service(devnet)
    gecko_service = build_price_service(mainnet)
    try:
        assert isinstance(static_service._source, StaticPriceSource)
        assert isinstance(gecko_service._source, CoinGeckoSource)
        assert gecko_service.ttl_seconds == 30
        quote = await static_service.quote(registry().assets["BTC"], "USD")
        assert quote.price == Decimal("84250.00")
    finally:
        await static_service.aclose()
        await gecko_service.aclose()
