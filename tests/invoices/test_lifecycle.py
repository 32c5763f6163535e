"""The invoice status as a pure function of its payments."""

from __future__ import annotations

from kassa.invoices.lifecycle import PaymentFacts, accepts_new_payment, derive_status
from kassa.models.invoice import InvoiceStatus as Inv
from kassa.models.payment import PaymentStatus as Pay


def pay(pid: str, status: Pay, seen: int = 0, amount: int = 100) -> PaymentFacts:
    return PaymentFacts(id=pid, status=status, amount=amount, seen=seen)


def status(*payments: PaymentFacts, expired: bool = False, cancelled: bool = False) -> Inv:
    return derive_status(cancelled=cancelled, expired=expired, payments=list(payments), current="b")


def test_nothing_received() -> None:
    assert status() == Inv.UNPAID
    assert status(pay("b", Pay.PENDING)) == Inv.UNPAID
    assert status(pay("b", Pay.EXPIRED)) == Inv.UNPAID
    assert status(pay("b", Pay.PENDING), expired=True) == Inv.TIMED_OUT


def test_funds_in_flight_and_confirmed() -> None:
    assert status(pay("b", Pay.DETECTED, seen=40)) == Inv.PENDING
    assert status(pay("b", Pay.DETECTED, seen=100)) == Inv.PAID
    assert status(pay("b", Pay.DETECTED, seen=100), expired=True) == Inv.PAID
    assert status(pay("b", Pay.CONFIRMED, seen=100)) == Inv.COMPLETED
    assert status(pay("b", Pay.UNDERPAID, seen=40)) == Inv.TIMED_OUT


def test_any_of_the_invoices_payments_counts() -> None:
    assert status(pay("a", Pay.CONFIRMED, seen=100), pay("b", Pay.PENDING)) == Inv.COMPLETED
    assert status(pay("a", Pay.DETECTED, seen=100), pay("b", Pay.PENDING)) == Inv.PAID
    assert (
        status(pay("a", Pay.UNDERPAID, seen=5), pay("b", Pay.CONFIRMED, seen=100)) == Inv.COMPLETED
    )


def test_cancelled_is_final() -> None:
    assert status(pay("b", Pay.CONFIRMED, seen=100), cancelled=True) == Inv.CANCELLED


def test_a_new_asset_only_while_nothing_was_received() -> None:
    assert accepts_new_payment(Inv.UNPAID, [pay("a", Pay.EXPIRED), pay("b", Pay.PENDING)])
    assert not accepts_new_payment(Inv.UNPAID, [pay("a", Pay.DETECTED, seen=1)])
    assert not accepts_new_payment(Inv.TIMED_OUT, [])
    assert not accepts_new_payment(Inv.CANCELLED, [])
