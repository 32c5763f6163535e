"""Request and response shapes of ``/api/invoices`` and ``/api/buy-now-buttons``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from kassa.kit import jsonutil
from kassa.kit.money import decimal_places
from kassa.kit.validators import MAX_INTEGER_DIGITS, HttpUrlText, PositiveDecimal
from kassa.payments.schemas import PaymentResponse

MAX_ITEMS = 100
MAX_QUANTITY = 10**9
MAX_QUANTITY_PLACES = 6
MAX_CUSTOM_DATA_BYTES = 4096
MAX_INVOICE_MINUTES = 90 * 24 * 60
DEFAULT_INVOICE_MINUTES = 24 * 60
DEFAULT_BUTTON_MINUTES = 60


def _non_negative(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError("must be a number")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError("is too large")
    if number < 0:
        raise ValueError("must be 0 or greater")
    return number


NonNegativeDecimal = Annotated[Decimal, BeforeValidator(_non_negative)]
"""A JSON number (parsed exactly) or numeric string, finite and >= 0."""


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise ValueError("must be an email address")
    return value


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    line1: str | None = Field(default=None, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country_code: str | None = Field(default=None, min_length=2, max_length=2)


class Buyer(BaseModel):
    """Who the invoice is for. Kept for the merchant: never shown on the public checkout page."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    company: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    address: Address | None = None

    @field_validator("email")
    @classmethod
    def check_email(cls, value: str | None) -> str | None:
        return _email(value)


class InvoiceItemIn(BaseModel):
    """One line: ``quantity × unit_price`` (+ ``tax``), in the invoice currency."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    sku: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    quantity: PositiveDecimal = Field(default=Decimal(1), description="Default 1")
    unit_price: NonNegativeDecimal = Field(description="Price of one unit, e.g. 19.99")
    tax: NonNegativeDecimal | None = Field(default=None, description="Tax of this line")

    @field_validator("quantity")
    @classmethod
    def sensible_quantity(cls, value: Decimal) -> Decimal:
        if decimal_places(value) > MAX_QUANTITY_PLACES:
            raise ValueError(f"must have at most {MAX_QUANTITY_PLACES} decimal places")
        if value > MAX_QUANTITY:
            raise ValueError(f"must be at most {MAX_QUANTITY}")
        return value


class InvoiceTemplate(BaseModel):
    """What an invoice and a buy-now button have in common."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    currency: str = Field(default="USD", max_length=8, description="Fiat currency code")
    items: list[InvoiceItemIn] = Field(min_length=1, max_length=MAX_ITEMS)
    shipping: NonNegativeDecimal | None = Field(default=None, description="Added to the total")
    discount: NonNegativeDecimal | None = Field(default=None, description="Taken off the total")
    webhook_url: HttpUrlText = Field(description="Your endpoint for this invoice's events")
    success_url: HttpUrlText | None = Field(
        default=None, description="Where the checkout sends the buyer once the invoice is paid"
    )
    cancel_url: HttpUrlText | None = Field(
        default=None, description="Where the checkout's 'back to the shop' link goes"
    )
    external_ref: str | None = Field(default=None, max_length=200)
    label: str | None = Field(default=None, max_length=200, description="For your dashboard")
    description: str | None = Field(default=None, max_length=2000, description="Shown to buyer")
    notes: str | None = Field(default=None, max_length=2000, description="Shown to the buyer")
    custom_data: dict[str, Any] | None = Field(
        default=None, description="Any JSON object (max 4 KiB), echoed back to you only"
    )
    expires_minutes: int | None = Field(default=None, ge=1, le=MAX_INVOICE_MINUTES, strict=True)

    @field_validator("currency")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("custom_data")
    @classmethod
    def small(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(jsonutil.dumps(value).encode()) > MAX_CUSTOM_DATA_BYTES:
            raise ValueError(f"must be at most {MAX_CUSTOM_DATA_BYTES} bytes of JSON")
        return value


class CreateInvoice(InvoiceTemplate):
    """Create an invoice. The buyer picks the asset on the checkout page (``checkout_url``),
    unless ``asset`` is given here: then the payment intent is created at once."""

    invoice_number: str | None = Field(default=None, max_length=64)
    buyer: Buyer | None = None
    due_date: AwareDatetime | None = Field(
        default=None, description="ISO 8601 with a timezone; the default expiry when given"
    )
    asset: str | None = Field(default=None, max_length=32, description="Pre-select the asset")


class CreateButton(BaseModel):
    """A buy-now button: every click creates one invoice from ``invoice``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, description="Shown on the button")
    invoice: InvoiceTemplate
    max_per_hour: int = Field(
        default=100, ge=1, le=10_000, strict=True, description="Invoices per hour, at most"
    )


# --- responses (documentation of the shapes; handlers build them in views.py) -------------------


class InvoiceItemOut(BaseModel):
    name: str
    sku: str | None
    description: str | None
    quantity: str
    unit_price: str
    tax: str
    amount: str


class InvoiceAmount(BaseModel):
    subtotal: str
    tax: str
    shipping: str
    discount: str
    total: str


class InvoiceResponse(BaseModel):
    id: str
    status: str
    currency: str
    invoice_number: str | None
    external_ref: str | None
    label: str | None
    description: str | None
    notes: str | None
    items: list[InvoiceItemOut]
    amount: InvoiceAmount
    buyer: dict[str, Any] | None
    custom_data: dict[str, Any] | None
    due_date: str | None
    expires_at: str
    checkout_url: str
    success_url: str | None
    cancel_url: str | None
    webhook_url: str
    payment: PaymentResponse | None
    payment_ids: list[str]
    created_at: str
    paid_at: str | None
    completed_at: str | None
    cancelled_at: str | None


class InvoiceList(BaseModel):
    invoices: list[InvoiceResponse]
    total: int
    limit: int
    offset: int


class ButtonResponse(BaseModel):
    id: str
    name: str
    currency: str
    total: str
    max_per_hour: int
    action_url: str
    snippet: str
    disabled: bool
    created_at: str


class ButtonList(BaseModel):
    buttons: list[ButtonResponse]
