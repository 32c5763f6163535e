"""Webhook endpoints, signing secrets, resends and test sends. Takes the session, never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.kit.errors import BadRequest, Conflict, NotFound
from kassa.kit.timeutil import utcnow
from kassa.models import Event
from kassa.models.webhook import (
    DeliveryStatus,
    EndpointStatus,
    SigningSecret,
    WebhookDelivery,
    WebhookEndpoint,
)
from kassa.webhooks import signing, types, views
from kassa.webhooks.events import delivery, mark_new_deliveries, record_event
from kassa.webhooks.repository import Outcome, WebhookRepository
from kassa.webhooks.ssrf import Guard, TargetRefused
from kassa.webhooks.transport import Attempt
from kassa.webhooks.vault import SecretBox

DEFAULT_GRACE = timedelta(hours=24)
MAX_ENDPOINTS = 20


class HasSecrets(Protocol):
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    secret_rotated_at: datetime | None


def signing_keys(box: SecretBox, row: HasSecrets, now: datetime) -> tuple[bytes, ...]:
    """HMAC keys to sign with: the current secret, and the previous one during its grace."""
    keys = [signing.secret_key(box.decrypt(row.secret))]
    expires = row.previous_secret_expires_at
    if row.previous_secret and expires is not None and expires > now:
        keys.append(signing.secret_key(box.decrypt(row.previous_secret)))
    return tuple(keys)


def _rotate(box: SecretBox, row: HasSecrets, grace: timedelta, now: datetime) -> str:
    """Give ``row`` a new secret; the old one stays valid for ``grace``. Returns the new one."""
    secret = signing.generate_secret()
    if grace > timedelta(0):
        row.previous_secret = row.secret
        row.previous_secret_expires_at = now + grace
    else:
        row.previous_secret = None
        row.previous_secret_expires_at = None
    row.secret = box.encrypt(secret)
    row.secret_rotated_at = now
    return secret


# -- the merchant's signing secret (per-object webhook_url targets) -----------------------------


async def create_signing_secret(
    session: AsyncSession, box: SecretBox, merchant_id: uuid.UUID
) -> str:
    """Create the merchant's signing secret (with the merchant); returns it, shown once."""
    secret = signing.generate_secret()
    session.add(SigningSecret(merchant_id=merchant_id, secret=box.encrypt(secret)))
    await session.flush()
    return secret


async def rotate_signing_secret(
    session: AsyncSession, box: SecretBox, merchant_id: uuid.UUID, grace: timedelta
) -> tuple[SigningSecret, str]:
    repo = WebhookRepository(session)
    row = await repo.signing_secret(merchant_id, lock=True)
    if row is None:
        secret = signing.generate_secret()
        row = SigningSecret(merchant_id=merchant_id, secret=box.encrypt(secret))
        session.add(row)
    else:
        secret = _rotate(box, row, grace, utcnow())
    await session.flush()
    return row, secret


async def merchant_secrets(
    repo: WebhookRepository, box: SecretBox, merchant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SigningSecret]:
    """The merchants' signing secrets, creating any that is missing (a merchant made without
    one, e.g. before webhooks existed: rotate it through the API to learn it)."""
    found = await repo.signing_secrets(merchant_ids)
    missing = set(merchant_ids) - found.keys()
    for merchant_id in missing:
        await repo.add_signing_secret(merchant_id, box.encrypt(signing.generate_secret()))
    if missing:
        found.update(await repo.signing_secrets(list(missing)))
    return found


# -- endpoints ---------------------------------------------------------------------------------


async def check_target(guard: Guard, url: str) -> None:
    """A clear 400 when ``url`` may not be called (scheme, credentials, address)."""
    try:
        await guard.target(url)
    except TargetRefused as exc:
        raise BadRequest(f"Invalid url: {exc.message}") from None


async def create_endpoint(
    session: AsyncSession,
    box: SecretBox,
    merchant_id: uuid.UUID,
    *,
    url: str,
    event_types: list[str],
    description: str | None,
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; ``url`` must have passed :func:`check_target`. Returns the secret."""
    repo = WebhookRepository(session)
    if len(await repo.endpoints_of(merchant_id)) >= MAX_ENDPOINTS:
        raise Conflict(f"A merchant can have at most {MAX_ENDPOINTS} webhook endpoints")
    secret = signing.generate_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        merchant_id=merchant_id,
        url=url,
        description=description,
        event_types=types.join(event_types),
        secret=box.encrypt(secret),
        updated_at=utcnow(),
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def get_endpoint(
    session: AsyncSession, merchant_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    endpoint = await WebhookRepository(session).endpoint_for(merchant_id, endpoint_id)
    if endpoint is None:
        raise NotFound("Webhook endpoint not found")
    return endpoint


async def update_endpoint(
    session: AsyncSession, endpoint: WebhookEndpoint, changes: dict[str, object]
) -> WebhookEndpoint:
    """Apply a PATCH; a new ``url`` must have passed :func:`check_target`."""
    now = utcnow()
    if "url" in changes:
        url = str(changes["url"])
        endpoint.url = url
        await WebhookRepository(session).retarget(endpoint.id, url)
    if "event_types" in changes:
        endpoint.event_types = types.join(list(changes["event_types"]))  # type: ignore[call-overload]
    if "description" in changes:
        value = changes["description"]
        endpoint.description = None if value is None else str(value)
    status = changes.get("status")
    if status == EndpointStatus.ENABLED and endpoint.status != EndpointStatus.ENABLED:
        endpoint.status = EndpointStatus.ENABLED
        endpoint.disabled_reason = None
        endpoint.disabled_at = None
        endpoint.failing_since = None
    elif status == EndpointStatus.DISABLED and endpoint.status != EndpointStatus.DISABLED:
        await _disable(session, endpoint, "disabled by the merchant", now)
    endpoint.updated_at = now
    await session.flush()
    return endpoint


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint; its deliveries stay in the log, pending ones are given up."""
    await WebhookRepository(session).fail_pending(endpoint.id, "endpoint deleted")
    await session.delete(endpoint)
    await session.flush()


async def rotate_endpoint_secret(
    session: AsyncSession, box: SecretBox, endpoint: WebhookEndpoint, grace: timedelta
) -> str:
    now = utcnow()
    secret = _rotate(box, endpoint, grace, now)
    endpoint.updated_at = now
    await session.flush()
    return secret


async def _disable(
    session: AsyncSession, endpoint: WebhookEndpoint, reason: str, now: datetime
) -> None:
    endpoint.status = EndpointStatus.DISABLED
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now
    endpoint.updated_at = now
    await session.flush()
    await WebhookRepository(session).fail_pending(endpoint.id, f"endpoint {reason}")


async def disable_endpoint(
    session: AsyncSession, endpoint_id: uuid.UUID, reason: str, now: datetime
) -> bool:
    """Disable a failing endpoint and record ``webhook_endpoint.disabled`` (delivered to the
    merchant's other endpoints). False when it was already disabled or is gone."""
    endpoint = await WebhookRepository(session).lock_endpoint(endpoint_id)
    if endpoint is None or endpoint.status != EndpointStatus.ENABLED:
        return False
    failing_since = endpoint.failing_since
    await _disable(session, endpoint, reason, now)
    await record_event(
        session,
        merchant_id=endpoint.merchant_id,
        payload=views.endpoint_disabled_event(endpoint, reason, failing_since, now),
    )
    return True


# -- events ------------------------------------------------------------------------------------


async def get_event(session: AsyncSession, merchant_id: uuid.UUID, event_id: uuid.UUID) -> Event:
    event = await WebhookRepository(session).event_for(merchant_id, event_id)
    if event is None:
        raise NotFound("Event not found")
    return event


async def resend(
    session: AsyncSession, merchant_id: uuid.UUID, event: Event, endpoint_id: uuid.UUID | None
) -> list[WebhookDelivery]:
    """Make the event's deliveries due now with a fresh retry schedule (the same
    ``webhook-id``). With ``endpoint_id``, only to that endpoint, creating the delivery when the
    event predates it or was not subscribed."""
    repo = WebhookRepository(session)
    now = utcnow()
    deliveries = list(await repo.deliveries_of(event.id))
    if endpoint_id is not None:
        endpoint = await get_endpoint(session, merchant_id, endpoint_id)
        if endpoint.status != EndpointStatus.ENABLED:
            raise Conflict("Webhook endpoint is disabled: enable it first")
        deliveries = [d for d in deliveries if d.endpoint_id == endpoint.id]
        if not deliveries:
            created = delivery(event, endpoint.id, endpoint.url)
            created.next_attempt_at = now
            session.add(created)
            await session.flush()
            mark_new_deliveries(session)
            return [created]
    else:
        enabled = {
            e.id for e in await repo.endpoints_of(merchant_id) if e.status == EndpointStatus.ENABLED
        }
        deliveries = [d for d in deliveries if d.endpoint_id is None or d.endpoint_id in enabled]
        if not deliveries:
            raise Conflict("This event has no enabled webhook target to resend to")
    await repo.requeue([d.id for d in deliveries], now)
    for d in deliveries:
        d.status, d.next_attempt_at, d.failures = DeliveryStatus.PENDING, now, 0
    mark_new_deliveries(session)
    return deliveries


async def start_test(
    session: AsyncSession, endpoint: WebhookEndpoint, lease: timedelta
) -> tuple[Event, WebhookDelivery]:
    """Record a ``webhook_endpoint.test`` event with one delivery, to this endpoint only,
    already leased to the caller (who sends it once, now)."""
    now = utcnow()
    payload = views.test_event(endpoint, now)
    event = Event(
        id=uuid.uuid4(),
        merchant_id=endpoint.merchant_id,
        type=types.ENDPOINT_TEST,
        payload=views.dumps(payload),
        created_at=now,
    )
    session.add(event)
    await session.flush()
    created = delivery(event, endpoint.id, endpoint.url)
    created.next_attempt_at = now + lease
    created.lease_token = 1
    session.add(created)
    await session.flush()
    return event, created


async def finish_test(session: AsyncSession, attempt: Attempt) -> None:
    """Record a test send: succeeded or failed, never retried, no effect on endpoint health."""
    job = attempt.job
    status = DeliveryStatus.SUCCEEDED if attempt.succeeded else DeliveryStatus.FAILED
    outcome = Outcome(
        delivery_id=job.delivery_id,
        token=job.token,
        url=job.url,
        status=status,
        next_attempt_at=attempt.attempted_at,
        failures=0 if attempt.succeeded else 1,
        attempted_at=attempt.attempted_at,
        status_code=attempt.status_code,
        error=attempt.error,
        delivered_at=attempt.attempted_at if attempt.succeeded else None,
    )
    await WebhookRepository(session).record([outcome], [attempt.row()])
