"""The CoinGecko source against recorded responses served by respx (no network)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
import respx

from kassa.assets.registry import registry
from kassa.kit.errors import PriceUnavailable
from kassa.prices.coingecko import CoinGeckoSource
from kassa.prices.sources import FIATS

BASE = "https://api.coingecko.com/api/v3"
PRO = "https://pro-api.coingecko.com/api/v3"
ASSETS = list(registry().assets.values())


@pytest.fixture
async def gecko() -> AsyncIterator[CoinGeckoSource]:
    source = CoinGeckoSource(BASE)
    yield source
    await source.aclose()


@respx.mock
async def test_fetch_requests_all_ids_and_fiats_in_one_call(
    gecko: CoinGeckoSource, coingecko_body: bytes
) -> None:
    route = respx.get(f"{BASE}/simple/price").respond(200, content=coingecko_body)

    quotes = await gecko.fetch(ASSETS, FIATS)

    assert route.call_count == 1
    params = route.calls.last.request.url.params
    assert params["ids"].split(",") == [
        "bitcoin",
        "ethereum",
        "litecoin",
        "binancecoin",
        "tron",
        "ripple",
        "solana",
        "polygon-ecosystem-token",
        "tether",
        "usd-coin",
    ]
    assert params["vs_currencies"] == "usd,eur,gbp,cad,aud,jpy,chf"
    assert params["include_24hr_change"] == "true"
    assert params["include_last_updated_at"] == "true"
    assert "x-cg-demo-api-key" not in route.calls.last.request.headers
    assert len(quotes) == 15 * 7
    eth_eur = next(q for q in quotes if (q.asset, q.currency) == ("ETH", "EUR"))
    assert str(eth_eur.price) == "1404.99"
    assert eth_eur.change_24h == Decimal("-0.8703253919383513")


@respx.mock
@pytest.mark.parametrize(
    ("base", "header"), [(BASE, "x-cg-demo-api-key"), (PRO, "x-cg-pro-api-key")]
)
async def test_api_key_header(base: str, header: str, coingecko_body: bytes) -> None:
    route = respx.get(f"{base}/simple/price").respond(200, content=coingecko_body)
    source = CoinGeckoSource(base, "CG-secret")
    try:
        await source.fetch(ASSETS, ["USD"])
    finally:
        await source.aclose()

    assert route.calls.last.request.headers[header] == "CG-secret"


@respx.mock
async def test_rate_limit_raises_with_retry_after(gecko: CoinGeckoSource) -> None:
    body = {"status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit."}}
    respx.get(f"{BASE}/simple/price").respond(429, json=body, headers={"retry-after": "30"})

    with pytest.raises(PriceUnavailable, match="429") as info:
        await gecko.fetch(ASSETS, FIATS)

    assert info.value.retry_after == 30.0


@respx.mock
@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(500, text="Internal Server Error"), "HTTP 500"),
        (httpx.Response(503, html="<html>Cloudflare</html>"), "HTTP 503"),
        (httpx.Response(200, text="<html>maintenance</html>"), "malformed JSON"),
        (httpx.Response(200, text='{"bitcoin": {"usd": NaN}}'), "malformed JSON"),
        (httpx.Response(200, json={"bitcoin": {"usd": 1}}), "lacks last_updated_at"),
        (httpx.Response(200, json={}), "no price"),
    ],
)
async def test_bad_answers_raise_price_unavailable(
    gecko: CoinGeckoSource, response: httpx.Response, message: str
) -> None:
    respx.get(f"{BASE}/simple/price").mock(return_value=response)

    with pytest.raises(PriceUnavailable, match=message):
        await gecko.fetch(ASSETS, FIATS)


@respx.mock
async def test_network_failure_raises_price_unavailable(gecko: CoinGeckoSource) -> None:
    respx.get(f"{BASE}/simple/price").mock(side_effect=httpx.ConnectTimeout("timed out"))

    with pytest.raises(PriceUnavailable, match="ConnectTimeout"):
        await gecko.fetch(ASSETS, FIATS)


@respx.mock
async def test_redirect_is_not_followed(gecko: CoinGeckoSource) -> None:
    respx.get(f"{BASE}/simple/price").respond(302, headers={"location": "http://10.0.0.1/"})

    with pytest.raises(PriceUnavailable, match="HTTP 302"):
        await gecko.fetch(ASSETS, FIATS)
