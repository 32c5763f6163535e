"""The payment status machine, as one pure function.

Only receipts that arrived before the payment window closed count toward it ("on time"); late
receipts are credited to the merchant's balance and flagged, but never reopen a payment.
"""

from __future__ import annotations

from kassa.models.payment import PaymentStatus


def next_status(
    *, amount: int, seen: int, confirmed: int, unconfirmed: int, expired: bool
) -> PaymentStatus:
    """The status a payment must have.

    ``seen`` is the total of its on-time receipts that are not reverted, ``confirmed`` the part of
    it that is confirmed, ``unconfirmed`` how many such receipts still await confirmations, and
    ``expired`` whether the window has closed.
    """
    if confirmed >= amount:
        return PaymentStatus.CONFIRMED
    if not expired:
        return PaymentStatus.DETECTED if seen > 0 else PaymentStatus.PENDING
    if unconfirmed > 0:
        return PaymentStatus.DETECTED
    return PaymentStatus.UNDERPAID if confirmed > 0 else PaymentStatus.EXPIRED
