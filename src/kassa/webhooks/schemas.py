"""Request and response shapes of ``/api/webhooks`` and ``/api/events``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kassa.kit.validators import HttpUrlText
from kassa.webhooks import types

MAX_GRACE_SECONDS = 7 * 24 * 3600


class CreateEndpoint(BaseModel):
    """A merchant-level endpoint. Its signing secret is returned once, in the response."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: HttpUrlText = Field(description="https URL that receives the events")
    event_types: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Event types to receive: exact names, 'payment.*' or '*' (the default)",
    )
    description: str | None = Field(default=None, max_length=500)

    @field_validator("event_types")
    @classmethod
    def check_types(cls, value: list[str]) -> list[str]:
        return types.check_patterns(value)


class UpdateEndpoint(BaseModel):
    """Change only the fields given. ``status: enabled`` re-enables a disabled endpoint."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: HttpUrlText | None = None
    event_types: list[str] | None = None
    description: str | None = Field(default=None, max_length=500)
    status: Literal["enabled", "disabled"] | None = None

    @field_validator("event_types")
    @classmethod
    def check_types(cls, value: list[str] | None) -> list[str]:
        if value is None:
            raise ValueError("must not be null")
        return types.check_patterns(value)

    @field_validator("url")
    @classmethod
    def not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("must not be null")
        return value


class RotateSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: int = Field(
        default=86400,
        ge=0,
        le=MAX_GRACE_SECONDS,
        strict=True,
        description="How long the old secret keeps signing too (default 24 h, at most 7 days)",
    )


class Resend(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint_id: str | None = Field(
        default=None, description="Resend only to this endpoint (also one created later)"
    )


class EndpointResponse(BaseModel):
    id: str
    url: str
    description: str | None
    event_types: list[str]
    status: str
    disabled_reason: str | None
    disabled_at: str | None
    failing_since: str | None
    secret_rotated_at: str | None
    previous_secret_expires_at: str | None
    created_at: str
    updated_at: str


class EndpointCreated(EndpointResponse):
    secret: str = Field(description="whsec_... signing secret, shown once")


class EndpointList(BaseModel):
    endpoints: list[EndpointResponse]


class SigningSecretResponse(BaseModel):
    created_at: str
    secret_rotated_at: str | None
    previous_secret_expires_at: str | None


class SigningSecretRotated(SigningSecretResponse):
    secret: str = Field(description="whsec_... signing secret, shown once")


class EventResponse(BaseModel):
    id: str
    type: str
    created_at: str
    payment_id: str | None
    withdrawal_id: str | None
    invoice_id: str | None
    webhook_url: str | None
    payload: dict[str, Any] = Field(description="The exact JSON body delivered")


class EventList(BaseModel):
    events: list[EventResponse]
    total: int
    limit: int
    offset: int


class AttemptResponse(BaseModel):
    attempted_at: str
    url: str
    succeeded: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None = Field(description="First bytes of the response (≤ 1 KiB)")


class DeliveryResponse(BaseModel):
    id: str = Field(description="The webhook-id header: the same on every attempt")
    event_id: str
    target: Literal["webhook_url", "endpoint"]
    endpoint_id: str | None
    url: str
    status: Literal["pending", "succeeded", "failed"]
    attempt_count: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: str | None
    created_at: str
    attempts: list[AttemptResponse] = Field(default_factory=list)


class DeliveryList(BaseModel):
    deliveries: list[DeliveryResponse]


class TestResult(BaseModel):
    event_id: str
    delivery: DeliveryResponse
