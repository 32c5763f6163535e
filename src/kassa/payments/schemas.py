"""Request and response shapes of ``/api/payments``."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kassa.kit.validators import HttpUrlText, PositiveDecimal

MAX_EXPIRES_MINUTES = 7 * 24 * 60


class CreatePayment(BaseModel):
    """Create a payment intent. Give ``amount_fiat`` or ``amount_crypto`` (or both: the crypto
    amount is then what the buyer must send, and the fiat amount is kept for your records)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    asset: str = Field(max_length=32, description="Asset symbol, e.g. BTC, USDT-TRC20")
    webhook_url: HttpUrlText = Field(description="Your endpoint for this payment's events")
    amount_fiat: PositiveDecimal | None = Field(default=None, description="Amount in fiat")
    fiat_currency: str = Field(default="USD", max_length=8, description="Fiat currency code")
    amount_crypto: PositiveDecimal | None = Field(default=None, description="Exact crypto amount")
    external_ref: str | None = Field(default=None, max_length=200)
    label: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    expires_minutes: int | None = Field(default=None, ge=1, le=MAX_EXPIRES_MINUTES, strict=True)

    @field_validator("asset", "fiat_currency")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()


class PaymentResponse(BaseModel):
    id: str
    status: str
    asset: str
    network: str
    address: str
    destination_tag: int | None = None
    amount_fiat: str | None
    amount_crypto: str
    fiat_currency: str
    live_price_used: Decimal | None
    external_ref: str | None
    label: str | None
    description: str | None
    expires_at: str
    instructions: str
    amount_received: str
    amount_pending: str
    amount_overpaid: str
    confirmations_required: int
    transaction_count: int
    tx_hashes: list[str]
    late_payment: bool
    created_at: str
    confirmed_at: str | None


class PaymentList(BaseModel):
    payments: list[PaymentResponse]
    total: int
    limit: int
    offset: int
