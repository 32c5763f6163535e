"""Idempotency keys: the first response to a money-moving request, replayed for its retries."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kassa.kit.dbtypes import UTCDateTime
from kassa.models.base import Base, CreatedAt, UUIDPk


class IdempotencyStatus(StrEnum):
    IN_FLIGHT = "in_flight"
    """A request with this key is being processed (committed before its effect runs)."""
    COMPLETED = "completed"
    """The effect and ``response_*`` were committed together."""


class IdempotencyKey(UUIDPk, CreatedAt, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("uq_idempotency_keys_merchant_key", "merchant_id", "key", unique=True),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("merchants.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the method, path and canonical JSON body of the first request."""
    status: Mapped[IdempotencyStatus] = mapped_column(String(16))
    claim_token: Mapped[uuid.UUID] = mapped_column(Uuid)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
