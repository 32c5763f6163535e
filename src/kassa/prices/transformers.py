"""Pure mapping of CoinGecko ``/simple/price`` bodies to :class:`Quote` objects.

The body (parsed with :func:`kassa.kit.jsonutil.loads`, so numbers are ``int`` or ``Decimal``)
looks like::

    {"bitcoin": {"usd": 84250.12, "usd_24h_change": 1.23, "eur": 74055.7,
                 "eur_24h_change": 1.1, "last_updated_at": 1776304800}, ...}

Several assets may share one CoinGecko id (``tether``, ``usd-coin``): each gets its own quotes.
An id missing from the body is skipped (CoinGecko silently drops unknown ids); an entry that is
present but malformed fails the whole body.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kassa.assets.registry import Asset
from kassa.kit.errors import PriceUnavailable
from kassa.prices.sources import Quote

log = logging.getLogger(__name__)


def coingecko_ids(assets: Sequence[Asset]) -> list[str]:
    """The distinct CoinGecko ids of ``assets``, in first-seen order."""
    return list(dict.fromkeys(a.coingecko_id for a in assets))


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise PriceUnavailable(f"CoinGecko answered a non-number for {where}: {value!r}")
    number = Decimal(value)
    if not number.is_finite():
        raise PriceUnavailable(f"CoinGecko answered a non-finite number for {where}")
    return number


def _timestamp(value: Any, where: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PriceUnavailable(f"CoinGecko answered an invalid {where}: {value!r}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise PriceUnavailable(f"CoinGecko answered an invalid {where}: {value!r}") from exc


def _entry_quotes(
    coin_id: str, entry: Any, symbols: list[str], currencies: Sequence[str]
) -> list[Quote]:
    if not isinstance(entry, dict):
        raise PriceUnavailable(f"CoinGecko answered a non-object for {coin_id!r}")
    if "last_updated_at" not in entry:
        raise PriceUnavailable(f"CoinGecko answer for {coin_id!r} lacks last_updated_at")
    updated = _timestamp(entry["last_updated_at"], f"{coin_id}.last_updated_at")
    quotes: list[Quote] = []
    for currency in currencies:
        key = currency.lower()
        if key not in entry:
            raise PriceUnavailable(f"CoinGecko answer for {coin_id!r} lacks {key!r}")
        price = _number(entry[key], f"{coin_id}.{key}")
        if price <= 0:
            raise PriceUnavailable(f"CoinGecko answered a non-positive price for {coin_id}.{key}")
        raw_change = entry.get(f"{key}_24h_change")
        change = None if raw_change is None else _number(raw_change, f"{coin_id}.{key}_24h_change")
        quotes.extend(
            Quote(
                asset=symbol,
                currency=currency,
                price=price,
                change_24h=change,
                last_updated=updated,
            )
            for symbol in symbols
        )
    return quotes


def simple_price_quotes(
    body: Any, assets: Sequence[Asset], currencies: Sequence[str]
) -> list[Quote]:
    """Map a ``/simple/price`` body to quotes for every asset × currency it prices.

    Raises :class:`PriceUnavailable` when the body is not an object, an entry is malformed, or
    no requested id is present at all.
    """
    if not isinstance(body, dict):
        raise PriceUnavailable("CoinGecko answered a body that is not a JSON object")
    symbols_by_id: dict[str, list[str]] = {}
    for asset in assets:
        symbols_by_id.setdefault(asset.coingecko_id, []).append(asset.symbol)
    quotes: list[Quote] = []
    missing: list[str] = []
    for coin_id, symbols in symbols_by_id.items():
        if coin_id not in body:
            missing.append(coin_id)
            continue
        quotes.extend(_entry_quotes(coin_id, body[coin_id], symbols, currencies))
    if not quotes and symbols_by_id:
        raise PriceUnavailable("CoinGecko answered no price for any requested id")
    if missing:
        log.warning("CoinGecko has no price for: %s", ", ".join(missing))
    return quotes
