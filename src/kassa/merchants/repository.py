from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.models import ApiKey, Merchant


class MerchantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, merchant_id: uuid.UUID) -> Merchant | None:
        return await self.session.get(Merchant, merchant_id)

    async def list(self) -> list[Merchant]:
        return list(
            (await self.session.scalars(select(Merchant).order_by(Merchant.created_at))).all()
        )

    async def key_with_merchant(self, key_hash: str) -> tuple[ApiKey, Merchant] | None:
        row = (
            await self.session.execute(
                select(ApiKey, Merchant)
                .join(Merchant, Merchant.id == ApiKey.merchant_id)
                .where(ApiKey.key_hash == key_hash)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    def add(self, obj: Merchant | ApiKey) -> None:
        self.session.add(obj)
