"""Making a draft withdrawal the way a merchant does: a payouts key with a USD limit."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx

from kassa.merchants.scopes import Scope
from kassa.merchants.service import create_api_key
from kassa.runtime import Runtime
from kassa.withdrawals.service import set_withdrawal_limit
from tests.conftest import MerchantKey
from tests.invoices.helpers import post
from tests.withdrawals.helpers import credit_available_for_test, destination


async def draft(
    client: httpx.AsyncClient, runtime: Runtime, merchant: MerchantKey, amount: str
) -> str:
    """A BTC withdrawal above its key's $1 limit: a draft waiting for approval."""
    await credit_available_for_test(runtime, merchant.merchant_id, "BTC", "0.01")
    async with runtime.db.session() as session:
        issued = await create_api_key(
            session,
            uuid.UUID(merchant.merchant_id),
            frozenset({Scope.READ, Scope.WRITE, Scope.PAYOUTS}),
        )
        await set_withdrawal_limit(session, issued.key.id, Decimal(1))
    response = await post(
        client,
        "/api/withdrawals",
        {"Authorization": f"Bearer {issued.secret}"},
        {
            "asset": "BTC",
            "amount": amount,
            "destination_address": destination("btc"),
            "webhook_url": "https://shop.example/webhooks/payouts",
            "label": f"Supplier {amount}",
        },
    )
    assert response.status_code == 200, response.text
    withdrawal = response.json()["withdrawal"]
    assert withdrawal["status"] == "draft"
    return str(withdrawal["id"])
