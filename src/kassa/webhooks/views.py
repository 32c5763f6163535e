"""Pure mapping from webhook rows to the wire shapes of the API and of Kassa's own events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kassa.kit import jsonutil
from kassa.kit.timeutil import isoformat
from kassa.models import Event
from kassa.models.webhook import (
    DeliveryStatus,
    SigningSecret,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from kassa.webhooks import types


def dumps(payload: dict[str, Any]) -> str:
    return jsonutil.dumps(payload)


def _ts(value: datetime | None) -> str | None:
    return None if value is None else isoformat(value)


def _id(value: object | None) -> str | None:
    return None if value is None else str(value)


def endpoint_body(endpoint: WebhookEndpoint, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(endpoint.id),
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": types.split(endpoint.event_types),
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_at": _ts(endpoint.disabled_at),
        "failing_since": _ts(endpoint.failing_since),
        "secret_rotated_at": _ts(endpoint.secret_rotated_at),
        "previous_secret_expires_at": _ts(endpoint.previous_secret_expires_at),
        "created_at": isoformat(endpoint.created_at),
        "updated_at": isoformat(endpoint.updated_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def signing_secret_body(row: SigningSecret, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "created_at": isoformat(row.created_at),
        "secret_rotated_at": _ts(row.secret_rotated_at),
        "previous_secret_expires_at": _ts(row.previous_secret_expires_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def event_body(event: Event) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "type": event.type,
        "created_at": isoformat(event.created_at),
        "payment_id": _id(event.payment_id),
        "withdrawal_id": _id(event.withdrawal_id),
        "invoice_id": _id(event.invoice_id),
        "webhook_url": event.webhook_url,
        "payload": jsonutil.loads(event.payload),
    }


def attempt_body(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "attempted_at": isoformat(attempt.attempted_at),
        "url": attempt.url,
        "succeeded": attempt.succeeded,
        "status_code": attempt.status_code,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error,
        "response_body": attempt.response_body,
    }


def delivery_body(
    delivery: WebhookDelivery, attempts: Sequence[WebhookAttempt] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": delivery.message_id,
        "event_id": str(delivery.event_id),
        "target": "webhook_url" if delivery.endpoint_id is None else "endpoint",
        "endpoint_id": _id(delivery.endpoint_id),
        "url": delivery.url,
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "next_attempt_at": (
            isoformat(delivery.next_attempt_at)
            if delivery.status == DeliveryStatus.PENDING
            else None
        ),
        "last_attempt_at": _ts(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": _ts(delivery.delivered_at),
        "created_at": isoformat(delivery.created_at),
    }
    if attempts is not None:
        body["attempts"] = [attempt_body(a) for a in attempts]
    return body


def endpoint_disabled_event(
    endpoint: WebhookEndpoint, reason: str, failing_since: datetime | None, at: datetime
) -> dict[str, Any]:
    return {
        "event": types.ENDPOINT_DISABLED,
        "endpoint_id": str(endpoint.id),
        "url": endpoint.url,
        "reason": reason,
        "failing_since": _ts(failing_since),
        "timestamp": isoformat(at),
    }


def test_event(endpoint: WebhookEndpoint, at: datetime) -> dict[str, Any]:
    return {
        "event": types.ENDPOINT_TEST,
        "endpoint_id": str(endpoint.id),
        "url": endpoint.url,
        "timestamp": isoformat(at),
    }
