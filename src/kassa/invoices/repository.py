"""SQL of the invoice domain."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.models import Payment
from kassa.models.invoice import BuyNowButton, Invoice, InvoiceItem, InvoicePayment, InvoiceStatus

OPEN = (InvoiceStatus.UNPAID, InvoiceStatus.PENDING, InvoiceStatus.PAID)
SETTLED = (InvoiceStatus.COMPLETED, InvoiceStatus.TIMED_OUT)
REORG_WINDOW = timedelta(hours=6)
"""A completed or timed-out invoice is still re-checked this long (a reorg may revert it)."""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class InvoiceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: Invoice | InvoiceItem | InvoicePayment | BuyNowButton) -> None:
        self.session.add(obj)

    async def get(self, invoice_id: uuid.UUID, *, lock: bool = False) -> Invoice | None:
        query = select(Invoice).where(Invoice.id == invoice_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def get_for_merchant(
        self, merchant_id: uuid.UUID, invoice_id: uuid.UUID, *, lock: bool = False
    ) -> Invoice | None:
        invoice = await self.get(invoice_id, lock=lock)
        return invoice if invoice is not None and invoice.merchant_id == merchant_id else None

    async def items_of(
        self, invoice_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[InvoiceItem]]:
        found: dict[uuid.UUID, list[InvoiceItem]] = defaultdict(list)
        if invoice_ids:
            rows = await self.session.scalars(
                select(InvoiceItem)
                .where(InvoiceItem.invoice_id.in_(invoice_ids))
                .order_by(InvoiceItem.invoice_id, InvoiceItem.position)
            )
            for item in rows:
                found[item.invoice_id].append(item)
        return found

    async def payments_of(self, invoice_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Payment]]:
        found: dict[uuid.UUID, list[Payment]] = defaultdict(list)
        if invoice_ids:
            rows = await self.session.execute(
                select(InvoicePayment.invoice_id, Payment)
                .join(Payment, Payment.id == InvoicePayment.payment_id)
                .where(InvoicePayment.invoice_id.in_(invoice_ids))
                .order_by(InvoicePayment.created_at, Payment.id)
            )
            for invoice_id, payment in rows:
                found[invoice_id].append(payment)
        return found

    async def invoice_of_payment(self, payment_id: uuid.UUID) -> uuid.UUID | None:
        return await self.session.scalar(
            select(InvoicePayment.invoice_id).where(InvoicePayment.payment_id == payment_id)
        )

    async def list_for_merchant(
        self,
        merchant_id: uuid.UUID,
        *,
        status: str | None = None,
        external_ref: str | None = None,
        search: str | None = None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Invoice], int]:
        where: list[ColumnElement[bool]] = [Invoice.merchant_id == merchant_id]
        if status:
            where.append(Invoice.status == status)
        if external_ref:
            where.append(Invoice.external_ref == external_ref)
        if search:
            pattern = _like(search)
            where.append(
                or_(
                    Invoice.label.ilike(pattern, escape="\\"),
                    Invoice.external_ref.ilike(pattern, escape="\\"),
                    Invoice.number.ilike(pattern, escape="\\"),
                )
            )
        rows = (
            await self.session.scalars(
                select(Invoice)
                .where(*where)
                .order_by(Invoice.created_at.desc(), Invoice.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        total = await self.session.scalar(select(func.count()).select_from(Invoice).where(*where))
        return rows, int(total or 0)

    async def due_for_sync(self, now: datetime, limit: int) -> Sequence[Invoice]:
        """Invoices whose payments changed since their last sync, and unpaid ones past expiry.

        Claimed with ``FOR UPDATE SKIP LOCKED`` so several workers never sync the same invoice.
        """
        changed = exists(
            select(InvoicePayment.payment_id)
            .join(Payment, Payment.id == InvoicePayment.payment_id)
            .where(InvoicePayment.invoice_id == Invoice.id, Payment.updated_at > Invoice.synced_at)
        )
        query = (
            select(Invoice)
            .where(
                or_(
                    and_(Invoice.status.in_(OPEN), changed),
                    and_(Invoice.status == InvoiceStatus.UNPAID, Invoice.expires_at <= now),
                    and_(
                        Invoice.status.in_(SETTLED),
                        Invoice.updated_at > now - REORG_WINDOW,
                        changed,
                    ),
                )
            )
            .order_by(Invoice.synced_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(query)).all()

    async def button_invoices_since(self, button_id: uuid.UUID, since: datetime) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Invoice)
            .where(Invoice.button_id == button_id, Invoice.created_at >= since)
        )
        return int(count or 0)

    async def get_button(
        self, button_id: uuid.UUID, merchant_id: uuid.UUID | None = None
    ) -> BuyNowButton | None:
        button = await self.session.get(BuyNowButton, button_id)
        if button is None or (merchant_id is not None and button.merchant_id != merchant_id):
            return None
        return button

    async def buttons_of(self, merchant_id: uuid.UUID) -> Sequence[BuyNowButton]:
        return (
            await self.session.scalars(
                select(BuyNowButton)
                .where(BuyNowButton.merchant_id == merchant_id)
                .order_by(BuyNowButton.created_at.desc())
            )
        ).all()
