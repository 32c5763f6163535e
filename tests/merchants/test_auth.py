"""Bearer keys, scopes, disabled merchants and tenant isolation."""

from __future__ import annotations

import uuid

import httpx
import pytest

from kassa.merchants.scopes import Scope
from kassa.merchants.service import set_status
from kassa.models.merchant import MerchantStatus
from kassa.runtime import Runtime
from tests.conftest import MerchantKey, make_merchant
from tests.payments.helpers import create


async def test_missing_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/payments")
    assert response.status_code == 401
    assert response.json() == {"error": "Missing API key: send Authorization: Bearer <key>"}
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer ks_wrong", "Basic dXNlcjpwYXNz", "Bearer ", "ks_no_scheme"],
)
async def test_wrong_key_is_401(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/payments", headers={"Authorization": header})
    assert response.status_code == 401
    assert "error" in response.json()


async def test_disabled_merchant_is_403(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime
) -> None:
    async with runtime.db.session() as session:
        await set_status(session, uuid.UUID(merchant.merchant_id), MerchantStatus.DISABLED)
    response = await client.get("/api/payments", headers=merchant.headers)
    assert response.status_code == 403
    assert response.json() == {"error": "Merchant account is disabled"}


async def test_read_only_key_cannot_create_payments(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    reader = await make_merchant(runtime, scopes=frozenset({Scope.READ}))
    response = await client.post(
        "/api/payments",
        json={"asset": "BTC", "amount_crypto": 1, "webhook_url": "https://a.example/h"},
        headers=reader.headers,
    )
    assert response.status_code == 403
    assert response.json() == {"error": "This API key lacks the 'write' scope"}
    listing = await client.get("/api/payments", headers=reader.headers)
    assert listing.json()["total"] == 0


async def test_write_only_key_cannot_read(client: httpx.AsyncClient, runtime: Runtime) -> None:
    writer = await make_merchant(runtime, scopes=frozenset({Scope.WRITE}))
    response = await client.get("/api/ledger/balance", headers=writer.headers)
    assert response.status_code == 403


async def test_merchant_cannot_see_another_merchants_payment(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime
) -> None:
    other = await make_merchant(runtime, name="Other Store")
    payment = await create(client, merchant.headers, asset="BTC", amount_crypto="0.1")
    response = await client.get(f"/api/payments/{payment['id']}", headers=other.headers)
    assert response.status_code == 404
    assert response.json() == {"error": "Payment not found"}
    listing = await client.get("/api/payments", headers=other.headers)
    assert listing.json()["payments"] == []
    balance = await client.get("/api/ledger/balance", headers=other.headers)
    assert balance.json() == {"merchant": "Other Store", "balances": {}}
