"""CoinGecko /simple/price bodies → quotes (pure mapping, recorded real-format fixture)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from kassa.assets.registry import registry
from kassa.kit import jsonutil
from kassa.kit.errors import PriceUnavailable
from kassa.prices.sources import FIATS
from kassa.prices.transformers import coingecko_ids, simple_price_quotes

ASSETS = list(registry().assets.values())
BTC = [registry().assets["BTC"]]


def test_fixture_maps_every_asset_and_fiat(coingecko_body: bytes) -> None:
    quotes = simple_price_quotes(jsonutil.loads(coingecko_body), ASSETS, FIATS)

    assert len(quotes) == len(ASSETS) * len(FIATS)
    by_key = {(q.asset, q.currency): q for q in quotes}
    btc = by_key[("BTC", "USD")]
    assert btc.price == Decimal("84250.12")
    assert str(btc.price) == "84250.12"
    assert btc.change_24h == Decimal("1.2312345678901234")
    assert btc.last_updated == datetime(2026, 4, 16, 2, 0, tzinfo=UTC)
    assert by_key[("BTC", "JPY")].price == Decimal("11988792.08")


def test_shared_coingecko_id_maps_back_to_every_symbol(coingecko_body: bytes) -> None:
    quotes = simple_price_quotes(jsonutil.loads(coingecko_body), ASSETS, ["USD"])

    usdc = {q.asset: q.price for q in quotes if q.asset.startswith("USDC-")}
    assert usdc == dict.fromkeys(
        ["USDC-ERC20", "USDC-SOL", "USDC-MATIC", "USDC-ARB"], Decimal("0.999912")
    )
    assert {q.asset for q in quotes if q.asset.startswith("USDT-")} == {
        "USDT-ERC20",
        "USDT-TRC20",
        "USDT-BEP20",
    }


def test_ids_are_requested_once_each() -> None:
    ids = coingecko_ids(ASSETS)

    assert len(ids) == len(set(ids)) == 10
    assert {"tether", "usd-coin", "polygon-ecosystem-token"} <= set(ids)


def test_price_with_twenty_significant_digits_survives() -> None:
    text = (
        '{"bitcoin":{"usd":84250.123456789012345,"usd_24h_change":1.5,'
        '"last_updated_at":1776304800}}'
    )

    [quote] = simple_price_quotes(jsonutil.loads(text), BTC, ["USD"])

    assert str(quote.price) == "84250.123456789012345"


def test_exponent_notation_and_null_change() -> None:
    text = '{"bitcoin":{"usd":1.5e-05,"usd_24h_change":null,"last_updated_at":1776304800}}'

    [quote] = simple_price_quotes(jsonutil.loads(text), BTC, ["USD"])

    assert quote.price == Decimal("0.000015")
    assert quote.change_24h is None


def test_missing_id_is_skipped_but_not_all() -> None:
    body = {"bitcoin": {"usd": 1, "last_updated_at": 1776304800}}

    quotes = simple_price_quotes(body, ASSETS, ["USD"])

    assert [q.asset for q in quotes] == ["BTC"]
    with pytest.raises(PriceUnavailable, match="no price for any requested id"):
        simple_price_quotes({}, ASSETS, ["USD"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "not a JSON object"),
        ({"bitcoin": "84250"}, "non-object"),
        ({"bitcoin": {"usd": "84250", "last_updated_at": 1776304800}}, "non-number"),
        ({"bitcoin": {"usd": True, "last_updated_at": 1776304800}}, "non-number"),
        ({"bitcoin": {"usd": 0, "last_updated_at": 1776304800}}, "non-positive"),
        ({"bitcoin": {"usd": Decimal("-1.5"), "last_updated_at": 1776304800}}, "non-positive"),
        ({"bitcoin": {"eur": 1, "last_updated_at": 1776304800}}, "lacks 'usd'"),
        ({"bitcoin": {"usd": 1}}, "lacks last_updated_at"),
        ({"bitcoin": {"usd": 1, "last_updated_at": "yesterday"}}, "invalid"),
        ({"bitcoin": {"usd": 1, "last_updated_at": 10**20}}, "invalid"),
        ({"bitcoin": {"usd": 1, "usd_24h_change": "up", "last_updated_at": 1}}, "non-number"),
    ],
)
def test_malformed_bodies_raise_price_unavailable(body: Any, message: str) -> None:
    with pytest.raises(PriceUnavailable, match=message):
        simple_price_quotes(body, BTC, ["USD"])
