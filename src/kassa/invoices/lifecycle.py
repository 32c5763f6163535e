"""The invoice status machine, as pure functions of the invoice's payments.

An invoice can have several payment intents (the buyer switched asset before paying). Every one of
them counts: money sent to an address Kassa issued for the invoice is never ignored. The
*effective* payment is the one that decides the status and that the checkout page shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kassa.models.invoice import InvoiceStatus
from kassa.models.payment import PaymentStatus


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    """What the invoice needs to know about one of its payments."""

    id: object
    status: PaymentStatus
    amount: int
    seen: int


_RANK = {
    PaymentStatus.CONFIRMED: 0,
    PaymentStatus.DETECTED: 1,
    PaymentStatus.UNDERPAID: 2,
}


def effective_payment(
    payments: Sequence[PaymentFacts], current: object | None
) -> PaymentFacts | None:
    """A confirmed payment first, then one with funds in flight (most seen), then an underpaid
    one, else the buyer's current choice."""
    funded = [p for p in payments if p.status in _RANK]
    if funded:
        return min(funded, key=lambda p: (_RANK[p.status], -p.seen))
    return next((p for p in payments if p.id == current), None)


def derive_status(
    *, cancelled: bool, expired: bool, payments: Sequence[PaymentFacts], current: object | None
) -> InvoiceStatus:
    """The status an invoice must have.

    ``cancelled`` is final. Otherwise the effective payment decides: confirmed → completed;
    funds seen covering the amount → paid; less → pending; a window closed with only part of the
    amount → timed_out. With nothing received, the invoice is unpaid until it expires.
    """
    if cancelled:
        return InvoiceStatus.CANCELLED
    payment = effective_payment(payments, current)
    if payment is not None:
        if payment.status == PaymentStatus.CONFIRMED:
            return InvoiceStatus.COMPLETED
        if payment.status == PaymentStatus.DETECTED:
            return InvoiceStatus.PAID if payment.seen >= payment.amount else InvoiceStatus.PENDING
        if payment.status == PaymentStatus.UNDERPAID:
            return InvoiceStatus.TIMED_OUT
    return InvoiceStatus.TIMED_OUT if expired else InvoiceStatus.UNPAID


def accepts_new_payment(status: InvoiceStatus, payments: Sequence[PaymentFacts]) -> bool:
    """The buyer may (re)choose an asset only while nothing at all was received."""
    return status == InvoiceStatus.UNPAID and all(p.seen == 0 for p in payments)
