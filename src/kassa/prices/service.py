"""The price service: a cached, single-flight view of one :class:`PriceSource`.

Invariants:

* One fetch asks the source for every asset × every fiat (``FIATS``); at most one fetch runs at
  a time, and callers that arrive meanwhile wait for it instead of starting their own.
* Quotes younger than ``ttl`` seconds are served without asking the source again.
* When a refetch fails, each old quote keeps being served while it is younger than ``max_age``;
  the source is not asked again until the failure's ``retry_after`` (at most ``ttl``) has passed.
* A quote older than ``max_age`` (or never fetched) is never served: the caller gets a 503.

Ages are measured from when Kassa fetched a quote, on a monotonic clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from kassa.assets.registry import Asset, registry
from kassa.config import Settings
from kassa.kit.errors import BadRequest, PriceUnavailable, ServiceUnavailable
from kassa.prices.coingecko import CoinGeckoSource
from kassa.prices.conversion import (
    Conversion,
    crypto_to_crypto,
    crypto_to_fiat,
    fiat_to_crypto,
    parse_currency,
    resolve_code,
)
from kassa.prices.sources import FIATS, ClosableSource, PriceSource, Quote
from kassa.prices.static import StaticPriceSource

__all__ = [
    "Conversion",
    "PriceService",
    "PriceTable",
    "Quote",
    "build_price_service",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Every servable quote in one currency, keyed by asset symbol in registry order.

    ``age_seconds`` is the age of the oldest quote in the table.
    """

    quotes: dict[str, Quote]
    age_seconds: int
    ttl_seconds: int


@dataclass(frozen=True, slots=True)
class _Entry:
    quote: Quote
    fetched_at: float


def _unavailable(what: str) -> ServiceUnavailable:
    return ServiceUnavailable(f"Price feed unavailable: no fresh price for {what}")


class PriceService:
    """Quotes, price tables and conversions, served from a cache of ``source``.

    ``ttl`` and ``max_age`` are seconds (``max_age`` is raised to ``ttl`` if smaller); ``clock``
    is a monotonic clock in seconds, injectable for tests.
    """

    def __init__(
        self,
        source: PriceSource,
        ttl: float,
        max_age: float,
        *,
        assets: Sequence[Asset] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ttl = ttl
        self._max_age = max(max_age, ttl)
        self._assets = list(assets) if assets is not None else list(registry().assets.values())
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._fetched_at: float | None = None
        self._retry_at: float | None = None
        self._lock = asyncio.Lock()

    @property
    def ttl_seconds(self) -> int:
        return int(self._ttl)

    def _needs_fetch(self) -> bool:
        now = self._clock()
        if self._fetched_at is not None and now - self._fetched_at < self._ttl:
            return False
        return self._retry_at is None or now >= self._retry_at

    async def _refresh(self) -> None:
        if not self._needs_fetch():
            return
        async with self._lock:
            if not self._needs_fetch():  # another caller fetched while we waited
                return
            try:
                quotes = await self._source.fetch(self._assets, FIATS)
            except Exception as exc:
                self._on_failure(exc)
                return
            now = self._clock()
            for quote in quotes:
                self._entries[(quote.asset, quote.currency)] = _Entry(quote, now)
            self._fetched_at = now
            self._retry_at = None

    def _on_failure(self, exc: Exception) -> None:
        if isinstance(exc, PriceUnavailable):
            log.warning("price fetch failed: %s", exc.message)
            delay = exc.retry_after
        else:
            log.exception("price source raised an unexpected error", exc_info=exc)
            delay = 5.0
        self._retry_at = self._clock() + max(0.0, min(delay, self._ttl))

    def _servable(self, symbol: str, currency: str) -> _Entry | None:
        entry = self._entries.get((symbol, currency))
        if entry is None or self._clock() - entry.fetched_at >= self._max_age:
            return None
        return entry

    async def quote(self, asset: Asset, currency: str) -> Quote:
        """The price of ``asset`` in ``currency``; 400 for an unknown fiat, 503 if none is fresh."""
        currency = parse_currency(currency)
        await self._refresh()
        entry = self._servable(asset.symbol, currency)
        if entry is None:
            raise _unavailable(f"{asset.symbol}/{currency}")
        return entry.quote

    async def table(self, currency: str) -> PriceTable:
        """Every asset's servable quote in ``currency``; 503 when there is none at all."""
        currency = parse_currency(currency)
        await self._refresh()
        now = self._clock()
        quotes: dict[str, Quote] = {}
        oldest = now
        for asset in self._assets:
            entry = self._servable(asset.symbol, currency)
            if entry is None:
                continue
            quotes[asset.symbol] = entry.quote
            oldest = min(oldest, entry.fetched_at)
        if not quotes:
            raise ServiceUnavailable(f"Price feed unavailable: no fresh prices in {currency}")
        return PriceTable(
            quotes=quotes, age_seconds=int(now - oldest), ttl_seconds=self.ttl_seconds
        )

    async def convert(self, from_code: str, to_code: str, amount: Decimal) -> Conversion:
        """Convert ``amount`` (positive) of ``from_code`` into ``to_code``; see ``conversion``."""
        source = resolve_code(from_code, "from")
        target = resolve_code(to_code, "to")
        if not amount.is_finite() or amount <= 0:
            raise BadRequest("Invalid amount: must be greater than 0")
        if isinstance(source, str):
            if isinstance(target, str):
                raise BadRequest(
                    f"Cannot convert {source} to {target}: one side must be a crypto asset"
                )
            return fiat_to_crypto(amount, source, target, await self.quote(target, source))
        if isinstance(target, str):
            return crypto_to_fiat(amount, source, target, await self.quote(source, target))
        source_usd = await self.quote(source, "USD")
        target_usd = await self.quote(target, "USD")
        return crypto_to_crypto(amount, source, target, source_usd, target_usd)

    async def aclose(self) -> None:
        if isinstance(self._source, ClosableSource):
            await self._source.aclose()


def build_price_service(settings: Settings) -> PriceService:
    """The service for ``settings.resolved_price_source`` (static file or CoinGecko)."""
    source: PriceSource
    if settings.resolved_price_source == "static":
        source = StaticPriceSource.from_file(settings.prices_file)
    else:
        source = CoinGeckoSource(settings.coingecko_url, settings.coingecko_api_key)
    return PriceService(
        source, ttl=settings.price_ttl_seconds, max_age=settings.price_max_age_seconds
    )
