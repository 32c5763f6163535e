"""Recording events in the outbox, in the caller's transaction, with their deliveries.

Each event gets one delivery row per target in the same transaction, so an event and the
promise to deliver it commit (or vanish) together: the event's own ``webhook_url`` (the
per-payment / per-withdrawal target of the CoinWerx contract) and every enabled endpoint of the
merchant subscribed to its type *at that moment*. An endpoint created later does not receive
older events by itself; ``POST /api/events/{id}/resend`` with its ``endpoint_id`` sends one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kassa.kit import jsonutil
from kassa.kit.timeutil import utcnow
from kassa.models import Event
from kassa.models.webhook import EndpointStatus, WebhookDelivery, WebhookEndpoint
from kassa.webhooks import types

_WAKE_KEY = "kassa.webhooks.new_deliveries"
_wakers: set[Callable[[], None]] = set()


def target_key(url: str) -> str:
    """``scheme://host:port`` of a URL: the unit of per-target concurrency."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = 0
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"[:300]


def message_id(event_id: uuid.UUID, endpoint_id: uuid.UUID | None) -> str:
    """The ``webhook-id`` of one event to one target: the same on every attempt."""
    suffix = "" if endpoint_id is None else f"_{endpoint_id.hex}"
    return f"msg_{event_id.hex}{suffix}"


def add_waker(wake: Callable[[], None]) -> None:
    """Call ``wake`` after every commit that created deliveries in this process."""
    _wakers.add(wake)


def remove_waker(wake: Callable[[], None]) -> None:
    _wakers.discard(wake)


def mark_new_deliveries(session: AsyncSession) -> None:
    """Wake this process's dispatchers when ``session`` commits."""
    session.info[_WAKE_KEY] = True


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_WAKE_KEY, False):
        for wake in list(_wakers):
            wake()


def delivery(event: Event, endpoint_id: uuid.UUID | None, url: str) -> WebhookDelivery:
    return WebhookDelivery(
        message_id=message_id(event.id, endpoint_id),
        event_id=event.id,
        merchant_id=event.merchant_id,
        endpoint_id=endpoint_id,
        url=url,
        target=target_key(url),
        next_attempt_at=event.created_at,
    )


async def subscribed_endpoints(
    session: AsyncSession, merchant_id: uuid.UUID, event_type: str
) -> list[tuple[uuid.UUID, str]]:
    rows = await session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.event_types).where(
            WebhookEndpoint.merchant_id == merchant_id,
            WebhookEndpoint.status == EndpointStatus.ENABLED,
        )
    )
    return [
        (eid, url)
        for eid, url, patterns in rows
        if types.matches(types.split(patterns), event_type)
    ]


async def record_event(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    payload: dict[str, Any],
    payment_id: uuid.UUID | None = None,
    withdrawal_id: uuid.UUID | None = None,
    invoice_id: uuid.UUID | None = None,
    webhook_url: str | None = None,
) -> Event:
    """Write ``payload`` (which carries its ``event`` type) to the outbox with its deliveries.
    Never commits: the event becomes visible exactly when the state change it describes does."""
    event = Event(
        id=uuid.uuid4(),
        merchant_id=merchant_id,
        type=str(payload["event"]),
        payload=jsonutil.dumps(payload),
        payment_id=payment_id,
        withdrawal_id=withdrawal_id,
        invoice_id=invoice_id,
        webhook_url=webhook_url,
        created_at=utcnow(),
    )
    session.add(event)
    await session.flush()
    targets: list[tuple[uuid.UUID | None, str]] = (
        [] if webhook_url is None else [(None, webhook_url)]
    )
    targets += await subscribed_endpoints(session, merchant_id, event.type)
    if targets:
        session.add_all([delivery(event, endpoint_id, url) for endpoint_id, url in targets])
        await session.flush()
        mark_new_deliveries(session)
    return event
