"""Pure conversion rules between fiat and crypto amounts (no I/O, no cache).

* fiat → crypto: ``amount / price``, rounded half-even to the asset's ``quote_decimals`` (the
  precision the registry defines for crypto amounts computed from fiat, so ``/prices/convert``
  agrees with payment creation); ``rate`` is the price.
* crypto → fiat: ``amount × price``, rounded half-even to the fiat's minor units; ``rate`` is the
  price.
* crypto → crypto: through USD, ``amount × price(from) / price(to)`` rounded half-even to the
  target's ``quote_decimals``; ``rate`` is ``price(from) / price(to)`` to 12 significant digits.
* fiat → fiat is refused.

Arithmetic is exact (``Fraction``) and rounded once, so no result depends on a context precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

from kassa.assets.registry import Asset, registry
from kassa.kit.errors import BadRequest
from kassa.kit.money import FIAT_CURRENCIES
from kassa.prices.sources import FIATS, Quote

RATE_SIGNIFICANT_DIGITS = 12
SUPPORTED_FIATS = ", ".join(FIATS)


@dataclass(frozen=True, slots=True)
class Conversion:
    """The result of converting ``input_amount`` of ``from_code`` into ``to_code``."""

    from_code: str
    to_code: str
    input_amount: Decimal
    output_amount: Decimal
    rate: Decimal
    last_updated: datetime


def parse_currency(code: str) -> str:
    """The canonical fiat code (case-insensitive), or a 400 listing the supported ones."""
    upper = code.upper()
    if upper not in FIAT_CURRENCIES:
        raise BadRequest(f"Unsupported currency: {code}. Supported: {SUPPORTED_FIATS}")
    return upper


def resolve_code(code: str, field: str) -> Asset | str:
    """A fiat code (any case) or an exact asset symbol; a 400 naming ``field`` otherwise.

    A bare family symbol (``USDT``) gets the registry's "ambiguous" message.
    """
    reg = registry()
    if code in reg.assets:
        return reg.assets[code]
    if code.upper() in FIAT_CURRENCIES:
        return code.upper()
    if any(a.family_symbol == code for a in reg.assets.values()):
        reg.get(code, field)  # raises the registry's "ambiguous" 400
    raise BadRequest(
        f'Unsupported {field}: "{code}". Supported: {SUPPORTED_FIATS}, {", ".join(reg.symbols)}'
    )


def round_half_even(value: Fraction, places: int) -> Decimal:
    """``value`` rounded once, half-even, to exactly ``places`` decimal places."""
    rounded = round(value * 10**places)
    return Decimal(f"{rounded}E{-places}")  # exact: no context rounding


def significant(value: Fraction, digits: int) -> Decimal:
    """``value`` rounded once, half-even, to ``digits`` significant digits."""
    with localcontext() as ctx:
        ctx.prec = digits
        ctx.rounding = ROUND_HALF_EVEN
        return Decimal(value.numerator) / Decimal(value.denominator)


def fiat_to_crypto(amount: Decimal, fiat: str, asset: Asset, quote: Quote) -> Conversion:
    output = round_half_even(Fraction(amount) / Fraction(quote.price), asset.quote_decimals)
    return Conversion(fiat, asset.symbol, amount, output, quote.price, quote.last_updated)


def crypto_to_fiat(amount: Decimal, asset: Asset, fiat: str, quote: Quote) -> Conversion:
    output = round_half_even(Fraction(amount) * Fraction(quote.price), FIAT_CURRENCIES[fiat])
    return Conversion(asset.symbol, fiat, amount, output, quote.price, quote.last_updated)


def crypto_to_crypto(
    amount: Decimal, source: Asset, target: Asset, source_usd: Quote, target_usd: Quote
) -> Conversion:
    ratio = Fraction(source_usd.price) / Fraction(target_usd.price)
    output = round_half_even(Fraction(amount) * ratio, target.quote_decimals)
    return Conversion(
        source.symbol,
        target.symbol,
        amount,
        output,
        significant(ratio, RATE_SIGNIFICANT_DIGITS),
        min(source_usd.last_updated, target_usd.last_updated),
    )
