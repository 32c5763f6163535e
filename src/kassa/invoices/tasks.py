"""Background work of invoices: following their payments' statuses and timing them out.

Invoices are not hooked into payment settlement; this loop polls instead. It looks only at
invoices whose payments changed since their last sync (``payments.updated_at``) and at unpaid
invoices past their expiry, so each tick is cheap, and an invoice event follows its payment's
event within about a second.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from kassa.db import Database
from kassa.invoices.repository import InvoiceRepository
from kassa.invoices.service import sync_invoice
from kassa.kit.timeutil import utcnow
from kassa.workers.loop import Loop

if TYPE_CHECKING:
    from kassa.runtime import Runtime

BATCH = 200
SYNC_SECONDS = 1.0


async def sync_due(db: Database, clock: Callable[[], datetime] = utcnow) -> int:
    """Sync one batch of invoices that need it; returns how many status changes were written."""
    now = clock()
    changed = 0
    async with db.session() as session:
        for invoice in await InvoiceRepository(session).due_for_sync(now, BATCH):
            changed += await sync_invoice(session, invoice, now)
    return changed


def loops(runtime: Runtime, owner: str) -> list[Loop]:
    """The loops the worker runner starts for this domain."""
    return [Loop("invoices:sync", lambda: sync_due(runtime.db), SYNC_SECONDS)]
