"""Fixed prices from a TOML file, for the devnet, tests and offline installs.

The file holds USD prices per asset symbol, optional 24-hour changes (percent) and USD → fiat
rates; a price in another fiat is ``usd price × fiat_per_usd``::

    updated_at = "2026-04-16T02:00:00Z"     # optional; quotes are stamped "now" without it
    [usd]
    BTC = "84250.00"
    [change_24h]
    BTC = "1.23"
    [fiat_per_usd]
    EUR = "0.8790"

Numbers may be strings, integers or TOML floats (read as exact decimals). An asset absent from
``[usd]`` or a fiat absent from ``[fiat_per_usd]`` has no quote (USD is always ``1``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation, localcontext
from importlib import resources
from pathlib import Path
from typing import Any

from kassa.assets.registry import Asset
from kassa.kit.timeutil import as_utc, utcnow
from kassa.prices.sources import Quote

DEVNET_FILE = "devnet_prices.toml"


class InvalidPricesFile(ValueError):
    """The static prices file is missing, not TOML, or holds an invalid value."""


@dataclass(frozen=True, slots=True)
class StaticPrices:
    usd: Mapping[str, Decimal]
    change_24h: Mapping[str, Decimal]
    fiat_per_usd: Mapping[str, Decimal]
    updated_at: datetime | None


def _decimal(value: Any, where: str, *, positive: bool) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidPricesFile(f"{where} must be a number or a numeric string")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidPricesFile(f"{where} is not a number: {value!r}") from None
    if not number.is_finite() or (positive and number <= 0):
        raise InvalidPricesFile(f"{where} must be a {'positive' if positive else 'finite'} number")
    return number


def _table(raw: dict[str, Any], name: str, *, positive: bool) -> dict[str, Decimal]:
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise InvalidPricesFile(f"[{name}] must be a table")
    return {k: _decimal(v, f"{name}.{k}", positive=positive) for k, v in table.items()}


def _updated_at(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidPricesFile(f"updated_at is not an ISO 8601 time: {value!r}") from None
    if not isinstance(value, datetime):
        raise InvalidPricesFile("updated_at must be a date-time")
    return as_utc(value)


def parse_static_prices(text: str) -> StaticPrices:
    """Parse and validate the TOML text of a prices file."""
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidPricesFile(f"not valid TOML: {exc}") from exc
    rates = _table(raw, "fiat_per_usd", positive=True)
    rates.setdefault("USD", Decimal(1))
    return StaticPrices(
        usd=_table(raw, "usd", positive=True),
        change_24h=_table(raw, "change_24h", positive=False),
        fiat_per_usd={k.upper(): v for k, v in rates.items()},
        updated_at=_updated_at(raw.get("updated_at")),
    )


def _in_fiat(usd_price: Decimal, rate: Decimal) -> Decimal:
    """``usd_price × rate`` exactly, without trailing zeros past the USD price's places."""
    with localcontext() as ctx:
        ctx.prec = 200
        product = usd_price * rate
        trimmed = product.normalize()
        places = usd_price.as_tuple().exponent
        exponent = trimmed.as_tuple().exponent
        if isinstance(places, int) and isinstance(exponent, int) and exponent >= places:
            return product.quantize(Decimal(1).scaleb(places))
        return trimmed


class StaticPriceSource:
    """A :class:`~kassa.prices.sources.PriceSource` that answers fixed prices."""

    def __init__(self, prices: StaticPrices, clock: Callable[[], datetime] = utcnow) -> None:
        self._prices = prices
        self._clock = clock

    @classmethod
    def from_file(cls, path: Path | None) -> StaticPriceSource:
        """Load ``path``, or the packaged devnet prices when ``path`` is ``None``."""
        try:
            if path is None:
                text = resources.files(__package__).joinpath(DEVNET_FILE).read_text("utf-8")
            else:
                text = path.read_text("utf-8")
        except OSError as exc:
            raise InvalidPricesFile(f"cannot read prices file {path}: {exc}") from exc
        try:
            return cls(parse_static_prices(text))
        except InvalidPricesFile as exc:
            raise InvalidPricesFile(f"invalid prices file {path or DEVNET_FILE}: {exc}") from exc

    async def fetch(self, assets: Sequence[Asset], currencies: Sequence[str]) -> list[Quote]:
        prices = self._prices
        updated = prices.updated_at or self._clock()
        return [
            Quote(
                asset=asset.symbol,
                currency=currency,
                price=_in_fiat(prices.usd[asset.symbol], prices.fiat_per_usd[currency]),
                change_24h=prices.change_24h.get(asset.symbol),
                last_updated=updated,
            )
            for asset in assets
            if asset.symbol in prices.usd
            for currency in currencies
            if currency in prices.fiat_per_usd
        ]
