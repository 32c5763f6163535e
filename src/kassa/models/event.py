from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kassa.models.base import Base, CreatedAt


class Event(CreatedAt, Base):
    """The outbox: written in the same transaction as the state change it describes.

    ``seq`` orders events as they were written; ``id`` is the public, stable identifier.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_merchant_seq", "merchant_id", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    """The exact JSON body to deliver (amounts as exact numbers)."""
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None, index=True)
    withdrawal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None, index=True)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None, index=True)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
