"""What a withdrawal costs: the platform fee and the network fee, in the withdrawn asset.

Fee arithmetic (atomic units, rounded UP to the asset's ``quote_decimals`` so that a fee never
comes out below what it stands for):

* platform fee = ``KASSA_WITHDRAWAL_FEE_USD`` / USD price of the asset;
* network fee = the chain's fee quote (native coin); for a token it is converted at
  USD price of the native coin / USD price of the token;
* total held = amount + platform fee + network fee.

At completion the network fee actually charged is ``charged × actual / quoted`` (rounded up) when
the chain cost less than quoted; the difference is refunded. When it cost more, the merchant is
still charged the quote and the operator absorbs the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from kassa.assets.registry import Asset, registry
from kassa.chains.base import FeeQuote, PayoutAdapter
from kassa.kit.errors import RetriableError, ServiceUnavailable
from kassa.kit.money import from_atomic, quantize, to_atomic
from kassa.prices.service import PriceService


@dataclass(frozen=True, slots=True)
class Fees:
    """The fees of one withdrawal of ``asset`` (flat: they do not depend on the amount)."""

    asset: Asset
    platform_fee: int
    platform_fee_usd: Decimal
    network_fee: int
    """In atomic units of ``asset``."""
    network_fee_native: int
    """The chain's quote, in atomic units of ``native``."""
    native: Asset
    price_usd: Decimal
    """USD per whole ``asset``."""

    @property
    def per_withdrawal(self) -> int:
        return self.platform_fee + self.network_fee

    def total(self, amount: int) -> int:
        return amount + self.per_withdrawal

    def usd(self, atomic: int) -> Decimal:
        """``atomic`` units of ``asset`` in USD at the price the fees were computed with."""
        with localcontext() as ctx:
            ctx.prec = 100
            return from_atomic(atomic, self.asset.decimals) * self.price_usd


def _round_up(value: Decimal, asset: Asset) -> int:
    return to_atomic(quantize(value, asset.quote_decimals, up=True), asset.decimals)


def platform_fee(asset: Asset, fee_usd: Decimal, price_usd: Decimal) -> int:
    with localcontext() as ctx:
        ctx.prec = 100
        return _round_up(fee_usd / price_usd, asset)


def network_fee(
    asset: Asset, native: Asset, native_amount: int, asset_price: Decimal, native_price: Decimal
) -> int:
    """The native-coin fee ``native_amount`` expressed in ``asset`` (itself when native)."""
    if native.symbol == asset.symbol:
        return native_amount
    with localcontext() as ctx:
        ctx.prec = 100
        value = from_atomic(native_amount, native.decimals) * native_price / asset_price
        return _round_up(value, asset)


def network_fee_used(charged: int, quoted_native: int, actual_native: int | None) -> int:
    """The part of the charged network fee the chain really took: ``charged`` scaled by
    ``actual / quoted`` and rounded up, never more than ``charged``."""
    if actual_native is None or quoted_native <= 0 or actual_native >= quoted_native:
        return charged
    return -(-charged * max(actual_native, 0) // quoted_native)


def fees_from(
    asset: Asset, quote: FeeQuote, fee_usd: Decimal, asset_price: Decimal, native_price: Decimal
) -> Fees:
    native = native_asset(quote)
    return Fees(
        asset=asset,
        platform_fee=platform_fee(asset, fee_usd, asset_price),
        platform_fee_usd=fee_usd,
        network_fee=network_fee(asset, native, quote.amount, asset_price, native_price),
        network_fee_native=quote.amount,
        native=native,
        price_usd=asset_price,
    )


def native_asset(quote: FeeQuote) -> Asset:
    native = registry().assets.get(quote.native_asset)
    if native is None:
        raise ServiceUnavailable(f"Network fee unavailable: unknown fee asset {quote.native_asset}")
    return native


async def quote_fees(
    prices: PriceService, adapter: PayoutAdapter, asset: Asset, fee_usd: Decimal
) -> Fees:
    """Ask the chain for its fee and the price feed for both prices (503 when unavailable)."""
    try:
        quote = await adapter.fee_quote(asset)
    except RetriableError as exc:
        raise ServiceUnavailable(
            f"Network fee unavailable for {asset.symbol}: the {asset.chain.name} node did not "
            "answer; try again shortly"
        ) from exc
    native = native_asset(quote)
    asset_price = (await prices.quote(asset, "USD")).price
    native_price = (
        asset_price if native.symbol == asset.symbol else (await prices.quote(native, "USD")).price
    )
    return fees_from(asset, quote, fee_usd, asset_price, native_price)
