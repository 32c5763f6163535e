"""SQL of the webhook domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db import upsert
from kassa.kit.timeutil import utcnow
from kassa.models import Event
from kassa.models.webhook import (
    DeliveryStatus,
    EndpointStatus,
    SigningSecret,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from kassa.webhooks.events import target_key

D = WebhookDelivery
DT = cast(Table, WebhookDelivery.__table__)


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    token: int
    message_id: str
    event_id: uuid.UUID
    merchant_id: uuid.UUID
    endpoint_id: uuid.UUID | None
    url: str
    failures: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """The row changes one finished attempt causes."""

    delivery_id: int
    token: int
    url: str
    status: DeliveryStatus
    next_attempt_at: datetime
    failures: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    delivered_at: datetime | None


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- dispatch ---------------------------------------------------------------------------

    async def claim(
        self, now: datetime, lease: timedelta, limit: int, skip_targets: Sequence[str] = ()
    ) -> list[Claimed]:
        """Lease up to ``limit`` due deliveries, oldest first, not to ``skip_targets``;
        concurrent claimers skip each other's rows."""
        due = (
            select(D.id)
            .where(D.status == DeliveryStatus.PENDING, D.next_attempt_at <= now)
            .where(D.target.not_in(skip_targets) if skip_targets else true())
            .order_by(D.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = await self.session.execute(
            update(D)
            .where(D.id.in_(due.scalar_subquery()))
            .values(next_attempt_at=now + lease, lease_token=D.lease_token + 1)
            .returning(
                D.id,
                D.lease_token,
                D.message_id,
                D.event_id,
                D.merchant_id,
                D.endpoint_id,
                D.url,
                D.failures,
            ),
            execution_options={"synchronize_session": False},
        )
        return [
            Claimed(
                id=row.id,
                token=row.lease_token,
                message_id=row.message_id,
                event_id=row.event_id,
                merchant_id=row.merchant_id,
                endpoint_id=row.endpoint_id,
                url=row.url,
                failures=row.failures,
            )
            for row in rows
        ]

    async def payloads(self, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not event_ids:
            return {}
        rows = await self.session.execute(
            select(Event.id, Event.payload).where(Event.id.in_(set(event_ids)))
        )
        return {row.id: row.payload for row in rows}

    async def endpoints(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, WebhookEndpoint]:
        if not ids:
            return {}
        rows = await self.session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.id.in_(set(ids)))
        )
        return {e.id: e for e in rows}

    async def signing_secrets(
        self, merchant_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, SigningSecret]:
        if not merchant_ids:
            return {}
        rows = await self.session.scalars(
            select(SigningSecret).where(SigningSecret.merchant_id.in_(set(merchant_ids)))
        )
        return {s.merchant_id: s for s in rows}

    async def add_signing_secret(self, merchant_id: uuid.UUID, encrypted: str) -> None:
        """Insert unless one exists (two workers may race to create it)."""
        stmt = upsert(self.session, SigningSecret).values(
            merchant_id=merchant_id, secret=encrypted, created_at=utcnow()
        )
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["merchant_id"]))

    async def release(self, ids_tokens: Sequence[tuple[int, int]], at: datetime) -> None:
        """Give claimed deliveries back unattempted, due again at ``at``."""
        if not ids_tokens:
            return
        stmt = (
            update(DT)
            .where(DT.c.id == bindparam("b_id"))
            .where(DT.c.lease_token == bindparam("b_token"))
            .values(next_attempt_at=bindparam("b_at"))
        )
        await self.session.execute(
            stmt, [{"b_id": i, "b_token": t, "b_at": at} for i, t in ids_tokens]
        )

    async def skip(self, ids_tokens: Sequence[tuple[int, int]], reasons: Sequence[str]) -> None:
        """Give up claimed deliveries without an attempt (their endpoint is gone or disabled)."""
        if not ids_tokens:
            return
        table = DT
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .where(table.c.lease_token == bindparam("b_token"))
            .values(status=DeliveryStatus.FAILED.value, last_error=bindparam("b_error"))
        )
        await self.session.execute(
            stmt,
            [
                {"b_id": i, "b_token": t, "b_error": reason}
                for (i, t), reason in zip(ids_tokens, reasons, strict=True)
            ],
        )

    async def next_due(self) -> datetime | None:
        return await self.session.scalar(
            select(func.min(D.next_attempt_at)).where(D.status == DeliveryStatus.PENDING)
        )

    async def record(self, outcomes: Sequence[Outcome], attempts: Sequence[dict[str, Any]]) -> None:
        """Write finished attempts and their deliveries' new state (one statement each)."""
        if attempts:
            await self.session.execute(insert(WebhookAttempt), list(attempts))
        if not outcomes:
            return
        table = DT
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .where(table.c.lease_token == bindparam("b_token"))
            .values(
                url=bindparam("b_url"),
                target=bindparam("b_target"),
                status=bindparam("b_status"),
                next_attempt_at=bindparam("b_next"),
                failures=bindparam("b_failures"),
                attempt_count=table.c.attempt_count + 1,
                last_attempt_at=bindparam("b_attempted_at"),
                last_status_code=bindparam("b_code"),
                last_error=bindparam("b_error"),
                delivered_at=func.coalesce(bindparam("b_delivered"), table.c.delivered_at),
            )
        )
        await self.session.execute(
            stmt,
            [
                {
                    "b_id": o.delivery_id,
                    "b_token": o.token,
                    "b_url": o.url,
                    "b_target": target_key(o.url),
                    "b_status": o.status.value,
                    "b_next": o.next_attempt_at,
                    "b_failures": o.failures,
                    "b_attempted_at": o.attempted_at,
                    "b_code": o.status_code,
                    "b_error": o.error,
                    "b_delivered": o.delivered_at,
                }
                for o in outcomes
            ],
        )

    async def mark_healthy(self, endpoint_ids: Sequence[uuid.UUID]) -> None:
        if endpoint_ids:
            await self.session.execute(
                update(WebhookEndpoint)
                .where(
                    WebhookEndpoint.id.in_(set(endpoint_ids)),
                    WebhookEndpoint.failing_since.is_not(None),
                )
                .values(failing_since=None)
            )

    async def mark_failing(self, endpoint_ids: Sequence[uuid.UUID], since: datetime) -> None:
        if endpoint_ids:
            await self.session.execute(
                update(WebhookEndpoint)
                .where(
                    WebhookEndpoint.id.in_(set(endpoint_ids)),
                    WebhookEndpoint.failing_since.is_(None),
                )
                .values(failing_since=since)
            )

    async def failing_enabled(
        self, endpoint_ids: Sequence[uuid.UUID], before: datetime
    ) -> list[WebhookEndpoint]:
        """Enabled endpoints among ``endpoint_ids`` failing since ``before`` or earlier."""
        if not endpoint_ids:
            return []
        rows = await self.session.scalars(
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.id.in_(set(endpoint_ids)),
                WebhookEndpoint.status == EndpointStatus.ENABLED,
                WebhookEndpoint.failing_since <= before,
            )
            .with_for_update()
        )
        return list(rows)

    async def lock_endpoint(self, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        return await self.session.scalar(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def retarget(self, endpoint_id: uuid.UUID, url: str) -> None:
        """Send the endpoint's pending deliveries to its new URL."""
        await self.session.execute(
            update(D)
            .where(D.endpoint_id == endpoint_id, D.status == DeliveryStatus.PENDING)
            .values(url=url, target=target_key(url)),
            execution_options={"synchronize_session": False},
        )

    async def fail_pending(self, endpoint_id: uuid.UUID, reason: str) -> None:
        await self.session.execute(
            update(D)
            .where(D.endpoint_id == endpoint_id, D.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.FAILED, last_error=reason),
            execution_options={"synchronize_session": False},
        )

    # -- API --------------------------------------------------------------------------------

    async def endpoint_for(
        self, merchant_id: uuid.UUID, endpoint_id: uuid.UUID
    ) -> WebhookEndpoint | None:
        return await self.session.scalar(
            select(WebhookEndpoint).where(
                WebhookEndpoint.id == endpoint_id, WebhookEndpoint.merchant_id == merchant_id
            )
        )

    async def endpoints_of(self, merchant_id: uuid.UUID) -> Sequence[WebhookEndpoint]:
        return (
            await self.session.scalars(
                select(WebhookEndpoint)
                .where(WebhookEndpoint.merchant_id == merchant_id)
                .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
            )
        ).all()

    async def signing_secret(
        self, merchant_id: uuid.UUID, lock: bool = False
    ) -> SigningSecret | None:
        stmt = select(SigningSecret).where(SigningSecret.merchant_id == merchant_id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(stmt)

    async def event_for(self, merchant_id: uuid.UUID, event_id: uuid.UUID) -> Event | None:
        return await self.session.scalar(
            select(Event).where(Event.id == event_id, Event.merchant_id == merchant_id)
        )

    async def events_of(
        self,
        merchant_id: uuid.UUID,
        *,
        types: Sequence[str],
        families: Sequence[str],
        created_after: datetime | None,
        created_before: datetime | None,
        payment_id: uuid.UUID | None,
        withdrawal_id: uuid.UUID | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Event], int]:
        where: list[Any] = [Event.merchant_id == merchant_id]
        if types or families:
            where.append(
                or_(
                    Event.type.in_(types),
                    *[Event.type.startswith(f + ".", autoescape=True) for f in families],
                )
            )
        if created_after is not None:
            where.append(Event.created_at >= created_after)
        if created_before is not None:
            where.append(Event.created_at < created_before)
        if payment_id is not None:
            where.append(Event.payment_id == payment_id)
        if withdrawal_id is not None:
            where.append(Event.withdrawal_id == withdrawal_id)
        rows = (
            await self.session.scalars(
                select(Event).where(*where).order_by(Event.seq.desc()).limit(limit).offset(offset)
            )
        ).all()
        total = await self.session.scalar(select(func.count()).select_from(Event).where(*where))
        return rows, int(total or 0)

    async def deliveries_of(self, event_id: uuid.UUID) -> Sequence[WebhookDelivery]:
        return (
            await self.session.scalars(select(D).where(D.event_id == event_id).order_by(D.id))
        ).all()

    async def attempts_of(self, delivery_ids: Sequence[int]) -> dict[int, list[WebhookAttempt]]:
        found: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
        if not delivery_ids:
            return found
        rows = await self.session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.id)
        )
        for attempt in rows:
            found[attempt.delivery_id].append(attempt)
        return found

    async def delivery_by_message(self, message_id: str) -> WebhookDelivery | None:
        return await self.session.scalar(select(D).where(D.message_id == message_id))

    async def requeue(self, delivery_ids: Sequence[int], now: datetime) -> None:
        if delivery_ids:
            await self.session.execute(
                update(D)
                .where(D.id.in_(delivery_ids))
                .values(status=DeliveryStatus.PENDING, next_attempt_at=now, failures=0),
                execution_options={"synchronize_session": False},
            )
