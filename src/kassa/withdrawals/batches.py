"""Batch payouts: up to 100 recipients of one asset, all-or-nothing at acceptance.

Every recipient is checked (address, amount, minimum) and the batch total (amounts + one platform
fee and one network fee per recipient) is held in ONE guarded posting: a shortfall rejects the
whole batch with the breakdown and nothing moves. Accepted, each recipient becomes its own
withdrawal, executed and tracked independently; the batch status follows from theirs.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.chains.addresses import ValidAddress
from kassa.kit.errors import BadRequest, Conflict, NotFound
from kassa.kit.timeutil import utcnow
from kassa.merchants.auth import Principal
from kassa.models.withdrawal import BatchStatus, Withdrawal, WithdrawalBatch, WithdrawalStatus
from kassa.runtime import Runtime
from kassa.withdrawals import schemas, service, transitions, views
from kassa.withdrawals.fees import Fees, quote_fees
from kassa.withdrawals.repository import WithdrawalRepository


async def submit(
    session: AsyncSession, runtime: Runtime, principal: Principal, body: schemas.CreateBatch
) -> dict[str, Any]:
    """Check, price and (unless ``estimate_only``) hold and create the batch; returns the body."""
    service.ensure_can_create_payouts(principal)
    asset, adapter = service.payout_target(runtime, body.asset)
    checked: list[tuple[ValidAddress, int]] = []
    for i, recipient in enumerate(body.recipients):
        amount = service.parse_amount(asset, recipient.amount, f"recipients[{i}].amount")
        destination = service.check_destination(
            runtime, asset, recipient.address, recipient.destination_tag, f"recipients[{i}].address"
        )
        checked.append((destination, amount))
    fees = await quote_fees(runtime.prices, adapter, asset, runtime.settings.withdrawal_fee_usd)
    amounts = [amount for _, amount in checked]
    draft = await service.requires_approval(session, principal, fees.usd(sum(amounts)))
    if body.estimate_only:
        return await _estimate(session, principal, fees, checked, draft)
    batch_id = uuid.uuid4()
    await service.hold_or_refuse(
        session, principal.merchant.id, fees, amounts, f"batch payout {batch_id} requested"
    )
    batch, withdrawals = _records(runtime, principal, body, fees, checked, batch_id, draft)
    repo = WithdrawalRepository(session)
    repo.add(batch)
    await session.flush()
    for withdrawal in withdrawals:
        repo.add(withdrawal)
    await session.flush()
    if not draft:
        now = utcnow()
        for withdrawal in withdrawals:
            await transitions.emit(session, withdrawal, views.pending_event(withdrawal, now))
    return {"success": True, **views.batch_body(batch, withdrawals)}


def _records(
    runtime: Runtime,
    principal: Principal,
    body: schemas.CreateBatch,
    fees: Fees,
    checked: list[tuple[ValidAddress, int]],
    batch_id: uuid.UUID,
    draft: bool,
) -> tuple[WithdrawalBatch, list[Withdrawal]]:
    now = utcnow()
    n = len(checked)
    amounts = sum(amount for _, amount in checked)
    batch = WithdrawalBatch(
        id=batch_id,
        merchant_id=principal.merchant.id,
        api_key_id=principal.key.id,
        status=BatchStatus.DRAFT if draft else BatchStatus.PROCESSING,
        asset=fees.asset.symbol,
        total_recipients=n,
        total_amount=amounts,
        total_platform_fee=n * fees.platform_fee,
        total_network_fee=n * fees.network_fee,
        fees_usd=fees.usd(n * fees.per_withdrawal),
        external_ref=body.external_ref,
        label=body.label,
        webhook_url=body.webhook_url,
        created_at=now,
        updated_at=now,
    )
    withdrawals = [
        service.new_withdrawal(
            runtime,
            principal,
            fees,
            destination,
            amount,
            draft=draft,
            external_ref=recipient.external_ref,
            label=recipient.label,
            webhook_url=body.webhook_url,
            batch_id=batch_id,
        )
        for recipient, (destination, amount) in zip(body.recipients, checked, strict=True)
    ]
    return batch, withdrawals


async def _estimate(
    session: AsyncSession,
    principal: Principal,
    fees: Fees,
    checked: list[tuple[ValidAddress, int]],
    draft: bool,
) -> dict[str, Any]:
    asset = fees.asset
    amounts = [amount for _, amount in checked]
    available = await service.available_balance(session, principal.merchant.id, asset)
    n, total = len(amounts), sum(amounts) + len(amounts) * fees.per_withdrawal
    if available < total:
        raise BadRequest(views.shortfall_message(fees, amounts, available))
    return {
        "success": True,
        "estimate_only": True,
        "asset": asset.symbol,
        "total_recipients": n,
        "total_amount": views.number(sum(amounts), asset),
        "total_fees_usd": views.usd(fees.usd(n * fees.per_withdrawal)),
        "total_platform_fee": views.money(n * fees.platform_fee, asset),
        "total_network_fee": views.money(n * fees.network_fee, asset),
        "total_required": views.money(total, asset),
        "balance_available": views.money(available, asset),
        "sufficient_balance": True,
        "requires_approval": draft,
        "recipients": [
            {
                **views.breakdown_body(fees, amount, available),
                "destination_address": destination.address,
            }
            for destination, amount in checked
        ],
    }


async def get(
    session: AsyncSession, principal: Principal, batch_id: uuid.UUID
) -> tuple[WithdrawalBatch, list[Withdrawal]]:
    repo = WithdrawalRepository(session)
    batch = await repo.get_batch(principal.merchant.id, batch_id)
    if batch is None:
        raise NotFound("Batch not found")
    return batch, await repo.batch_withdrawals(batch.id)


async def decide(
    session: AsyncSession, principal: Principal, batch_id: uuid.UUID, approve: bool
) -> tuple[WithdrawalBatch, list[Withdrawal]]:
    """Approve or reject every draft of a batch at once."""
    await service.ensure_can_approve(session, principal)
    repo = WithdrawalRepository(session)
    if await repo.get_batch(principal.merchant.id, batch_id) is None:
        raise NotFound("Batch not found")
    withdrawals = await repo.batch_withdrawals(batch_id, lock=True)
    drafts = [w for w in withdrawals if w.status == WithdrawalStatus.DRAFT]
    if not drafts:
        raise Conflict("Batch has no drafts awaiting approval")
    now = utcnow()
    for withdrawal in drafts:
        if approve:
            await transitions.approve(session, withdrawal, principal.key.id, now, batch=False)
        else:
            await transitions.reject(session, withdrawal, principal.key.id, now, batch=False)
    await transitions.refresh_batch_id(session, batch_id, now)
    return await get(session, principal, batch_id)
