"""Rows the dashboard's templates print: formatted, never raw model objects."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import registry
from kassa.invoices.amounts import format_minor
from kassa.kit import jsonutil
from kassa.kit.money import format_atomic
from kassa.kit.timeutil import as_utc
from kassa.models import Event, Payment
from kassa.models.invoice import Invoice
from kassa.webhooks.repository import WebhookRepository


def when(value: datetime | None) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def payment_row(p: Payment) -> dict[str, Any]:
    asset = registry().assets[p.asset]
    return {
        "id": str(p.id),
        "created": when(p.created_at),
        "label": p.label,
        "external_ref": p.external_ref,
        "asset": p.asset,
        "amount": format_atomic(p.amount_atomic, asset.decimals),
        "status": p.status,
    }


def invoice_row(i: Invoice) -> dict[str, Any]:
    return {
        "id": str(i.id),
        "created": when(i.created_at),
        "label": i.label,
        "external_ref": i.external_ref,
        "number": i.number,
        "total": f"{format_minor(i.total, i.currency)} {i.currency}",
        "status": i.status,
    }


async def event_rows(
    session: AsyncSession, events: Sequence[Event], back: str
) -> list[dict[str, Any]]:
    """Each event with its webhook deliveries (target, status, attempts, last result)."""
    repo = WebhookRepository(session)
    rows: list[dict[str, Any]] = []
    for event in events:
        deliveries = await repo.deliveries_of(event.id)
        rows.append(
            {
                "id": str(event.id),
                "type": event.type,
                "created": when(event.created_at),
                "payload": jsonutil.dumps(jsonutil.loads(event.payload)),
                "deliveries": [
                    {
                        "url": d.url,
                        "status": d.status,
                        "attempts": d.attempt_count,
                        "result": (
                            f"HTTP {d.last_status_code}"
                            if d.last_status_code is not None
                            else (d.last_error or "—")
                        ),
                    }
                    for d in deliveries
                ],
                "can_resend": bool(deliveries),
                "resend_url": f"/dashboard/events/{event.id}/resend?{urlencode({'next': back})}",
            }
        )
    return rows


@dataclass(frozen=True, slots=True)
class Pager:
    page: int
    pages: int
    prev: str | None
    next: str | None


def pager(path: str, params: dict[str, str], page: int, total: int, size: int) -> Pager:
    pages = max(1, -(-total // size))
    kept = {k: v for k, v in params.items() if v}

    def link(n: int) -> str:
        return f"{path}?{urlencode({**kept, 'page': str(n)})}"

    return Pager(
        page=page,
        pages=pages,
        prev=link(page - 1) if page > 1 else None,
        next=link(page + 1) if page < pages else None,
    )


def safe_next(value: str | None, default: str) -> str:
    """Only a dashboard path: never an open redirect."""
    if value and value.startswith("/dashboard") and "//" not in value and "\\" not in value:
        return value
    return default


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
