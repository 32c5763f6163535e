"""SQL of the dashboard: users, sessions, login attempts, and the merchant's lists."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.models import ApiKey, Event, Payment
from kassa.models.invoice import DashboardSession, DashboardUser, LoginAttempt


def like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class DashboardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: DashboardUser | DashboardSession | LoginAttempt) -> None:
        self.session.add(obj)

    # --- users, sessions, attempts ------------------------------------------------------------

    async def user_by_email(self, email: str) -> DashboardUser | None:
        return await self.session.scalar(select(DashboardUser).where(DashboardUser.email == email))

    async def session_by_hash(self, token_hash: str) -> DashboardSession | None:
        return await self.session.get(DashboardSession, token_hash)

    async def delete_session(self, token_hash: str) -> None:
        await self.session.execute(
            delete(DashboardSession).where(DashboardSession.token_hash == token_hash)
        )

    async def last_success(self, email: str, since: datetime) -> datetime | None:
        value: datetime | None = await self.session.scalar(
            select(func.max(LoginAttempt.created_at)).where(
                LoginAttempt.email == email,
                LoginAttempt.succeeded.is_(True),
                LoginAttempt.created_at >= since,
            )
        )
        return value

    async def failures_for_email(self, email: str, since: datetime) -> int:
        return await self._failures(LoginAttempt.email == email, since)

    async def failures_for_ip(self, ip: str, since: datetime) -> int:
        return await self._failures(LoginAttempt.ip == ip, since)

    async def _failures(self, who: ColumnElement[bool], since: datetime) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(who, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since)
        )
        return int(count or 0)

    # --- the merchant's objects ----------------------------------------------------------------

    async def search_payments(
        self,
        merchant_id: uuid.UUID,
        *,
        search: str | None,
        status: str | None,
        asset: str | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Payment], int]:
        where: list[ColumnElement[bool]] = [Payment.merchant_id == merchant_id]
        if search:
            pattern = like(search)
            where.append(
                or_(
                    Payment.label.ilike(pattern, escape="\\"),
                    Payment.external_ref.ilike(pattern, escape="\\"),
                    Payment.address == search,
                )
            )
        if status:
            where.append(Payment.status == status)
        if asset:
            where.append(Payment.asset == asset)
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

    async def events_of_payment(
        self, merchant_id: uuid.UUID, payment_id: uuid.UUID
    ) -> Sequence[Event]:
        return (
            await self.session.scalars(
                select(Event)
                .where(Event.merchant_id == merchant_id, Event.payment_id == payment_id)
                .order_by(Event.seq)
            )
        ).all()

    async def events_of_invoice(
        self, merchant_id: uuid.UUID, invoice_id: uuid.UUID
    ) -> Sequence[Event]:
        return (
            await self.session.scalars(
                select(Event)
                .where(Event.merchant_id == merchant_id, Event.invoice_id == invoice_id)
                .order_by(Event.seq)
            )
        ).all()

    async def keys_of(self, merchant_id: uuid.UUID) -> Sequence[ApiKey]:
        return (
            await self.session.scalars(
                select(ApiKey)
                .where(ApiKey.merchant_id == merchant_id)
                .order_by(ApiKey.created_at.desc())
            )
        ).all()

    async def key_of(self, merchant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
        return await self.session.scalar(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.merchant_id == merchant_id)
        )
