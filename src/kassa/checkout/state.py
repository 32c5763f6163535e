"""What the checkout page shows, as a pure function of the invoice, its payment and the clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kassa.models import Payment, Receipt
from kassa.models.invoice import Invoice, InvoiceStatus
from kassa.models.payment import PaymentStatus, ReceiptStatus


class Stage(StrEnum):
    CHOOSE = "choose"
    """An invoice with no open payment: the buyer picks an asset."""
    AWAITING = "awaiting"
    """Nothing received yet: amount, address, QR code and countdown."""
    PARTIAL = "partial"
    """Part of the amount was seen: the buyer must send the rest."""
    CONFIRMING = "confirming"
    """The whole amount was seen: waiting for confirmations."""
    CONFIRMED = "confirmed"
    UNDERPAID = "underpaid"
    EXPIRED = "expired"
    LATE = "late"
    """Money arrived after the window closed: credited to the merchant, not to this payment."""
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


FINAL = frozenset(
    {
        Stage.CONFIRMED,
        Stage.UNDERPAID,
        Stage.EXPIRED,
        Stage.LATE,
        Stage.CANCELLED,
        Stage.TIMED_OUT,
    }
)


@dataclass(frozen=True, slots=True)
class View:
    stage: Stage
    payment: Payment | None
    remaining: int = 0
    """Atomic amount still to send (partial payments)."""
    confirmations: int = 0
    """Of the slowest on-time receipt still awaiting its confirmations."""
    expired_before: bool = False
    """The buyer is choosing again because an earlier payment window closed."""

    @property
    def final(self) -> bool:
        return self.stage in FINAL

    @property
    def key(self) -> str:
        """Changes exactly when the page must change (what live updates compare)."""
        p = self.payment
        progress = f"{p.id}:{p.seen_atomic}:{p.confirmed_atomic}" if p is not None else "-"
        return f"{self.stage}:{progress}:{self.confirmations}:{int(self.expired_before)}"


def _late(receipts: Sequence[Receipt]) -> bool:
    return any(r.late and r.status != ReceiptStatus.REVERTED for r in receipts)


def _slowest(payment: Payment, receipts: Sequence[Receipt]) -> int:
    waiting = [
        r.confirmations
        for r in receipts
        if r.status == ReceiptStatus.SEEN and not r.late and r.asset == payment.asset
    ]
    return min(waiting) if waiting else 0


def view(
    invoice: Invoice | None,
    payment: Payment | None,
    receipts: Sequence[Receipt],
    now: datetime,
    *,
    can_choose: bool = False,
) -> View:
    """``payment`` is the payment itself, or an invoice's effective payment (or None).

    ``can_choose`` says whether the invoice still accepts a new asset choice.
    """
    if invoice is not None and invoice.status == InvoiceStatus.CANCELLED:
        return View(Stage.CANCELLED, payment)
    invoice_expired = invoice is not None and now >= invoice.expires_at
    if payment is None:
        return View(Stage.TIMED_OUT if invoice_expired else Stage.CHOOSE, None)
    status = payment.status
    if status == PaymentStatus.CONFIRMED:
        return View(Stage.CONFIRMED, payment)
    if status == PaymentStatus.UNDERPAID:
        return View(Stage.UNDERPAID, payment)
    if status == PaymentStatus.DETECTED:
        remaining = max(0, payment.amount_atomic - payment.seen_atomic)
        stage = Stage.PARTIAL if remaining else Stage.CONFIRMING
        return View(stage, payment, remaining, _slowest(payment, receipts))
    if status == PaymentStatus.PENDING and now < payment.expires_at:
        return View(Stage.AWAITING, payment, payment.amount_atomic)
    if _late(receipts):
        return View(Stage.LATE, payment)
    if invoice is not None:
        if can_choose and not invoice_expired:
            return View(Stage.CHOOSE, None, expired_before=True)
        return View(Stage.TIMED_OUT, payment)
    return View(Stage.EXPIRED, payment)
