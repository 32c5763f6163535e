"""Status changes of a withdrawal: each writes its ledger postings, the new status and its outbox
events in the caller's transaction (the row is already locked by the caller).

draft → pending (approved) | rejected;  pending → broadcasting | failed;
broadcasting → completed | failed.  A failure or rejection restores the hold in full BEFORE the
``withdrawal.failed`` event is written, in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.models.withdrawal import Withdrawal, WithdrawalBatch, WithdrawalStatus
from kassa.webhooks.events import record_event
from kassa.withdrawals import ledger, views
from kassa.withdrawals.fees import network_fee_used
from kassa.withdrawals.repository import WithdrawalRepository

REJECTED_ERROR = "Rejected by approver"


async def emit(session: AsyncSession, w: Withdrawal, payload: dict[str, Any]) -> None:
    await record_event(
        session,
        merchant_id=w.merchant_id,
        payload=payload,
        withdrawal_id=w.id,
        webhook_url=w.webhook_url,
    )


def _set(w: Withdrawal, status: WithdrawalStatus, now: datetime) -> None:
    w.status = status
    w.updated_at = now


async def approve(
    session: AsyncSession, w: Withdrawal, key_id: uuid.UUID, now: datetime, *, batch: bool = True
) -> None:
    """A draft goes to the executor. ``batch=False`` leaves the batch for the caller to refresh."""
    _set(w, WithdrawalStatus.PENDING, now)
    w.decided_by_key_id, w.decided_at = key_id, now
    await session.flush()
    await emit(session, w, views.pending_event(w, now))
    if batch:
        await refresh_batch(session, w, now)


async def reject(
    session: AsyncSession, w: Withdrawal, key_id: uuid.UUID, now: datetime, *, batch: bool = True
) -> None:
    w.decided_by_key_id, w.decided_at = key_id, now
    await _restore(
        session, w, WithdrawalStatus.REJECTED, REJECTED_ERROR, now, "rejected", batch=batch
    )


async def fail(session: AsyncSession, w: Withdrawal, error: str, now: datetime) -> None:
    await _restore(session, w, WithdrawalStatus.FAILED, error, now, "failed")


async def _restore(
    session: AsyncSession,
    w: Withdrawal,
    status: WithdrawalStatus,
    error: str,
    now: datetime,
    why: str,
    *,
    batch: bool = True,
) -> None:
    await ledger.release(session, w, why)  # the balance is whole again before the event
    _set(w, status, now)
    w.error = error
    w.failed_at = now
    w.claimed_by, w.claimed_until = None, None
    await session.flush()
    await emit(session, w, views.failed_event(w, now))
    if batch:
        await refresh_batch(session, w, now)


async def broadcasting(session: AsyncSession, w: Withdrawal, now: datetime) -> None:
    _set(w, WithdrawalStatus.BROADCASTING, now)
    w.broadcast_at = now
    await session.flush()
    await emit(session, w, views.broadcasting_event(w, now))
    await refresh_batch(session, w, now)


async def complete(
    session: AsyncSession, w: Withdrawal, actual_fee: int | None, now: datetime
) -> None:
    """Book the delivered withdrawal; refund the part of the network fee the chain did not take."""
    chain_fee = actual_fee if actual_fee is not None else (w.signed_fee or w.network_fee_native)
    used = network_fee_used(w.network_fee, w.network_fee_native, chain_fee)
    w.fee_refund = w.network_fee - used
    w.actual_fee_native = chain_fee
    await ledger.settle(session, w, fee_used=used, chain_fee=chain_fee)
    _set(w, WithdrawalStatus.COMPLETED, now)
    w.completed_at = now
    await session.flush()
    await emit(session, w, views.completed_event(w, now))
    await refresh_batch(session, w, now)


async def refresh_batch(session: AsyncSession, w: Withdrawal, now: datetime) -> None:
    """Recompute the status of ``w``'s batch; a change sends a ``batch.<status>`` event."""
    if w.batch_id is not None:
        await refresh_batch_id(session, w.batch_id, now)


async def refresh_batch_id(session: AsyncSession, batch_id: uuid.UUID, now: datetime) -> None:
    repo = WithdrawalRepository(session)
    batch = await repo.lock_batch(batch_id)
    assert batch is not None
    withdrawals = await repo.batch_withdrawals(batch.id)
    status = views.batch_status([x.status for x in withdrawals])
    if status == batch.status:
        return
    batch.status = status
    batch.updated_at = now
    await session.flush()
    await emit_batch(session, batch, withdrawals, now)


async def emit_batch(
    session: AsyncSession, batch: WithdrawalBatch, withdrawals: list[Withdrawal], now: datetime
) -> None:
    await record_event(
        session,
        merchant_id=batch.merchant_id,
        payload=views.batch_event(batch, withdrawals, now),
        webhook_url=batch.webhook_url,
    )
