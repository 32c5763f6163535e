from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from kassa.kit import jsonutil
from kassa.models import Event
from kassa.runtime import Runtime

HOOK = "https://shop.example/webhooks/kassa"


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("webhook_url", HOOK)
    response = await client.post(
        "/api/payments",
        content=jsonutil.dumps(body),
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = jsonutil.loads(response.content)
    return data


async def fetch(
    client: httpx.AsyncClient, headers: dict[str, str], payment_id: str
) -> dict[str, Any]:
    response = await client.get(f"/api/payments/{payment_id}", headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = jsonutil.loads(response.content)
    return data


async def balance(client: httpx.AsyncClient, headers: dict[str, str], asset: str) -> dict[str, str]:
    response = await client.get("/api/ledger/balance", headers=headers)
    assert response.status_code == 200, response.text
    balances: dict[str, dict[str, str]] = response.json()["balances"]
    return balances.get(asset, {"available": "0", "pending": "0"})


async def events(runtime: Runtime, payment_id: str) -> list[dict[str, Any]]:
    async with runtime.db.session() as session:
        rows = (
            await session.scalars(
                select(Event).where(Event.payment_id == uuid.UUID(payment_id)).order_by(Event.seq)
            )
        ).all()
    return [jsonutil.loads(e.payload) for e in rows]
