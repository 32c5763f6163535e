from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db import upsert
from kassa.models import LedgerAccount, LedgerEntry, LedgerTransaction
from kassa.models.ledger import AccountKind


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_account(
        self, owner: str, merchant_id: uuid.UUID | None, asset: str, kind: AccountKind
    ) -> LedgerAccount:
        """The account row, created if missing, locked until the transaction ends (PostgreSQL)."""
        await self.session.execute(
            upsert(self.session, LedgerAccount)
            .values(
                id=uuid.uuid4(),
                owner=owner,
                merchant_id=merchant_id,
                asset=asset,
                kind=kind,
                balance=0,
            )
            .on_conflict_do_nothing()
        )
        account = await self.session.scalar(
            select(LedgerAccount)
            .where(
                LedgerAccount.owner == owner,
                LedgerAccount.asset == asset,
                LedgerAccount.kind == kind,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert account is not None
        return account

    def add(self, obj: LedgerTransaction | LedgerEntry) -> None:
        self.session.add(obj)

    async def merchant_accounts(self, merchant_id: uuid.UUID) -> Sequence[LedgerAccount]:
        return (
            await self.session.scalars(
                select(LedgerAccount)
                .where(LedgerAccount.merchant_id == merchant_id)
                .order_by(LedgerAccount.asset)
            )
        ).all()

    async def history(
        self, merchant_id: uuid.UUID, asset: str | None, limit: int, offset: int
    ) -> tuple[Sequence[tuple[LedgerEntry, LedgerTransaction]], int]:
        where = [LedgerEntry.merchant_id == merchant_id]
        if asset:
            where.append(LedgerEntry.asset == asset)
        rows = (
            await self.session.execute(
                select(LedgerEntry, LedgerTransaction)
                .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                .where(*where)
                .order_by(LedgerEntry.id.desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
        total = await self.session.scalar(
            select(func.count()).select_from(LedgerEntry).where(*where)
        )
        return [(r[0], r[1]) for r in rows], int(total or 0)

    async def all_entries(self) -> Sequence[LedgerEntry]:
        return (await self.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))).all()

    async def all_accounts(self) -> Sequence[LedgerAccount]:
        return (await self.session.scalars(select(LedgerAccount))).all()
