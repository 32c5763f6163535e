from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kassa.kit.dbtypes import DecimalText, UTCDateTime
from kassa.models.base import Base, CreatedAt, UUIDPk


class MerchantStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    """Every API key of the merchant answers 403."""


class Merchant(UUIDPk, CreatedAt, Base):
    __tablename__ = "merchants"

    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[MerchantStatus] = mapped_column(String(16), default=MerchantStatus.ACTIVE)
    fee_rate: Mapped[Decimal] = mapped_column(DecimalText)
    """Platform fee on inbound payments, as a fraction (0.005 = 0.5 %)."""


class ApiKey(UUIDPk, CreatedAt, Base):
    __tablename__ = "api_keys"

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("merchants.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
