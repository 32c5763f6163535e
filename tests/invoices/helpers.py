from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from kassa.kit import jsonutil
from kassa.models import Event
from kassa.runtime import Runtime

HOOK = "https://shop.example/webhooks/kassa"


def invoice_request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "currency": "USD",
        "items": [
            {"name": "T-shirt", "sku": "TS-1", "quantity": 2, "unit_price": "10.00", "tax": "1.60"},
            {"name": "Sticker", "unit_price": "2.50"},
        ],
        "shipping": "5.00",
        "discount": "1.00",
        "webhook_url": HOOK,
        "success_url": "https://shop.example/thanks",
        "cancel_url": "https://shop.example/cart",
        "external_ref": "ORDER-77",
        "label": "Jane Doe — summer order",
        "description": "Order #77",
        "buyer": {"name": "Jane Doe", "email": "jane@example.com"},
        "custom_data": {"cart": [1, 2], "weight": 1.25},
    }
    body.update(overrides)
    return body


async def post(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], body: Any
) -> httpx.Response:
    return await client.post(
        path,
        content=jsonutil.dumps(body),
        headers={**headers, "content-type": "application/json"},
    )


async def create_invoice(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await post(client, "/api/invoices", headers, invoice_request(**overrides))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = jsonutil.loads(response.content)
    return data


async def get_invoice(
    client: httpx.AsyncClient, headers: dict[str, str], invoice_id: str
) -> dict[str, Any]:
    response = await client.get(f"/api/invoices/{invoice_id}", headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = jsonutil.loads(response.content)
    return data


async def invoice_events(runtime: Runtime, invoice_id: str) -> list[dict[str, Any]]:
    async with runtime.db.session() as session:
        rows = (
            await session.scalars(
                select(Event).where(Event.invoice_id == uuid.UUID(invoice_id)).order_by(Event.seq)
            )
        ).all()
    return [jsonutil.loads(e.payload) for e in rows]
