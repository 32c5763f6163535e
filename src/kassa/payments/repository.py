from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.models import DepositAddress, Payment, Receipt
from kassa.models.payment import PaymentStatus, ReceiptStatus


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: Payment | DepositAddress | Receipt) -> None:
        self.session.add(obj)

    async def get_for_merchant(
        self, merchant_id: uuid.UUID, payment_id: uuid.UUID
    ) -> Payment | None:
        return await self.session.scalar(
            select(Payment).where(Payment.id == payment_id, Payment.merchant_id == merchant_id)
        )

    async def lock(self, payment_id: uuid.UUID) -> Payment:
        payment = await self.session.scalar(
            select(Payment)
            .where(Payment.id == payment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert payment is not None
        return payment

    async def list_for_merchant(
        self,
        merchant_id: uuid.UUID,
        *,
        status: str | None,
        asset: str | None,
        external_ref: str | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Payment], int]:
        where = [Payment.merchant_id == merchant_id]
        if status:
            where.append(Payment.status == status)
        if asset:
            where.append(Payment.asset == asset)
        if external_ref:
            where.append(Payment.external_ref == external_ref)
        rows = (
            await self.session.scalars(
                select(Payment)
                .where(*where)
                .order_by(Payment.created_at.desc(), Payment.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        total = await self.session.scalar(select(func.count()).select_from(Payment).where(*where))
        return rows, int(total or 0)

    async def receipts_of(self, payment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Receipt]]:
        found: dict[uuid.UUID, list[Receipt]] = defaultdict(list)
        if not payment_ids:
            return found
        rows = await self.session.scalars(
            select(Receipt).where(Receipt.payment_id.in_(payment_ids)).order_by(Receipt.sequence)
        )
        for receipt in rows:
            found[receipt.payment_id].append(receipt)
        return found

    async def deposits_by_key(self, chain: str, keys: Sequence[str]) -> dict[str, DepositAddress]:
        if not keys:
            return {}
        rows = await self.session.scalars(
            select(DepositAddress).where(
                DepositAddress.chain == chain, DepositAddress.match_key.in_(keys)
            )
        )
        return {d.match_key: d for d in rows}

    async def receipt(self, chain: str, tx_hash: str, index: int) -> Receipt | None:
        return await self.session.scalar(
            select(Receipt)
            .where(
                Receipt.chain == chain, Receipt.tx_hash == tx_hash, Receipt.output_index == index
            )
            .with_for_update()
        )

    async def receipts_in_block(self, chain: str, block_hash: str) -> Sequence[Receipt]:
        return (
            await self.session.scalars(
                select(Receipt).where(
                    Receipt.chain == chain,
                    Receipt.block_hash == block_hash,
                    Receipt.status != ReceiptStatus.REVERTED,
                )
            )
        ).all()

    async def in_mempool(self, chain: str) -> Sequence[Receipt]:
        """Receipts seen with 0 confirmations and not (yet) found in a block."""
        return (
            await self.session.scalars(
                select(Receipt).where(
                    Receipt.chain == chain,
                    Receipt.status == ReceiptStatus.SEEN,
                    Receipt.block_height.is_(None),
                )
            )
        ).all()

    async def unconfirmed_in_blocks(self, chain: str) -> Sequence[Receipt]:
        return (
            await self.session.scalars(
                select(Receipt).where(
                    Receipt.chain == chain,
                    Receipt.status == ReceiptStatus.SEEN,
                    Receipt.block_height.is_not(None),
                )
            )
        ).all()

    async def open_receipts_count(self, payment_id: uuid.UUID, asset: str) -> int:
        """On-time receipts of the payment's asset still awaiting confirmations."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(Receipt)
            .where(
                Receipt.payment_id == payment_id,
                Receipt.asset == asset,
                Receipt.status == ReceiptStatus.SEEN,
                Receipt.late.is_(False),
            )
        )
        return int(count or 0)

    async def due_for_expiry(self, now: datetime, limit: int) -> Sequence[uuid.UUID]:
        return (
            await self.session.scalars(
                select(Payment.id)
                .where(
                    Payment.status.in_([PaymentStatus.PENDING, PaymentStatus.DETECTED]),
                    Payment.expires_at <= now,
                )
                .order_by(Payment.expires_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
