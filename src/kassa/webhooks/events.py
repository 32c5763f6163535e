"""Recording events in the outbox, in the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.kit import jsonutil
from kassa.models import Event


async def record_event(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    payload: dict[str, Any],
    payment_id: uuid.UUID | None = None,
    withdrawal_id: uuid.UUID | None = None,
    invoice_id: uuid.UUID | None = None,
    webhook_url: str | None = None,
) -> Event:
    """Write ``payload`` (which carries its ``event`` type) to the outbox. Never commits: the event
    becomes visible exactly when the state change it describes does."""
    event = Event(
        id=uuid.uuid4(),
        merchant_id=merchant_id,
        type=str(payload["event"]),
        payload=jsonutil.dumps(payload),
        payment_id=payment_id,
        withdrawal_id=withdrawal_id,
        invoice_id=invoice_id,
        webhook_url=webhook_url,
    )
    session.add(event)
    await session.flush()
    return event
