"""Models of the withdrawal domain: withdrawals, batch payouts, and per-key payout limits."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kassa.kit.dbtypes import AtomicAmount, DecimalText, UTCDateTime
from kassa.kit.timeutil import utcnow
from kassa.models.base import Base, CreatedAt, UUIDPk


class WithdrawalStatus(StrEnum):
    DRAFT = "draft"
    """Above the creating key's USD limit: funds held, waiting for an approver key."""
    PENDING = "pending"
    """Accepted, funds held, waiting for the executor to sign and broadcast."""
    BROADCASTING = "broadcasting"
    """Submitted to the network, waiting for the asset's required confirmations."""
    COMPLETED = "completed"
    """Confirmed on-chain at the asset's required confirmations (terminal)."""
    FAILED = "failed"
    """Refused by the network; the hold was restored in full (terminal)."""
    REJECTED = "rejected"
    """A draft an approver rejected; the hold was restored in full (terminal)."""


TERMINAL_STATUSES = frozenset(
    {WithdrawalStatus.COMPLETED, WithdrawalStatus.FAILED, WithdrawalStatus.REJECTED}
)


class BatchStatus(StrEnum):
    DRAFT = "draft"
    """Every payout of the batch waits for approval."""
    PROCESSING = "processing"
    """Accepted; no payout has completed yet."""
    PARTIAL = "partial"
    """Some payouts completed, others are in progress or failed."""
    COMPLETED = "completed"
    """Every payout completed."""
    FAILED = "failed"
    """Every payout failed or was rejected; every hold was restored."""


class WithdrawalBatch(UUIDPk, CreatedAt, Base):
    """One ``POST /api/batch-payouts``: a withdrawal per recipient, all of one asset."""

    __tablename__ = "withdrawal_batches"
    __table_args__ = (Index("ix_withdrawal_batches_merchant_created", "merchant_id", "created_at"),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("merchants.id"))
    api_key_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[BatchStatus] = mapped_column(String(16))
    asset: Mapped[str] = mapped_column(String(16))
    total_recipients: Mapped[int] = mapped_column(Integer)
    total_amount: Mapped[int] = mapped_column(AtomicAmount)
    total_platform_fee: Mapped[int] = mapped_column(AtomicAmount)
    total_network_fee: Mapped[int] = mapped_column(AtomicAmount)
    fees_usd: Mapped[Decimal] = mapped_column(DecimalText)
    external_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Withdrawal(UUIDPk, CreatedAt, Base):
    """A payout of ``amount`` to one destination; the merchant pays both fees on top.

    Amounts are atomic units of ``asset`` except ``network_fee_native``, ``signed_fee`` and
    ``actual_fee_native``, which are atomic units of ``native_asset`` (what the chain charges).
    ``amount + platform_fee + network_fee`` is held from the merchant's available balance from
    creation until the withdrawal completes, fails or is rejected.
    """

    __tablename__ = "withdrawals"
    __table_args__ = (
        Index("ix_withdrawals_merchant_created", "merchant_id", "created_at"),
        Index("ix_withdrawals_status_claim", "status", "claimed_until"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("merchants.id"))
    api_key_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("withdrawal_batches.id"), default=None, index=True
    )
    status: Mapped[WithdrawalStatus] = mapped_column(String(16))
    asset: Mapped[str] = mapped_column(String(16))
    chain: Mapped[str] = mapped_column(String(16))
    network: Mapped[str] = mapped_column(String(16))
    destination_address: Mapped[str] = mapped_column(String(128))
    destination_tag: Mapped[int | None] = mapped_column(BigInteger, default=None)
    amount: Mapped[int] = mapped_column(AtomicAmount)
    platform_fee: Mapped[int] = mapped_column(AtomicAmount)
    platform_fee_usd: Mapped[Decimal] = mapped_column(DecimalText)
    network_fee: Mapped[int] = mapped_column(AtomicAmount)
    """The network fee charged, converted into ``asset`` at request time."""
    network_fee_native: Mapped[int] = mapped_column(AtomicAmount)
    """The chain's fee quote at request time."""
    native_asset: Mapped[str] = mapped_column(String(16))
    fee_refund: Mapped[int] = mapped_column(AtomicAmount, default=0)
    """Network fee given back at completion because the chain charged less than quoted."""
    price_usd: Mapped[Decimal] = mapped_column(DecimalText)
    """The USD price of ``asset`` the fees were converted at."""
    external_ref: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)

    tx_hash: Mapped[str | None] = mapped_column(String(128), default=None)
    signed_raw: Mapped[str | None] = mapped_column(Text, default=None)
    """The signed transaction, stored before its first broadcast and re-broadcast as is."""
    signed_fee: Mapped[int | None] = mapped_column(AtomicAmount, default=None)
    actual_fee_native: Mapped[int | None] = mapped_column(AtomicAmount, default=None)
    confirmations: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    decided_by_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    """The executor that holds the withdrawal until then; also "not before" after an error."""
    broadcast_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def held(self) -> int:
        """What the withdrawal holds from the merchant's available balance."""
        return self.amount + self.platform_fee + self.network_fee


class ApiKeyPayoutLimit(Base):
    """A per-withdrawal USD limit of one API key: above it, withdrawals are created as drafts."""

    __tablename__ = "api_key_payout_limits"

    api_key_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("api_keys.id"), primary_key=True)
    withdrawal_limit_usd: Mapped[Decimal] = mapped_column(DecimalText)
