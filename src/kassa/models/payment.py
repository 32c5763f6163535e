from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kassa.kit.dbtypes import AtomicAmount, DecimalText, UTCDateTime
from kassa.kit.timeutil import utcnow
from kassa.models.base import Base, CreatedAt, UUIDPk


class PaymentStatus(StrEnum):
    PENDING = "pending"
    """Awaiting payment: no transaction detected yet."""
    DETECTED = "detected"
    """A transaction was seen on-chain; awaiting confirmations or the rest of the amount."""
    CONFIRMED = "confirmed"
    """Confirmed receipts cover the requested amount: the payment is complete."""
    EXPIRED = "expired"
    """The payment window closed with no transaction."""
    UNDERPAID = "underpaid"
    """The window closed and the confirmed receipts are less than the requested amount."""


class ReceiptStatus(StrEnum):
    SEEN = "seen"
    """In the mempool or in a block with fewer than the required confirmations: pending funds."""
    CONFIRMED = "confirmed"
    """Required confirmations reached: credited to the available balance net of the fee."""
    REVERTED = "reverted"
    """Its block left the main chain (or it was dropped): no longer counted."""


class AddressCounter(Base):
    """The next derivation index per receiving key: issuing an address never scans."""

    __tablename__ = "address_counters"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_index: Mapped[int] = mapped_column(BigInteger, default=0)


class AddressPool(Base):
    """Pre-derived addresses for chains without public derivation (Solana)."""

    __tablename__ = "address_pool"

    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    address: Mapped[str] = mapped_column(String(128), unique=True)


class DepositAddress(UUIDPk, CreatedAt, Base):
    """A watched deposit target; the watcher looks incoming transfers up by ``match_key``."""

    __tablename__ = "deposit_addresses"
    __table_args__ = (
        Index("uq_deposit_addresses_chain_match_key", "chain", "match_key", unique=True),
    )

    chain: Mapped[str] = mapped_column(String(16))
    match_key: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(128))
    destination_tag: Mapped[int | None] = mapped_column(BigInteger, default=None)
    key_id: Mapped[str] = mapped_column(String(64))
    derivation_index: Mapped[int] = mapped_column(BigInteger)
    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class Payment(UUIDPk, CreatedAt, Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_merchant_created", "merchant_id", "created_at"),
        Index("ix_payments_status_expires", "status", "expires_at"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("merchants.id"))
    status: Mapped[PaymentStatus] = mapped_column(String(16), default=PaymentStatus.PENDING)
    asset: Mapped[str] = mapped_column(String(16))
    chain: Mapped[str] = mapped_column(String(16))
    network: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    destination_tag: Mapped[int | None] = mapped_column(BigInteger, default=None)
    amount_atomic: Mapped[int] = mapped_column(AtomicAmount)
    amount_fiat: Mapped[Decimal | None] = mapped_column(DecimalText, default=None)
    fiat_currency: Mapped[str] = mapped_column(String(3))
    live_price: Mapped[Decimal | None] = mapped_column(DecimalText, default=None)
    external_ref: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    webhook_url: Mapped[str] = mapped_column(String(2048))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_atomic: Mapped[int] = mapped_column(AtomicAmount, default=0)
    """Sum of receipts not reverted (seen or confirmed)."""
    confirmed_atomic: Mapped[int] = mapped_column(AtomicAmount, default=0)
    """Sum of confirmed receipts."""
    receipt_count: Mapped[int] = mapped_column(Integer, default=0)
    paid_late: Mapped[bool] = mapped_column(Boolean, default=False)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Receipt(UUIDPk, CreatedAt, Base):
    """One on-chain transfer to a payment's deposit target; idempotent per (chain, tx, index)."""

    __tablename__ = "receipts"
    __table_args__ = (
        Index("uq_receipts_chain_tx_index", "chain", "tx_hash", "output_index", unique=True),
        Index("ix_receipts_chain_status", "chain", "status"),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("payments.id"), index=True)
    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    chain: Mapped[str] = mapped_column(String(16))
    asset: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str] = mapped_column(String(128))
    output_index: Mapped[int] = mapped_column(Integer)
    amount_atomic: Mapped[int] = mapped_column(AtomicAmount)
    status: Mapped[ReceiptStatus] = mapped_column(String(16), default=ReceiptStatus.SEEN)
    block_height: Mapped[int | None] = mapped_column(BigInteger, default=None)
    block_hash: Mapped[str | None] = mapped_column(String(128), default=None)
    confirmations: Mapped[int] = mapped_column(Integer, default=0)
    fee_atomic: Mapped[int] = mapped_column(AtomicAmount, default=0)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    """The transfer arrived after the payment window closed."""
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    """1-based order among the payment's receipts (CoinWerx ``transaction_count``)."""
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    missing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    """When a mempool receipt was first found neither in the mempool nor in a block."""
