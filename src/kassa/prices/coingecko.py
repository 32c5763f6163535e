"""CoinGecko ``/simple/price`` over HTTP (I/O only; the mapping is in ``transformers``)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from kassa.assets.registry import Asset
from kassa.kit import jsonutil
from kassa.kit.errors import PriceUnavailable
from kassa.prices.sources import Quote
from kassa.prices.transformers import coingecko_ids, simple_price_quotes

DEFAULT_TIMEOUT = 10.0
RATE_LIMIT_RETRY = 60.0


def _key_header(base_url: str) -> str:
    """Pro keys go to ``pro-api.coingecko.com``; every other host gets the demo header."""
    host = httpx.URL(base_url).host
    return "x-cg-pro-api-key" if host.startswith("pro-api.") else "x-cg-demo-api-key"


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "")
    return float(int(value)) if value.isdigit() else RATE_LIMIT_RETRY


class CoinGeckoSource:
    """A :class:`~kassa.prices.sources.PriceSource` backed by the CoinGecko API.

    ``base_url`` is the API root (``https://api.coingecko.com/api/v3``); ``api_key``, when set,
    is sent as ``x-cg-demo-api-key`` (or ``x-cg-pro-api-key`` for the pro host).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"accept": "application/json", "user-agent": "kassa-price-feed"}
        if api_key:
            headers[_key_header(base_url)] = api_key
        self._url = base_url.rstrip("/") + "/simple/price"
        self._client = httpx.AsyncClient(
            headers=headers, timeout=timeout, transport=transport, follow_redirects=False
        )

    async def fetch(self, assets: Sequence[Asset], currencies: Sequence[str]) -> list[Quote]:
        params = {
            "ids": ",".join(coingecko_ids(assets)),
            "vs_currencies": ",".join(c.lower() for c in currencies),
            "include_24hr_change": "true",
            "include_last_updated_at": "true",
        }
        try:
            response = await self._client.get(self._url, params=params)
        except httpx.HTTPError as exc:
            raise PriceUnavailable(f"CoinGecko request failed: {type(exc).__name__}") from exc
        if response.status_code == 429:
            raise PriceUnavailable(
                "CoinGecko rate limit exceeded (HTTP 429)", retry_after=_retry_after(response)
            )
        if not response.is_success:
            raise PriceUnavailable(f"CoinGecko answered HTTP {response.status_code}")
        try:
            body = jsonutil.loads(response.content)
        except jsonutil.InvalidJSON as exc:
            raise PriceUnavailable(f"CoinGecko answered malformed JSON: {exc}") from exc
        return simple_price_quotes(body, assets, currencies)

    async def aclose(self) -> None:
        await self._client.aclose()
