"""Exact invoice arithmetic in the invoice currency's minor unit (pure, no I/O).

``total = subtotal + tax + shipping - discount`` where ``subtotal`` is the sum of the lines'
``quantity × unit_price`` and ``tax`` the sum of the lines' taxes. Nothing is rounded: a value
with more decimal places than the currency has (or a line whose product does) is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from kassa.kit.errors import BadRequest
from kassa.kit.money import FIAT_CURRENCIES, from_atomic, to_atomic

MAX_TOTAL_DIGITS = 30
"""Totals stay below 10**30 minor units: far beyond any invoice, far below the column limit."""


def currency_places(currency: str) -> int:
    places = FIAT_CURRENCIES.get(currency)
    if places is None:
        raise BadRequest(
            f"Unsupported currency: {currency}. Supported: {', '.join(FIAT_CURRENCIES)}"
        )
    return places


def to_minor(value: Decimal, currency: str, field: str) -> int:
    places = currency_places(currency)
    try:
        minor = to_atomic(value, places)
    except ValueError:
        raise BadRequest(
            f"Invalid {field}: {currency} has at most {places} decimal places"
        ) from None
    if minor >= 10**MAX_TOTAL_DIGITS:
        raise BadRequest(f"Invalid {field}: is too large")
    return minor


def from_minor(amount: int, currency: str) -> Decimal:
    return from_atomic(amount, currency_places(currency))


def format_minor(amount: int, currency: str) -> str:
    """``2660, "USD"`` → ``"26.60"``."""
    places = currency_places(currency)
    return f"{from_atomic(amount, places):.{places}f}"


@dataclass(frozen=True, slots=True)
class LineIn:
    quantity: Decimal
    unit_price: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class Line:
    quantity: Decimal
    unit_price: int
    tax: int
    amount: int


@dataclass(frozen=True, slots=True)
class Breakdown:
    subtotal: int
    tax: int
    shipping: int
    discount: int
    total: int


def price_line(line: LineIn, currency: str, field: str) -> Line:
    unit = to_minor(line.unit_price, currency, f"{field}.unit_price")
    tax = to_minor(line.tax, currency, f"{field}.tax")
    with localcontext() as ctx:
        ctx.prec = 120
        product = line.quantity * unit
    if product != product.to_integral_value():
        places = currency_places(currency)
        raise BadRequest(
            f"Invalid {field}: quantity × unit_price has more than {places} decimal places "
            f"for {currency}"
        )
    amount = int(product)
    if amount >= 10**MAX_TOTAL_DIGITS:
        raise BadRequest(f"Invalid {field}: quantity × unit_price is too large")
    return Line(quantity=line.quantity, unit_price=unit, tax=tax, amount=amount)


def breakdown(
    lines: Sequence[LineIn], shipping: Decimal, discount: Decimal, currency: str
) -> tuple[list[Line], Breakdown]:
    """Price every line and add the invoice up; the total must be greater than zero."""
    priced = [price_line(line, currency, f"items[{i}]") for i, line in enumerate(lines)]
    subtotal = sum(line.amount for line in priced)
    tax = sum(line.tax for line in priced)
    ship = to_minor(shipping, currency, "shipping")
    off = to_minor(discount, currency, "discount")
    total = subtotal + tax + ship - off
    if total <= 0:
        raise BadRequest("Invalid discount: the invoice total must be greater than 0")
    if total >= 10**MAX_TOTAL_DIGITS:
        raise BadRequest("Invalid items: the invoice total is too large")
    return priced, Breakdown(subtotal=subtotal, tax=tax, shipping=ship, discount=off, total=total)
