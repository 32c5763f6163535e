"""Helpers for withdrawal tests: funding, requests, events, devnet destinations, the executor."""

from __future__ import annotations

import uuid
from decimal import Decimal
from functools import cache
from typing import Any

import httpx
from sqlalchemy import select

from kassa.assets.registry import registry
from kassa.chains.base import PayoutAdapter
from kassa.chains.registry import payout_adapter_for
from kassa.keys.derivation import make_deriver
from kassa.keys.seed import account_xpubs, solana_addresses
from kassa.kit import jsonutil
from kassa.kit.money import to_atomic
from kassa.ledger.service import merchant_posting, post, world_posting
from kassa.models import Event
from kassa.models.ledger import AccountKind
from kassa.runtime import Runtime
from kassa.withdrawals.executor import TickResult, WithdrawalExecutor

HOOK = "https://shop.example/webhooks/payouts"
SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"


@cache
def destination(chain_id: str, index: int = 0) -> str:
    """An outside wallet's address on the devnet (a fixed seed, not the gateway's)."""
    if chain_id == "solana":
        return solana_addresses(SEED, index, 1)[0]
    chain = registry().chains[chain_id]
    xpub = account_xpubs(SEED, "devnet")[chain_id]
    return make_deriver(chain, "devnet", xpub).derive(index).address


async def credit_available_for_test(
    runtime: Runtime, merchant_id: str, asset: str, amount: str
) -> None:
    """TEST-ONLY funding: post ``amount`` straight from the world to the merchant's available
    balance (what a confirmed deposit ends with, without the chain in between)."""
    atomic = to_atomic(Decimal(amount), registry().assets[asset].decimals)
    mid = uuid.UUID(merchant_id)
    async with runtime.db.session() as session:
        await post(
            session,
            kind="test_credit",
            asset=asset,
            merchant_id=mid,
            postings=[world_posting(-atomic), merchant_posting(mid, AccountKind.AVAILABLE, atomic)],
        )


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    return await client.request(
        method,
        path,
        content=None if body is None else jsonutil.dumps(body),
        headers={**headers, "content-type": "application/json"},
    )


def data(response: httpx.Response) -> Any:
    return jsonutil.loads(response.content)


async def withdraw(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    body.setdefault("webhook_url", HOOK)
    response = await call(client, "POST", "/api/withdrawals", headers, body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = data(response)["withdrawal"]
    return result


async def fetch(client: httpx.AsyncClient, headers: dict[str, str], wid: str) -> dict[str, Any]:
    response = await client.get(f"/api/withdrawals/{wid}", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = data(response)
    return result


async def available(client: httpx.AsyncClient, headers: dict[str, str], asset: str) -> str:
    response = await client.get("/api/ledger/balance", headers=headers)
    assert response.status_code == 200, response.text
    balances: dict[str, dict[str, str]] = response.json()["balances"]
    return balances.get(asset, {"available": "0"})["available"]


async def events(runtime: Runtime, withdrawal_id: str | None = None) -> list[dict[str, Any]]:
    """Withdrawal events (of one withdrawal, or all with batch events), in outbox order."""
    query = select(Event).order_by(Event.seq)
    if withdrawal_id is not None:
        query = query.where(Event.withdrawal_id == uuid.UUID(withdrawal_id))
    async with runtime.db.session() as session:
        rows = (await session.scalars(query)).all()
    kinds = ("withdrawal.", "batch.")
    payloads = [jsonutil.loads(e.payload) for e in rows]
    return [p for p in payloads if str(p["event"]).startswith(kinds)]


def executor(runtime: Runtime, owner: str = "test-executor", **kwargs: Any) -> WithdrawalExecutor:
    def adapters(chain_id: str) -> PayoutAdapter | None:
        return payout_adapter_for(runtime, chain_id)

    return WithdrawalExecutor(runtime.db, owner, kwargs.pop("adapters", adapters), **kwargs)


async def execute(runtime: Runtime) -> TickResult:
    """One executor tick with a fresh executor."""
    return await executor(runtime).tick()
