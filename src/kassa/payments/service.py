"""Creating and reading payment intents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, localcontext

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import Asset, registry
from kassa.chains.base import match_key
from kassa.chains.registry import can_watch
from kassa.kit.errors import BadRequest, NotFound, ServiceUnavailable
from kassa.kit.money import FIAT_CURRENCIES, decimal_places, quantize, to_atomic
from kassa.kit.timeutil import utcnow
from kassa.merchants.auth import Principal
from kassa.models import DepositAddress, Payment, Receipt
from kassa.payments.repository import PaymentRepository
from kassa.payments.schemas import CreatePayment
from kassa.runtime import Runtime


def supported_fiat(code: str) -> str:
    if code not in FIAT_CURRENCIES:
        raise BadRequest(
            f"Unsupported fiat_currency: {code}. Supported: {', '.join(FIAT_CURRENCIES)}"
        )
    return code


def enabled_asset(runtime: Runtime, symbol: str) -> Asset:
    asset = registry().get(symbol)
    if asset.chain.id not in runtime.keys.chains or not can_watch(runtime, asset.chain.id):
        raise BadRequest(f"Asset {asset.symbol} is not enabled on this gateway")
    return asset


def crypto_atomic(amount: Decimal, asset: Asset) -> int:
    try:
        return to_atomic(amount, asset.decimals)
    except ValueError:
        raise BadRequest(
            f"Invalid amount_crypto: {asset.symbol} has at most {asset.decimals} decimal places"
        ) from None


@dataclass(frozen=True, slots=True)
class PricedAmount:
    atomic: int
    fiat: Decimal | None
    price: Decimal | None


async def price_amount(runtime: Runtime, asset: Asset, request: CreatePayment) -> PricedAmount:
    """The crypto amount the buyer must send, and the fiat side of it when known.

    A fiat-only amount is converted at the live price and rounded UP to the asset's quote
    precision, so the merchant never receives less than the fiat amount asked for.
    """
    currency = supported_fiat(request.fiat_currency)
    fiat = request.amount_fiat
    places = FIAT_CURRENCIES[currency]
    if fiat is not None and decimal_places(fiat) > places:
        raise BadRequest(f"Invalid amount_fiat: {currency} has at most {places} decimal places")
    if request.amount_crypto is not None:
        atomic = crypto_atomic(request.amount_crypto, asset)
        if fiat is None:
            return PricedAmount(atomic=atomic, fiat=None, price=None)
        try:  # the amount is fixed: the price is only informative
            price: Decimal | None = (await runtime.prices.quote(asset, currency)).price
        except ServiceUnavailable:
            price = None
        return PricedAmount(atomic=atomic, fiat=fiat, price=price)
    if fiat is None:
        raise BadRequest("Missing required field: amount_fiat or amount_crypto")
    quote = await runtime.prices.quote(asset, currency)
    with localcontext() as ctx:
        ctx.prec = 80
        crypto = quantize(fiat / quote.price, asset.quote_decimals, up=True)
    return PricedAmount(atomic=to_atomic(crypto, asset.decimals), fiat=fiat, price=quote.price)


async def create_payment(
    session: AsyncSession, runtime: Runtime, principal: Principal, request: CreatePayment
) -> Payment:
    asset = enabled_asset(runtime, request.asset)
    priced = await price_amount(runtime, asset, request)
    target = await runtime.keys.issue(session, asset.chain.id)
    now = utcnow()
    minutes = request.expires_minutes or runtime.settings.default_expires_minutes
    payment = Payment(
        id=uuid.uuid4(),
        merchant_id=principal.merchant.id,
        asset=asset.symbol,
        chain=asset.chain.id,
        network=runtime.settings.network,
        address=target.address,
        destination_tag=target.destination_tag,
        amount_atomic=priced.atomic,
        amount_fiat=priced.fiat,
        fiat_currency=request.fiat_currency,
        live_price=priced.price,
        external_ref=request.external_ref,
        label=request.label,
        description=request.description,
        webhook_url=request.webhook_url,
        expires_at=now + timedelta(minutes=minutes),
        created_at=now,
        updated_at=now,
    )
    repo = PaymentRepository(session)
    repo.add(payment)
    repo.add(
        DepositAddress(
            id=uuid.uuid4(),
            chain=asset.chain.id,
            match_key=match_key(target.address, target.destination_tag),
            address=target.address,
            destination_tag=target.destination_tag,
            key_id=target.key_id,
            derivation_index=target.index,
            payment_id=payment.id,
            merchant_id=principal.merchant.id,
            created_at=now,
        )
    )
    await session.flush()
    return payment


async def get_payment(
    session: AsyncSession, principal: Principal, payment_id: uuid.UUID
) -> tuple[Payment, list[Receipt]]:
    repo = PaymentRepository(session)
    payment = await repo.get_for_merchant(principal.merchant.id, payment_id)
    if payment is None:
        raise NotFound("Payment not found")
    receipts = await repo.receipts_of([payment.id])
    return payment, receipts.get(payment.id, [])
