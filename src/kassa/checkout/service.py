"""Loading what a public checkout link points at, and the devnet's "simulate payment".

A checkout id is an invoice id or a payment id (random UUIDs: unguessable). A payment created
for an invoice is shown through its invoice. Nothing here needs an API key, and nothing
merchant-private (labels, references, buyer data, custom data, webhooks) leaves this module.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import registry
from kassa.chains.devnet.service import DevnetService
from kassa.checkout.state import Stage, View, view
from kassa.invoices import lifecycle
from kassa.invoices.repository import InvoiceRepository
from kassa.invoices.service import facts
from kassa.kit.errors import Conflict, NotFound
from kassa.kit.money import from_atomic
from kassa.merchants.repository import MerchantRepository
from kassa.models import Payment, Receipt
from kassa.models.invoice import Invoice, InvoiceItem, InvoiceStatus
from kassa.payments.repository import PaymentRepository


@dataclass(frozen=True, slots=True)
class Target:
    """What ``/pay/{id}`` shows: an invoice (with its effective payment) or a bare payment."""

    id: uuid.UUID
    merchant_name: str
    invoice: Invoice | None
    payment: Payment | None
    receipts: list[Receipt] = field(default_factory=list)
    items: list[InvoiceItem] = field(default_factory=list)
    can_choose: bool = False

    def view(self, now: datetime) -> View:
        return view(self.invoice, self.payment, self.receipts, now, can_choose=self.can_choose)


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("Payment not found") from None


async def canonical_id(session: AsyncSession, public_id: uuid.UUID) -> uuid.UUID:
    """The invoice id when ``public_id`` is one of an invoice's payments, else itself."""
    return await InvoiceRepository(session).invoice_of_payment(public_id) or public_id


async def load(session: AsyncSession, public_id: uuid.UUID) -> Target:
    invoices = InvoiceRepository(session)
    invoice = await invoices.get(public_id)
    if invoice is None:
        owner = await invoices.invoice_of_payment(public_id)
        invoice = await invoices.get(owner) if owner else None
    if invoice is not None:
        return await _invoice_target(session, invoice)
    payment = await session.get(Payment, public_id)
    if payment is None:
        raise NotFound("Payment not found")
    merchant = await MerchantRepository(session).get(payment.merchant_id)
    receipts = (await PaymentRepository(session).receipts_of([payment.id])).get(payment.id, [])
    return Target(
        id=payment.id,
        merchant_name=merchant.name if merchant else "",
        invoice=None,
        payment=payment,
        receipts=receipts,
    )


async def _invoice_target(session: AsyncSession, invoice: Invoice) -> Target:
    repo = InvoiceRepository(session)
    payments = (await repo.payments_of([invoice.id]))[invoice.id]
    known = [facts(p) for p in payments]
    effective = lifecycle.effective_payment(known, invoice.payment_id)
    payment = next((p for p in payments if effective is not None and p.id == effective.id), None)
    receipts: list[Receipt] = []
    if payment is not None:
        receipts = (await PaymentRepository(session).receipts_of([payment.id])).get(payment.id, [])
    can_choose = invoice.status != InvoiceStatus.CANCELLED and lifecycle.accepts_new_payment(
        InvoiceStatus.UNPAID, known
    )
    merchant = await MerchantRepository(session).get(invoice.merchant_id)
    return Target(
        id=invoice.id,
        merchant_name=merchant.name if merchant else "",
        invoice=invoice,
        payment=payment,
        receipts=receipts,
        items=(await repo.items_of([invoice.id]))[invoice.id],
        can_choose=can_choose,
    )


async def simulate(session: AsyncSession, target: Target, now: datetime, *, partial: bool) -> str:
    """Devnet only: pay what is still due on the shown payment (or half of it)."""
    state = target.view(now)
    if state.stage not in (Stage.AWAITING, Stage.PARTIAL) or state.payment is None:
        raise Conflict("There is nothing to pay on this checkout right now")
    payment = state.payment
    asset = registry().assets[payment.asset]
    atomic = max(1, state.remaining // 2) if partial else state.remaining
    amount = Decimal(format(from_atomic(atomic, asset.decimals), "f"))
    return await DevnetService(session).pay(asset, payment.address, amount, payment.destination_tag)
