"""What happens to a payment when money moves on chain.

Every function here runs inside the caller's database transaction and writes the ledger
postings, the status change and the outbox events of one step together. Each step is idempotent
per ``(chain, tx_hash, index)``: replaying a block, or a crash between blocks, changes nothing.

Ledger flow of one receipt (asset of the transfer, atomic units)::

    seen       world -a          merchant.pending +a
    confirmed  merchant.pending -a   merchant.available +(a-fee)   platform.revenue +fee
    reverted   the reverse of whatever was posted
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import Asset, registry
from kassa.chains.base import Block, Transfer, confirmations
from kassa.kit.money import fraction_of
from kassa.ledger.service import merchant_posting, platform_posting, post, world_posting
from kassa.merchants.repository import MerchantRepository
from kassa.models import DepositAddress, Payment, Receipt
from kassa.models.ledger import AccountKind
from kassa.models.payment import PaymentStatus, ReceiptStatus
from kassa.payments import views
from kassa.payments.lifecycle import next_status
from kassa.payments.repository import PaymentRepository
from kassa.webhooks.events import record_event

log = logging.getLogger(__name__)


def counts_toward(receipt: Receipt, payment: Payment) -> bool:
    """On-time receipts of the payment's own asset count toward its amount."""
    return receipt.asset == payment.asset and not receipt.late


async def _emit(session: AsyncSession, payment: Payment, payload: dict[str, object]) -> None:
    await record_event(
        session,
        merchant_id=payment.merchant_id,
        payload=payload,
        payment_id=payment.id,
        webhook_url=payment.webhook_url,
    )


async def refresh_status(session: AsyncSession, payment: Payment, now: datetime) -> None:
    """Bring ``payment.status`` in line with its receipts and the clock; emit closing events."""
    for payload in await _refresh(session, payment, now):
        await _emit(session, payment, payload)


async def _refresh(
    session: AsyncSession, payment: Payment, now: datetime
) -> list[dict[str, object]]:
    """Update the status; return the closing events (expired, underpaid) to emit."""
    unconfirmed = await PaymentRepository(session).open_receipts_count(payment.id, payment.asset)
    status = next_status(
        amount=payment.amount_atomic,
        seen=payment.seen_atomic,
        confirmed=payment.confirmed_atomic,
        unconfirmed=unconfirmed,
        expired=now >= payment.expires_at,
    )
    if status == payment.status:
        return []
    payment.status = status
    payment.confirmed_at = now if status == PaymentStatus.CONFIRMED else None
    asset = registry().assets[payment.asset]
    if status == PaymentStatus.EXPIRED:
        return [views.closed_event("payment.expired", payment, asset, now)]
    if status == PaymentStatus.UNDERPAID:
        return [views.closed_event("payment.underpaid", payment, asset, now)]
    return []


async def _post_seen(session: AsyncSession, receipt: Receipt) -> None:
    await post(
        session,
        kind="deposit_seen",
        asset=receipt.asset,
        merchant_id=receipt.merchant_id,
        payment_id=receipt.payment_id,
        receipt_id=receipt.id,
        description=f"{receipt.chain} tx {receipt.tx_hash}:{receipt.output_index} seen",
        postings=[
            world_posting(-receipt.amount_atomic),
            merchant_posting(receipt.merchant_id, AccountKind.PENDING, receipt.amount_atomic),
        ],
    )


async def on_transfer(
    session: AsyncSession,
    deposit: DepositAddress,
    transfer: Transfer,
    block: Block | None,
    tip_height: int,
    now: datetime,
) -> Receipt | None:
    """A transfer to a watched deposit target, in the mempool (``block`` None) or in a block."""
    asset = registry().by_contract(deposit.chain, transfer.contract)
    if asset is None:
        log.warning("ignoring transfer of unknown token %s on %s", transfer.contract, deposit.chain)
        return None
    repo = PaymentRepository(session)
    payment = await repo.lock(deposit.payment_id)
    height = block.ref.height if block else None
    receipt = await repo.receipt(deposit.chain, transfer.tx_hash, transfer.index)
    if receipt is not None and receipt.status != ReceiptStatus.REVERTED:
        receipt.missing_since = None
        receipt.block_height = height if height is not None else receipt.block_height
        receipt.block_hash = block.ref.hash if block else receipt.block_hash
        receipt.confirmations = confirmations(tip_height, receipt.block_height)
        return receipt
    if receipt is None:
        arrived = (block.timestamp if block and block.timestamp else None) or now
        payment.receipt_count += 1
        receipt = Receipt(
            id=uuid.uuid4(),
            payment_id=payment.id,
            merchant_id=payment.merchant_id,
            chain=deposit.chain,
            asset=asset.symbol,
            tx_hash=transfer.tx_hash,
            output_index=transfer.index,
            amount_atomic=transfer.amount,
            late=arrived > payment.expires_at,
            sequence=payment.receipt_count,
            created_at=now,
        )
        repo.add(receipt)
    receipt.status = ReceiptStatus.SEEN
    receipt.reverted_at = None
    receipt.missing_since = None
    receipt.block_height = height
    receipt.block_hash = block.ref.hash if block else None
    receipt.confirmations = confirmations(tip_height, height)
    await session.flush()
    await _post_seen(session, receipt)
    if counts_toward(receipt, payment):
        payment.seen_atomic += receipt.amount_atomic
    payment.detected_at = payment.detected_at or now
    if receipt.asset == payment.asset:
        await _emit(session, payment, views.detected_event(payment, receipt, asset, now))
    await refresh_status(session, payment, now)
    return receipt


async def confirm_receipt(session: AsyncSession, receipt: Receipt, now: datetime) -> None:
    """Credit a receipt that reached its confirmations: pending → available, minus the fee.

    Safe to call twice: the receipt is re-read under lock, and only a receipt still ``seen`` in a
    block is credited (two watchers may briefly overlap after a lease takeover)."""
    repo = PaymentRepository(session)
    payment = await repo.lock(receipt.payment_id)
    await session.refresh(receipt, with_for_update=True)
    if receipt.status != ReceiptStatus.SEEN or receipt.block_height is None:
        return
    merchant = await MerchantRepository(session).get(payment.merchant_id)
    assert merchant is not None
    fee = fraction_of(receipt.amount_atomic, merchant.fee_rate)
    await post(
        session,
        kind="deposit_confirmed",
        asset=receipt.asset,
        merchant_id=receipt.merchant_id,
        payment_id=payment.id,
        receipt_id=receipt.id,
        description=f"{receipt.chain} tx {receipt.tx_hash}:{receipt.output_index} confirmed",
        postings=[
            merchant_posting(payment.merchant_id, AccountKind.PENDING, -receipt.amount_atomic),
            merchant_posting(
                payment.merchant_id, AccountKind.AVAILABLE, receipt.amount_atomic - fee
            ),
            platform_posting(fee),
        ],
    )
    receipt.status = ReceiptStatus.CONFIRMED
    receipt.fee_atomic = fee
    receipt.confirmed_at = now
    if counts_toward(receipt, payment):
        payment.confirmed_atomic += receipt.amount_atomic
    if receipt.late:
        payment.paid_late = True
    before = payment.status
    await session.flush()
    closing = await _refresh(session, payment, now)
    completed = before != PaymentStatus.CONFIRMED and payment.status == PaymentStatus.CONFIRMED
    kind = "payment.confirmed" if completed else "payment.received"
    if receipt.asset != payment.asset:
        kind = "payment.other_asset_received"
    asset = registry().assets[receipt.asset]
    receipts = (await repo.receipts_of([payment.id]))[payment.id]
    explorer = asset.chain.explorer_url(receipt.tx_hash) if payment.network == "mainnet" else None
    await _emit(
        session, payment, views.credit_event(kind, payment, receipt, asset, receipts, explorer, now)
    )
    for payload in closing:
        await _emit(session, payment, payload)


async def revert_receipt(
    session: AsyncSession, receipt: Receipt, now: datetime, in_block: str | None
) -> None:
    """Un-count a receipt whose block (``in_block``) left the main chain, or that vanished from
    the mempool (``in_block`` None), reversing every posting it made.

    Safe against a concurrent watcher: the receipt is re-read under lock and left alone unless it
    is still not reverted AND still where the caller saw it (another worker may meanwhile have
    found it in a new block)."""
    repo = PaymentRepository(session)
    payment = await repo.lock(receipt.payment_id)
    await session.refresh(receipt, with_for_update=True)
    if receipt.status == ReceiptStatus.REVERTED or receipt.block_hash != in_block:
        return
    was_confirmed = receipt.status == ReceiptStatus.CONFIRMED
    amount, fee = receipt.amount_atomic, receipt.fee_atomic
    if was_confirmed:
        postings = [
            merchant_posting(payment.merchant_id, AccountKind.AVAILABLE, -(amount - fee)),
            platform_posting(-fee),
            world_posting(amount),
        ]
    else:
        postings = [
            merchant_posting(payment.merchant_id, AccountKind.PENDING, -amount),
            world_posting(amount),
        ]
    await post(
        session,
        kind="deposit_reverted",
        asset=receipt.asset,
        merchant_id=receipt.merchant_id,
        payment_id=payment.id,
        receipt_id=receipt.id,
        description=f"{receipt.chain} tx {receipt.tx_hash}:{receipt.output_index} reverted",
        postings=postings,
        guard_available=False,
    )
    if counts_toward(receipt, payment):
        payment.seen_atomic -= amount
        if was_confirmed:
            payment.confirmed_atomic -= amount
    receipt.status = ReceiptStatus.REVERTED
    receipt.reverted_at = now
    receipt.confirmations = 0
    receipt.fee_atomic = 0
    receipt.confirmed_at = None
    await session.flush()
    closing = await _refresh(session, payment, now)
    asset: Asset = registry().assets[receipt.asset]
    await _emit(session, payment, views.reverted_event(payment, receipt, asset, was_confirmed, now))
    for payload in closing:
        await _emit(session, payment, payload)
