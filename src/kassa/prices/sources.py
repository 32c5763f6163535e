"""The price-source port: what the price service asks of CoinGecko, a static file or a fake."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from kassa.assets.registry import Asset
from kassa.kit.money import FIAT_CURRENCIES

FIATS: tuple[str, ...] = tuple(FIAT_CURRENCIES)
"""Every fiat currency a price is quoted in, in the order the API lists them."""


@dataclass(frozen=True, slots=True)
class Quote:
    """The price of one asset in one fiat currency.

    ``price`` is fiat units per whole coin, exact. ``change_24h`` is the 24-hour change in
    percent, or ``None`` when the source does not know it. ``last_updated`` is when the source
    last priced the asset (UTC), not when Kassa fetched it.
    """

    asset: str
    currency: str
    price: Decimal
    change_24h: Decimal | None
    last_updated: datetime


class PriceSource(Protocol):
    """Where prices come from.

    ``fetch`` returns one :class:`Quote` per (asset, currency) it knows, in one round trip. An
    asset the source does not price is left out; it is not an error. Any failure (network,
    non-2xx answer, malformed body, missing fields) raises
    :class:`kassa.kit.errors.PriceUnavailable`, never anything else.
    """

    async def fetch(self, assets: Sequence[Asset], currencies: Sequence[str]) -> list[Quote]: ...


@runtime_checkable
class ClosableSource(Protocol):
    """A source holding a resource (an HTTP client) that must be released on shutdown."""

    async def aclose(self) -> None: ...
