"""All SQL on withdrawals, batches and per-key payout limits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db import dialect_name, upsert
from kassa.models.withdrawal import (
    ApiKeyPayoutLimit,
    Withdrawal,
    WithdrawalBatch,
    WithdrawalStatus,
)


@dataclass(frozen=True, slots=True)
class WithdrawalFilter:
    status: str | None = None
    asset: str | None = None
    external_ref: str | None = None
    batch_id: uuid.UUID | None = None


class WithdrawalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: Withdrawal | WithdrawalBatch) -> None:
        self.session.add(obj)

    # --- withdrawals ----------------------------------------------------------------------------

    async def get_for_merchant(
        self, merchant_id: uuid.UUID, withdrawal_id: uuid.UUID
    ) -> Withdrawal | None:
        return await self.session.scalar(
            select(Withdrawal).where(
                Withdrawal.id == withdrawal_id, Withdrawal.merchant_id == merchant_id
            )
        )

    async def lock_for_merchant(
        self, merchant_id: uuid.UUID, withdrawal_id: uuid.UUID
    ) -> Withdrawal | None:
        return await self.session.scalar(
            select(Withdrawal)
            .where(Withdrawal.id == withdrawal_id, Withdrawal.merchant_id == merchant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def list_for_merchant(
        self, merchant_id: uuid.UUID, where: WithdrawalFilter, limit: int, offset: int
    ) -> tuple[Sequence[Withdrawal], int]:
        conditions = [Withdrawal.merchant_id == merchant_id]
        if where.status is not None:
            conditions.append(Withdrawal.status == where.status)
        if where.asset is not None:
            conditions.append(Withdrawal.asset == where.asset)
        if where.external_ref is not None:
            conditions.append(Withdrawal.external_ref == where.external_ref)
        if where.batch_id is not None:
            conditions.append(Withdrawal.batch_id == where.batch_id)
        rows = (
            await self.session.scalars(
                select(Withdrawal)
                .where(*conditions)
                .order_by(Withdrawal.created_at.desc(), Withdrawal.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        total = await self.session.scalar(
            select(func.count()).select_from(Withdrawal).where(*conditions)
        )
        return rows, int(total or 0)

    async def claim_due(
        self, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[Withdrawal]:
        """Claim up to ``limit`` pending withdrawals (oldest first) and up to ``limit``
        broadcasting ones (least recently checked first) to execute until ``until``.

        On PostgreSQL rows another worker is claiming are skipped (``FOR UPDATE SKIP LOCKED``);
        a claimed row is not due again before its claim runs out, so two workers never execute
        the same withdrawal. SQLite serialises writers, which gives the same guarantee.
        """
        ids: list[uuid.UUID] = []
        for status, order in (
            (WithdrawalStatus.PENDING, Withdrawal.created_at),
            (WithdrawalStatus.BROADCASTING, Withdrawal.updated_at),
        ):
            due = (
                select(Withdrawal.id)
                .where(
                    Withdrawal.status == status,
                    or_(Withdrawal.claimed_until.is_(None), Withdrawal.claimed_until <= now),
                )
                .order_by(order, Withdrawal.id)
                .limit(limit)
            )
            if dialect_name(self.session) == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids.extend((await self.session.scalars(due)).all())
        if not ids:
            return []
        await self.session.execute(
            update(Withdrawal)
            .where(Withdrawal.id.in_(ids))
            .values(claimed_by=owner, claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        rows = await self.session.scalars(
            select(Withdrawal)
            .where(Withdrawal.id.in_(ids))
            .execution_options(populate_existing=True)
        )
        by_id = {w.id: w for w in rows}
        return [by_id[i] for i in ids]

    async def lock_claimed(self, withdrawal_id: uuid.UUID, owner: str) -> Withdrawal | None:
        """The withdrawal, locked, if ``owner`` still holds its claim."""
        return await self.session.scalar(
            select(Withdrawal)
            .where(Withdrawal.id == withdrawal_id, Withdrawal.claimed_by == owner)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    # --- batches --------------------------------------------------------------------------------

    async def get_batch(
        self, merchant_id: uuid.UUID, batch_id: uuid.UUID
    ) -> WithdrawalBatch | None:
        return await self.session.scalar(
            select(WithdrawalBatch).where(
                WithdrawalBatch.id == batch_id, WithdrawalBatch.merchant_id == merchant_id
            )
        )

    async def lock_batch(self, batch_id: uuid.UUID) -> WithdrawalBatch | None:
        return await self.session.scalar(
            select(WithdrawalBatch)
            .where(WithdrawalBatch.id == batch_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def batch_withdrawals(
        self, batch_id: uuid.UUID, *, lock: bool = False
    ) -> list[Withdrawal]:
        query = (
            select(Withdrawal)
            .where(Withdrawal.batch_id == batch_id)
            .order_by(Withdrawal.created_at, Withdrawal.id)
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return list((await self.session.scalars(query)).all())

    async def batch_statuses(self, batch_id: uuid.UUID) -> list[WithdrawalStatus]:
        rows = await self.session.scalars(
            select(Withdrawal.status).where(Withdrawal.batch_id == batch_id)
        )
        return [WithdrawalStatus(s) for s in rows]

    # --- payout limits --------------------------------------------------------------------------

    async def withdrawal_limit(self, api_key_id: uuid.UUID) -> Decimal | None:
        return await self.session.scalar(
            select(ApiKeyPayoutLimit.withdrawal_limit_usd).where(
                ApiKeyPayoutLimit.api_key_id == api_key_id
            )
        )

    async def set_withdrawal_limit(self, api_key_id: uuid.UUID, limit: Decimal) -> None:
        stmt = upsert(self.session, ApiKeyPayoutLimit).values(
            api_key_id=api_key_id, withdrawal_limit_usd=limit
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[ApiKeyPayoutLimit.api_key_id],
                set_={"withdrawal_limit_usd": stmt.excluded.withdrawal_limit_usd},
            )
        )
