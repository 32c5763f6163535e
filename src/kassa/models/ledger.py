from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kassa.kit.dbtypes import AtomicAmount, UTCDateTime
from kassa.kit.timeutil import utcnow
from kassa.models.base import Base, CreatedAt, UUIDPk


class AccountKind(StrEnum):
    AVAILABLE = "available"
    """A merchant's spendable funds."""
    PENDING = "pending"
    """A merchant's funds seen on-chain but not yet confirmed."""
    REVENUE = "revenue"
    """The platform's fee income."""
    EXTERNAL = "external"
    """The outside world: the counterpart of every deposit and withdrawal. Its balance is minus
    everything Kassa holds of the asset."""


class LedgerAccount(UUIDPk, Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (Index("uq_ledger_accounts_owner", "owner", "asset", "kind", unique=True),)

    owner: Mapped[str] = mapped_column(String(64))
    """``merchant:<uuid>`` or ``platform``."""
    merchant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None, index=True)
    asset: Mapped[str] = mapped_column(String(16))
    kind: Mapped[AccountKind] = mapped_column(String(16))
    balance: Mapped[int] = mapped_column(AtomicAmount, default=0)
    """Running balance, kept in the same transaction as the entries; checkable against them."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerTransaction(UUIDPk, CreatedAt, Base):
    """One balanced journal transaction: its entries sum to zero per asset."""

    __tablename__ = "ledger_transactions"

    kind: Mapped[str] = mapped_column(String(32))
    merchant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    receipt_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)


class LedgerEntry(CreatedAt, Base):
    """An append-only posting of a signed amount to one account."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_merchant_asset", "merchant_id", "asset", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ledger_transactions.id"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ledger_accounts.id"), index=True
    )
    merchant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    asset: Mapped[str] = mapped_column(String(16))
    kind: Mapped[AccountKind] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(AtomicAmount)
