"""Invoices: creating, reading, cancelling, the buyer's asset choice, and following payments.

Services take the session and never commit. Every status change is written with its
``invoice.<status>`` event in the same transaction (the outbox).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.invoices import lifecycle, views
from kassa.invoices.amounts import Breakdown, Line, LineIn, breakdown, from_minor
from kassa.invoices.repository import InvoiceRepository
from kassa.invoices.schemas import (
    DEFAULT_INVOICE_MINUTES,
    CreateInvoice,
    InvoiceTemplate,
)
from kassa.kit import jsonutil
from kassa.kit.errors import BadRequest, Conflict, NotFound
from kassa.merchants.auth import Principal
from kassa.merchants.repository import MerchantRepository
from kassa.merchants.scopes import Scope
from kassa.models import ApiKey, Merchant, Payment, Receipt
from kassa.models.invoice import Invoice, InvoiceItem, InvoicePayment, InvoiceStatus
from kassa.models.payment import PaymentStatus
from kassa.payments.repository import PaymentRepository
from kassa.payments.schemas import CreatePayment
from kassa.payments.service import create_payment
from kassa.payments.settlement import refresh_status
from kassa.runtime import Runtime
from kassa.webhooks.events import record_event

MAX_PAYMENTS_PER_INVOICE = 10
"""How often a buyer may (re)choose an asset for one invoice: each choice issues an address."""
SYNC_MARGIN = timedelta(seconds=10)
"""Payments changed this shortly before a sync are looked at again by the next one, so a change
committed while a sync was reading is never missed."""


@dataclass(frozen=True, slots=True)
class InvoiceDetail:
    invoice: Invoice
    items: list[InvoiceItem]
    payments: list[Payment]
    receipts: dict[uuid.UUID, list[Receipt]]

    def body(self, base_url: str) -> dict[str, object]:
        return views.invoice_body(self.invoice, self.items, self.payments, self.receipts, base_url)


def facts(payment: Payment) -> lifecycle.PaymentFacts:
    return lifecycle.PaymentFacts(
        id=payment.id, status=payment.status, amount=payment.amount_atomic, seen=payment.seen_atomic
    )


def price(template: InvoiceTemplate) -> tuple[list[Line], Breakdown]:
    """Price a template's lines and add it up (400 on any inexact amount)."""
    zero = Decimal(0)
    lines = [LineIn(i.quantity, i.unit_price, i.tax or zero) for i in template.items]
    return breakdown(lines, template.shipping or zero, template.discount or zero, template.currency)


async def emit(
    session: AsyncSession, invoice: Invoice, payment: Payment | None, now: datetime
) -> None:
    await record_event(
        session,
        merchant_id=invoice.merchant_id,
        payload=views.invoice_event(invoice, payment, now),
        invoice_id=invoice.id,
        webhook_url=invoice.webhook_url,
    )


async def create_invoice(
    session: AsyncSession,
    runtime: Runtime,
    merchant: Merchant,
    request: InvoiceTemplate,
    now: datetime,
    *,
    button_id: uuid.UUID | None = None,
) -> Invoice:
    """Validate, price and store an invoice; ``invoice.created`` goes to the outbox."""
    priced, amounts = price(request)
    full = request if isinstance(request, CreateInvoice) else None
    due = full.due_date if full else None
    if request.expires_minutes is not None:
        expires = now + timedelta(minutes=request.expires_minutes)
    elif due is not None:
        expires = due
    else:
        expires = now + timedelta(minutes=DEFAULT_INVOICE_MINUTES)
    if expires <= now + timedelta(minutes=1):
        raise BadRequest("Invalid due_date: must be more than a minute in the future")
    invoice = Invoice(
        id=uuid.uuid4(),
        merchant_id=merchant.id,
        status=InvoiceStatus.UNPAID,
        currency=request.currency,
        number=full.invoice_number if full else None,
        external_ref=request.external_ref,
        label=request.label,
        description=request.description,
        notes=request.notes,
        buyer=jsonutil.dumps(full.buyer.model_dump(exclude_none=True))
        if full and full.buyer
        else None,
        custom_data=jsonutil.dumps(request.custom_data)
        if request.custom_data is not None
        else None,
        subtotal=amounts.subtotal,
        tax=amounts.tax,
        shipping=amounts.shipping,
        discount=amounts.discount,
        total=amounts.total,
        webhook_url=request.webhook_url,
        success_url=request.success_url,
        cancel_url=request.cancel_url,
        due_at=due,
        expires_at=expires,
        button_id=button_id,
        synced_at=now,
        created_at=now,
        updated_at=now,
    )
    repo = InvoiceRepository(session)
    repo.add(invoice)
    await session.flush()
    for position, (item, line) in enumerate(zip(request.items, priced, strict=True)):
        repo.add(
            InvoiceItem(
                invoice_id=invoice.id,
                position=position,
                name=item.name,
                sku=item.sku,
                description=item.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax=line.tax,
                amount=line.amount,
            )
        )
    await session.flush()
    created = views.invoice_event(invoice, None, now)
    created["event"] = "invoice.created"
    await record_event(
        session,
        merchant_id=merchant.id,
        payload=created,
        invoice_id=invoice.id,
        webhook_url=invoice.webhook_url,
    )
    if full is not None and full.asset:
        await choose_asset(session, runtime, invoice.id, full.asset, now)
    return invoice


async def detail(session: AsyncSession, invoice: Invoice) -> InvoiceDetail:
    repo = InvoiceRepository(session)
    items = (await repo.items_of([invoice.id]))[invoice.id]
    payments = (await repo.payments_of([invoice.id]))[invoice.id]
    receipts = await PaymentRepository(session).receipts_of([p.id for p in payments])
    return InvoiceDetail(invoice, items, payments, dict(receipts))


async def get_invoice(
    session: AsyncSession, merchant_id: uuid.UUID, invoice_id: uuid.UUID
) -> InvoiceDetail:
    invoice = await InvoiceRepository(session).get_for_merchant(merchant_id, invoice_id)
    if invoice is None:
        raise NotFound("Invoice not found")
    return await detail(session, invoice)


async def cancel_invoice(
    session: AsyncSession, merchant_id: uuid.UUID, invoice_id: uuid.UUID, now: datetime
) -> InvoiceDetail:
    """Cancel an invoice nothing was received for; its open payment windows close now."""
    repo = InvoiceRepository(session)
    invoice = await repo.get_for_merchant(merchant_id, invoice_id, lock=True)
    if invoice is None:
        raise NotFound("Invoice not found")
    if invoice.status == InvoiceStatus.CANCELLED:
        return await detail(session, invoice)
    payments_repo = PaymentRepository(session)
    payments = [
        await payments_repo.lock(p.id) for p in (await repo.payments_of([invoice.id]))[invoice.id]
    ]
    status = lifecycle.derive_status(
        cancelled=False,
        expired=now >= invoice.expires_at,
        payments=[facts(p) for p in payments],
        current=invoice.payment_id,
    )
    if status != InvoiceStatus.UNPAID or any(p.seen_atomic > 0 for p in payments):
        raise Conflict(f"Invoice cannot be cancelled: it is {status}")
    for payment in payments:
        if payment.status == PaymentStatus.PENDING:
            payment.expires_at = min(payment.expires_at, now)
            await refresh_status(session, payment, now)
    invoice.status = InvoiceStatus.CANCELLED
    invoice.cancelled_at = now
    invoice.synced_at = now
    await session.flush()
    await emit(session, invoice, None, now)
    return await detail(session, invoice)


def _checkout_principal(merchant: Merchant) -> Principal:
    """The merchant acting through the checkout page (no API key is involved)."""
    key = ApiKey(id=uuid.UUID(int=0), merchant_id=merchant.id, prefix="checkout", scopes="write")
    return Principal(merchant=merchant, key=key, scopes=frozenset({Scope.WRITE}))


async def choose_asset(
    session: AsyncSession, runtime: Runtime, invoice_id: uuid.UUID, symbol: str, now: datetime
) -> Payment:
    """The buyer picks ``symbol``: create the invoice's payment intent in it.

    Choosing the same asset again returns the open payment; another asset gets a new payment
    while nothing was received (earlier payments stay watched until their windows close).
    """
    repo = InvoiceRepository(session)
    invoice = await repo.get(invoice_id, lock=True)
    if invoice is None:
        raise NotFound("Invoice not found")
    payments = (await repo.payments_of([invoice.id]))[invoice.id]
    status = lifecycle.derive_status(
        cancelled=invoice.status == InvoiceStatus.CANCELLED,
        expired=now >= invoice.expires_at,
        payments=[facts(p) for p in payments],
        current=invoice.payment_id,
    )
    if not lifecycle.accepts_new_payment(status, [facts(p) for p in payments]):
        raise Conflict(f"This invoice is {status.replace('_', ' ')}: no new payment can be started")
    current = next((p for p in payments if p.id == invoice.payment_id), None)
    wanted = symbol.strip().upper()
    if (
        current is not None
        and current.asset == wanted
        and current.status == PaymentStatus.PENDING
        and current.expires_at > now
    ):
        return current
    if invoice.payment_count >= MAX_PAYMENTS_PER_INVOICE:
        raise Conflict("Too many currency changes for this invoice; ask the merchant for a new one")
    minutes = min(
        runtime.settings.default_expires_minutes,
        math.floor((invoice.expires_at - now).total_seconds() / 60),
    )
    if minutes < 1:
        raise Conflict("This invoice has expired")
    merchant = await MerchantRepository(session).get(invoice.merchant_id)
    assert merchant is not None
    request = CreatePayment(
        asset=wanted,
        webhook_url=invoice.webhook_url,
        amount_fiat=from_minor(invoice.total, invoice.currency),
        fiat_currency=invoice.currency,
        external_ref=invoice.external_ref,
        label=invoice.label,
        description=invoice.description
        or (f"Invoice {invoice.number}" if invoice.number else None),
        expires_minutes=minutes,
    )
    payment = await create_payment(session, runtime, _checkout_principal(merchant), request)
    repo.add(InvoicePayment(invoice_id=invoice.id, payment_id=payment.id, created_at=now))
    invoice.payment_id = payment.id
    invoice.payment_count += 1
    await session.flush()
    return payment


async def sync_invoice(session: AsyncSession, invoice: Invoice, now: datetime) -> bool:
    """Bring ``invoice.status`` in line with its payments and the clock; emit on change."""
    payments = (await InvoiceRepository(session).payments_of([invoice.id]))[invoice.id]
    known = [facts(p) for p in payments]
    status = lifecycle.derive_status(
        cancelled=invoice.status == InvoiceStatus.CANCELLED,
        expired=now >= invoice.expires_at,
        payments=known,
        current=invoice.payment_id,
    )
    invoice.synced_at = now - SYNC_MARGIN
    if status == invoice.status:
        await session.flush()
        return False
    invoice.status = status
    if status in (InvoiceStatus.PAID, InvoiceStatus.COMPLETED):
        invoice.paid_at = invoice.paid_at or now
    else:
        invoice.paid_at = None
    invoice.completed_at = now if status == InvoiceStatus.COMPLETED else None
    effective = lifecycle.effective_payment(known, invoice.payment_id)
    payment = next((p for p in payments if effective and p.id == effective.id), None)
    await session.flush()
    await emit(session, invoice, payment, now)
    return True
