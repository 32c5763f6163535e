"""All SQL on ``idempotency_keys``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db import upsert
from kassa.models.idempotency import IdempotencyKey, IdempotencyStatus


class IdempotencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_in_flight(self, row: IdempotencyKey) -> bool:
        """Insert ``row`` unless the merchant already has the key; True when inserted."""
        values = {c.key: getattr(row, c.key) for c in IdempotencyKey.__table__.columns}
        inserted = await self.session.scalar(
            upsert(self.session, IdempotencyKey)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(IdempotencyKey.id)
        )
        return inserted is not None

    async def get(self, merchant_id: uuid.UUID, key: str) -> IdempotencyKey | None:
        return await self.session.scalar(
            select(IdempotencyKey)
            .where(IdempotencyKey.merchant_id == merchant_id, IdempotencyKey.key == key)
            .execution_options(populate_existing=True)
        )

    async def take_over(
        self,
        record_id: uuid.UUID,
        old_token: uuid.UUID,
        *,
        token: uuid.UUID,
        fingerprint: str,
        now: datetime,
        expires_at: datetime,
    ) -> bool:
        """Claim an expired or abandoned row for a new request; False if someone was faster."""
        result = await self.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == record_id, IdempotencyKey.claim_token == old_token)
            .values(
                status=IdempotencyStatus.IN_FLIGHT,
                claim_token=token,
                fingerprint=fingerprint,
                locked_at=now,
                created_at=now,
                expires_at=expires_at,
                response_status=None,
                response_body=None,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def complete(
        self, record_id: uuid.UUID, token: uuid.UUID, status: int, body: str
    ) -> bool:
        result = await self.session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.id == record_id,
                IdempotencyKey.claim_token == token,
                IdempotencyKey.status == IdempotencyStatus.IN_FLIGHT,
            )
            .values(status=IdempotencyStatus.COMPLETED, response_status=status, response_body=body)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def release(self, record_id: uuid.UUID, token: uuid.UUID) -> None:
        await self.session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == record_id,
                IdempotencyKey.claim_token == token,
                IdempotencyKey.status == IdempotencyStatus.IN_FLIGHT,
            )
        )

    async def purge_expired(self, now: datetime, limit: int) -> int:
        ids = (
            select(IdempotencyKey.id)
            .where(IdempotencyKey.expires_at < now)
            .order_by(IdempotencyKey.expires_at)
            .limit(limit)
        )
        result = await self.session.execute(
            delete(IdempotencyKey)
            .where(IdempotencyKey.id.in_(ids.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
