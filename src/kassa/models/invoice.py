"""Models of the invoice domain: invoices and their line items, buy-now buttons, and the
merchant dashboard's users, sessions and login attempts.

Invoice amounts are integers of the invoice currency's minor unit (cents; yen have none), so
the breakdown adds up exactly: ``total = subtotal + tax + shipping - discount``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kassa.kit.dbtypes import AtomicAmount, DecimalText, UTCDateTime
from kassa.kit.timeutil import utcnow
from kassa.models.base import Base, CreatedAt, UUIDPk


class InvoiceStatus(StrEnum):
    UNPAID = "unpaid"
    """Nothing received yet (the buyer may not have chosen an asset)."""
    PENDING = "pending"
    """Part of the amount was seen on chain; the buyer must send the rest."""
    PAID = "paid"
    """The whole amount was seen on chain and awaits its confirmations: do not ship yet."""
    COMPLETED = "completed"
    """The payment is confirmed and credited to the merchant's balance: fulfil the order."""
    CANCELLED = "cancelled"
    """Cancelled by the merchant before anything was received."""
    TIMED_OUT = "timed_out"
    """The invoice expired unpaid, or its payment window closed with only part of the amount."""


class Invoice(UUIDPk, CreatedAt, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_merchant_created", "merchant_id", "created_at"),
        Index("ix_invoices_status_expires", "status", "expires_at"),
        Index("ix_invoices_button_created", "button_id", "created_at"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("merchants.id"))
    status: Mapped[InvoiceStatus] = mapped_column(String(16), default=InvoiceStatus.UNPAID)
    currency: Mapped[str] = mapped_column(String(8))
    number: Mapped[str | None] = mapped_column(String(64), default=None)
    external_ref: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    """Shown to the buyer on the checkout page."""
    buyer: Mapped[str | None] = mapped_column(Text, default=None)
    """JSON object: name, email, company, phone, address. Never shown on public pages."""
    custom_data: Mapped[str | None] = mapped_column(Text, default=None)
    """JSON object kept for the merchant and echoed in the API and events only."""
    subtotal: Mapped[int] = mapped_column(AtomicAmount)
    tax: Mapped[int] = mapped_column(AtomicAmount)
    shipping: Mapped[int] = mapped_column(AtomicAmount)
    discount: Mapped[int] = mapped_column(AtomicAmount)
    total: Mapped[int] = mapped_column(AtomicAmount)
    webhook_url: Mapped[str] = mapped_column(String(2048))
    success_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    cancel_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """The payment the checkout page shows now (the buyer's latest asset choice)."""
    payment_count: Mapped[int] = mapped_column(Integer, default=0)
    button_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """When the invoice's payments were last looked at by the invoice sync."""
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InvoiceItem(Base):
    """One line of an invoice; amounts in the invoice currency's minor unit."""

    __tablename__ = "invoice_items"

    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("invoices.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(100), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    unit_price: Mapped[int] = mapped_column(AtomicAmount)
    tax: Mapped[int] = mapped_column(AtomicAmount)
    amount: Mapped[int] = mapped_column(AtomicAmount)
    """``quantity × unit_price``, exact (tax not included)."""


class InvoicePayment(CreatedAt, Base):
    """Every payment intent created for an invoice: all of them count toward it."""

    __tablename__ = "invoice_payments"

    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("payments.id"), primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("invoices.id"), index=True)


class BuyNowButton(UUIDPk, CreatedAt, Base):
    """A stored invoice template: each click on the button creates one invoice from it."""

    __tablename__ = "buy_now_buttons"

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(Text)
    """The JSON invoice request every click uses; the buyer cannot change it."""
    max_per_hour: Mapped[int] = mapped_column(Integer)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DashboardUser(UUIDPk, CreatedAt, Base):
    """A person who logs in to the merchant dashboard."""

    __tablename__ = "dashboard_users"

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("merchants.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    """argon2id, with its parameters (``$argon2id$v=19$m=...``)."""
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DashboardSession(CreatedAt, Base):
    """A logged-in browser. The cookie holds the token; only its SHA-256 is stored."""

    __tablename__ = "dashboard_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("dashboard_users.id"), index=True)
    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginAttempt(UUIDPk, CreatedAt, Base):
    """One dashboard login try, for lockout after repeated failures."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_created", "email", "created_at"),
        Index("ix_login_attempts_ip_created", "ip", "created_at"),
    )

    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
