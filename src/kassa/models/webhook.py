"""Models of the webhook domain: endpoints, signing secrets, deliveries and their attempts.

Secrets are stored encrypted (``kassa.webhooks.secrets.SecretBox``), never in clear.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from kassa.kit.dbtypes import UTCDateTime
from kassa.kit.timeutil import utcnow
from kassa.models.base import Base, CreatedAt, UUIDPk

BIGINT = BigInteger().with_variant(Integer, "sqlite")


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    """Receives nothing: by the merchant, after a 410 Gone, or after failing for days."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    """Due at ``next_attempt_at``: waiting for its first attempt, a retry, or a lease to expire."""
    SUCCEEDED = "succeeded"
    """The target answered 2xx."""
    FAILED = "failed"
    """Given up: the retry schedule ran out, the target answered 410, or it was disabled."""


class WebhookEndpoint(UUIDPk, CreatedAt, Base):
    """A merchant-level endpoint subscribed to event types (``*``, ``payment.*``, exact names)."""

    __tablename__ = "webhook_endpoints"

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("merchants.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    event_types: Mapped[str] = mapped_column(String(2000))
    """Comma-separated subscription patterns."""
    status: Mapped[EndpointStatus] = mapped_column(String(16), default=EndpointStatus.ENABLED)
    disabled_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    """First failed attempt since the last success; cleared by any success."""
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text, default=None)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SigningSecret(CreatedAt, Base):
    """The merchant's signing secret for the per-object ``webhook_url`` of payments and
    withdrawals (the CoinWerx targets)."""

    __tablename__ = "webhook_signing_secrets"

    merchant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("merchants.id"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text, default=None)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class WebhookDelivery(CreatedAt, Base):
    """One event to one target: the event's own ``webhook_url`` or one endpoint.

    ``message_id`` is the ``webhook-id`` header, the same on every attempt. A worker claims a
    due delivery by pushing ``next_attempt_at`` one lease ahead and bumping ``lease_token``; it
    writes the outcome only while the token is still its own. A worker that dies leaves the
    delivery due again when the lease runs out.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(80), unique=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("events.id"), index=True)
    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None, index=True)
    """``None``: the event's own ``webhook_url``, signed with the merchant's signing secret."""
    url: Mapped[str] = mapped_column(String(2048))
    target: Mapped[str] = mapped_column(String(300))
    """``scheme://host:port`` of ``url``: concurrency is limited per target."""
    status: Mapped[DeliveryStatus] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_token: Mapped[int] = mapped_column(Integer, default=0)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    """Failed attempts since the last success or resend: the position in the retry schedule."""
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery, as the delivery log shows it."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        BIGINT, ForeignKey("webhook_deliveries.id"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    url: Mapped[str] = mapped_column(String(2048))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    """The first bytes of the response body (at most 1 KiB), decoded as UTF-8."""
