"""No overdraft under concurrency: N simultaneous withdrawal requests against a balance that
covers exactly K of them end with exactly K accepted, every other one a clean 400 naming the
shortfall, and the merchant's ``available`` balance never below zero at any point of its history.

On PostgreSQL (``KASSA_TEST_DATABASE_URL`` set) it is the full invariant: 100 requests, a balance
for 10, the requests racing on a real connection pool and the hold's row locks. SQLite serialises
every writer through one connection, so there the same invariant runs smaller (20 requests, a
balance for 4) rather than being skipped.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import httpx
from sqlalchemy import select

from kassa.ledger.service import verify
from kassa.models.ledger import AccountKind, LedgerAccount, LedgerEntry
from kassa.models.withdrawal import Withdrawal
from kassa.runtime import Runtime
from tests.conftest import make_merchant
from tests.withdrawals.conftest import PAYER_SCOPES
from tests.withdrawals.helpers import HOOK, call, credit_available_for_test, data, destination

PER_WITHDRAWAL = "11.245"  # 10 USDT-TRC20 + $1.00 platform fee + 1 TRX ($0.245) network fee


async def test_concurrent_withdrawals_never_overdraw(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    requests, covered = (20, 4) if runtime.db.is_sqlite else (100, 10)
    shop = await make_merchant(runtime, "Busy Shop", scopes=PAYER_SCOPES)
    funding = str(Decimal(PER_WITHDRAWAL) * covered)
    await credit_available_for_test(runtime, shop.merchant_id, "USDT-TRC20", funding)
    body = {
        "asset": "USDT-TRC20",
        "amount": 10,
        "destination_address": destination("tron"),
        "webhook_url": HOOK,
    }

    responses = await asyncio.gather(
        *(call(client, "POST", "/api/withdrawals", shop.headers, body) for _ in range(requests))
    )

    accepted = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(accepted) == covered
    assert {r.status_code for r in refused} == {400}
    for response in refused:
        assert data(response) == {
            "error": "Insufficient balance for this withdrawal: amount 10.00 USDT-TRC20"
            " + platform fee 1.00 USDT-TRC20 ($1.00) + network fee 0.245 USDT-TRC20 (1.00 TRX)"
            f" = {PER_WITHDRAWAL} USDT-TRC20 required; 0.00 USDT-TRC20 available;"
            f" short by {PER_WITHDRAWAL} USDT-TRC20. Nothing was sent."
        }

    merchant_id = uuid.UUID(shop.merchant_id)
    async with runtime.db.session() as session:
        account = await session.scalar(
            select(LedgerAccount).where(
                LedgerAccount.merchant_id == merchant_id,
                LedgerAccount.asset == "USDT-TRC20",
                LedgerAccount.kind == AccountKind.AVAILABLE,
            )
        )
        assert account is not None
        assert account.balance == 0
        history = (
            await session.scalars(
                select(LedgerEntry.amount)
                .where(LedgerEntry.account_id == account.id)
                .order_by(LedgerEntry.id)
            )
        ).all()
        withdrawals = (
            await session.scalars(select(Withdrawal).where(Withdrawal.merchant_id == merchant_id))
        ).all()
        assert await verify(session) == []
    running = 0
    for amount in history:
        running += amount
        assert running >= 0
    assert len(history) == 1 + covered  # the funding, then one hold per accepted withdrawal
    assert len(withdrawals) == covered
    assert {r.json()["withdrawal"]["id"] for r in accepted} == {str(w.id) for w in withdrawals}
