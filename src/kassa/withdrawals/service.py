"""Withdrawals: checking, pricing, holding the funds, drafts and approvals.

Every check runs before anything is written: the asset can be paid out here, the amount has at
most the asset's decimals and is at least its minimum, the destination is valid for the chain
(the same validator as ``POST /api/addresses/validate``), and the merchant's available balance
covers amount + fees. The hold is one guarded ledger posting, so concurrent requests can never
overdraw the balance: the ones the balance does not cover get a 400 with the shortfall.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import Asset, registry
from kassa.chains.addresses import ValidAddress, validate_address
from kassa.chains.base import PayoutAdapter
from kassa.chains.registry import payout_adapter_for
from kassa.kit.errors import BadRequest, Conflict, Forbidden, InvalidAddress, NotFound
from kassa.kit.money import format_atomic, to_atomic
from kassa.kit.timeutil import utcnow
from kassa.ledger.service import InsufficientFunds, merchant_balances
from kassa.merchants.auth import Principal
from kassa.merchants.scopes import Scope
from kassa.models.withdrawal import Withdrawal, WithdrawalStatus
from kassa.runtime import Runtime
from kassa.withdrawals import ledger, schemas, transitions, views
from kassa.withdrawals.fees import Fees, quote_fees
from kassa.withdrawals.repository import WithdrawalRepository

_MAX_ATOMIC = 2**256 - 1


def ensure_can_create_payouts(principal: Principal) -> None:
    """An approver key can only approve or reject drafts: it never creates payouts."""
    if Scope.APPROVE in principal.scopes:
        raise Forbidden(
            "API keys with the 'approve' scope can only approve or reject drafts; "
            "use a key without it to create payouts"
        )


async def ensure_can_approve(session: AsyncSession, principal: Principal) -> None:
    """A key with a withdrawal limit never approves drafts: approving needs a separate key."""
    if await WithdrawalRepository(session).withdrawal_limit(principal.key.id) is not None:
        raise Forbidden("API keys with a withdrawal limit cannot approve or reject drafts")


def payout_target(runtime: Runtime, symbol: str) -> tuple[Asset, PayoutAdapter]:
    asset = registry().get(symbol)
    if asset.chain.id not in runtime.keys.chains:
        raise BadRequest(f"Asset {asset.symbol} is not enabled on this gateway")
    adapter = payout_adapter_for(runtime, asset.chain.id)
    if adapter is None:
        raise BadRequest(f"Withdrawals of {asset.symbol} are not available on this gateway")
    return asset, adapter


def parse_amount(asset: Asset, amount: Decimal, field: str = "amount") -> int:
    """Atomic units of ``amount``: at most the asset's decimals, at least its minimum."""
    try:
        atomic = to_atomic(amount, asset.decimals)
    except ValueError:
        raise BadRequest(
            f"Invalid {field}: {asset.symbol} has at most {asset.decimals} decimal places"
        ) from None
    if atomic > _MAX_ATOMIC:
        raise BadRequest(f"Invalid {field}: too large")
    if amount < asset.min_withdrawal:
        raise BadRequest(
            f"Invalid {field}: the minimum withdrawal of {asset.symbol} is "
            f"{asset.min_withdrawal} {asset.symbol}"
        )
    return atomic


def check_destination(
    runtime: Runtime, asset: Asset, address: str, tag: int | None, field: str = ""
) -> ValidAddress:
    """The canonical destination, or a 400 naming the precise reason."""
    try:
        return validate_address(asset.chain, runtime.settings.network, address, tag)
    except InvalidAddress as exc:
        prefix = f"{field}: " if field else ""
        raise InvalidAddress(
            f"{prefix}Invalid destination address format for {asset.chain.id.upper()} network "
            f"({exc.reason}). Please check the address and try again.",
            reason=exc.reason,
        ) from None


async def available_balance(session: AsyncSession, merchant_id: uuid.UUID, asset: Asset) -> int:
    balance = (await merchant_balances(session, merchant_id)).get(asset.symbol)
    return balance.available if balance else 0


async def requires_approval(session: AsyncSession, principal: Principal, usd: Decimal) -> bool:
    limit = await WithdrawalRepository(session).withdrawal_limit(principal.key.id)
    return limit is not None and usd > limit


async def set_withdrawal_limit(session: AsyncSession, api_key_id: uuid.UUID, usd: Decimal) -> None:
    """Above ``usd`` (amount at the live price), this key's withdrawals are created as drafts."""
    if not usd.is_finite() or usd < 0:
        raise BadRequest("withdrawal limit must be a USD amount of 0 or more")
    await WithdrawalRepository(session).set_withdrawal_limit(api_key_id, usd)


async def hold_or_refuse(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    fees: Fees,
    amounts: list[int],
    description: str,
) -> None:
    """Hold amounts + fees in one guarded posting, or refuse with the exact breakdown."""
    total = sum(amounts) + len(amounts) * fees.per_withdrawal
    try:
        await ledger.hold(session, merchant_id, fees.asset.symbol, total, description)
    except InsufficientFunds as exc:
        raise BadRequest(views.shortfall_message(fees, amounts, exc.available)) from None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A withdrawal request that passed every check but the balance, priced."""

    asset: Asset
    destination: ValidAddress
    amount: int
    fees: Fees
    draft: bool


async def prepare(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    body: schemas.CreateWithdrawal,
) -> Prepared:
    ensure_can_create_payouts(principal)
    asset, adapter = payout_target(runtime, body.asset)
    amount = parse_amount(asset, body.amount)
    destination = check_destination(runtime, asset, body.destination_address, body.destination_tag)
    fees = await quote_fees(runtime.prices, adapter, asset, runtime.settings.withdrawal_fee_usd)
    draft = await requires_approval(session, principal, fees.usd(amount))
    return Prepared(asset, destination, amount, fees, draft)


async def estimate(
    session: AsyncSession, principal: Principal, prepared: Prepared
) -> dict[str, Any]:
    """``estimate_only``: the breakdown of a withdrawal that would be accepted; nothing moves."""
    p = prepared
    available = await available_balance(session, principal.merchant.id, p.asset)
    if available < p.fees.total(p.amount):
        raise BadRequest(views.shortfall_message(p.fees, [p.amount], available))
    return {
        "success": True,
        "estimate_only": True,
        **views.breakdown_body(p.fees, p.amount, available),
        "destination_address": p.destination.address,
        "destination_tag": p.destination.destination_tag,
        "requires_approval": p.draft,
    }


async def create(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    body: schemas.CreateWithdrawal,
    prepared: Prepared,
) -> Withdrawal:
    """Hold the funds and record the withdrawal (``pending``, or ``draft`` above the limit)."""
    p, now = prepared, utcnow()
    withdrawal = new_withdrawal(
        runtime,
        principal,
        p.fees,
        p.destination,
        p.amount,
        draft=p.draft,
        external_ref=body.external_ref,
        label=body.label,
        webhook_url=body.webhook_url,
    )
    await hold_or_refuse(
        session,
        principal.merchant.id,
        p.fees,
        [p.amount],
        f"withdrawal {withdrawal.id} of {format_atomic(p.amount, p.asset.decimals)} requested",
    )
    session.add(withdrawal)
    await session.flush()
    if not p.draft:
        await transitions.emit(session, withdrawal, views.pending_event(withdrawal, now))
    return withdrawal


def new_withdrawal(
    runtime: Runtime,
    principal: Principal,
    fees: Fees,
    destination: ValidAddress,
    amount: int,
    *,
    draft: bool,
    external_ref: str | None,
    label: str | None,
    webhook_url: str | None,
    batch_id: uuid.UUID | None = None,
) -> Withdrawal:
    now = utcnow()
    return Withdrawal(
        id=uuid.uuid4(),
        merchant_id=principal.merchant.id,
        api_key_id=principal.key.id,
        batch_id=batch_id,
        status=WithdrawalStatus.DRAFT if draft else WithdrawalStatus.PENDING,
        asset=fees.asset.symbol,
        chain=fees.asset.chain.id,
        network=runtime.settings.network,
        destination_address=destination.address,
        destination_tag=destination.destination_tag,
        amount=amount,
        platform_fee=fees.platform_fee,
        platform_fee_usd=fees.platform_fee_usd,
        network_fee=fees.network_fee,
        network_fee_native=fees.network_fee_native,
        native_asset=fees.native.symbol,
        fee_refund=0,
        price_usd=fees.price_usd,
        external_ref=external_ref,
        label=label,
        webhook_url=webhook_url,
        confirmations=0,
        created_at=now,
        updated_at=now,
    )


async def get(session: AsyncSession, principal: Principal, withdrawal_id: uuid.UUID) -> Withdrawal:
    found = await WithdrawalRepository(session).get_for_merchant(
        principal.merchant.id, withdrawal_id
    )
    if found is None:
        raise NotFound("Withdrawal not found")
    return found


async def decide(
    session: AsyncSession, principal: Principal, withdrawal_id: uuid.UUID, approve: bool
) -> Withdrawal:
    """Approve (→ pending, executed next) or reject (→ rejected, hold restored) a draft."""
    await ensure_can_approve(session, principal)
    repo = WithdrawalRepository(session)
    withdrawal = await repo.lock_for_merchant(principal.merchant.id, withdrawal_id)
    if withdrawal is None:
        raise NotFound("Withdrawal not found")
    if withdrawal.status != WithdrawalStatus.DRAFT:
        raise Conflict(
            f"Withdrawal is {withdrawal.status}: only a draft can be approved or rejected"
        )
    now = utcnow()
    if approve:
        await transitions.approve(session, withdrawal, principal.key.id, now)
    else:
        await transitions.reject(session, withdrawal, principal.key.id, now)
    return withdrawal
