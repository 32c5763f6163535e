"""Background work of payments: closing the windows of payments nobody paid (in full)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from kassa.db import Database
from kassa.kit.timeutil import utcnow
from kassa.payments.repository import PaymentRepository
from kassa.payments.settlement import refresh_status

BATCH = 200


async def expire_due(db: Database, clock: Callable[[], datetime] = utcnow) -> int:
    """Re-evaluate payments whose window has closed; returns how many were looked at.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several workers can run this at once
    without touching the same payment twice.
    """
    now = clock()
    async with db.session() as session:
        repo = PaymentRepository(session)
        ids = await repo.due_for_expiry(now, BATCH)
        for payment_id in ids:
            await refresh_status(session, await repo.lock(payment_id), now)
    return len(ids)
