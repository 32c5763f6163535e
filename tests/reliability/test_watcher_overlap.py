"""The smallest form of what ``test_two_workers.py`` found on PostgreSQL: two watchers of one
chain working at the same moment credit a confirmed receipt twice.

It happens when a watcher's tick outlives its lease (``KASSA_WORKER_LEASE_SECONDS``: a catch-up
of hundreds of blocks on a loaded machine) and another worker process takes the chain over while
the first is still running. Here two watchers run the last step of a tick at the same moment,
as they do after such a takeover, and ``confirm_receipt`` runs twice for the same receipt. It used
to credit it twice: the receipts due for confirmation are read without a lock, and the status was
not checked again after the payment row lock was granted (fixed: it re-reads the receipt under
lock). On SQLite every transaction is ``BEGIN IMMEDIATE``, so the second
watcher reads the receipt only after the first committed; PostgreSQL lets both read it.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx

from kassa.assets.registry import registry
from kassa.chains.devnet.adapter import DevnetAdapter
from kassa.chains.devnet.service import DevnetService
from kassa.runtime import Runtime
from kassa.watcher.service import ChainWatcher
from tests.conftest import MerchantKey
from tests.payments.helpers import balance, create
from tests.reliability import invariants


async def test_two_watchers_of_one_chain_credit_a_receipt_once(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    db = runtime.db
    watchers = [ChainWatcher(db, DevnetAdapter(db, "btc"), owner) for owner in ("a", "b")]
    await watchers[0].tick()  # the chain's cursor
    payment = await create(client, merchant.headers, asset="BTC", amount_crypto="0.01")
    async with db.session() as session:
        await DevnetService(session).pay(registry().get("BTC"), payment["address"], Decimal("0.01"))
    await watchers[0].tick()  # seen in the mempool
    async with db.session() as session:
        await DevnetService(session).mine(["btc"], 5)
    await watchers[0].tick()  # in a block, five confirmations of six
    async with db.session() as session:
        tip = (await DevnetService(session).mine(["btc"]))["btc"]  # the sixth

    # the last step of both ticks at once: crediting what reached its confirmations
    await asyncio.gather(*(w._confirm_due(tip.height) for w in watchers))

    assert await balance(client, merchant.headers, "BTC") == {
        "available": "0.00995000",
        "pending": "0.00000000",
    }
    assert await invariants.check(db, settled=False) == []


async def test_two_watchers_of_one_chain_through_a_reorg_leave_no_credit_for_a_dropped_tx(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    db = runtime.db
    watchers = [
        ChainWatcher(db, DevnetAdapter(db, "btc"), owner, lease_seconds=0) for owner in ("a", "b")
    ]
    await watchers[0].tick()
    payment = await create(client, merchant.headers, asset="BTC", amount_crypto="0.01")
    async with db.session() as session:
        await DevnetService(session).pay(registry().get("BTC"), payment["address"], Decimal("0.01"))
        await DevnetService(session).mine(["btc"], 2)
    await asyncio.gather(*(w.tick() for w in watchers))  # seen, two blocks deep
    async with db.session() as session:
        await DevnetService(session).reorg("btc", 2, drop_txs=True)  # a double spend

    await asyncio.gather(*(w.tick() for w in watchers), return_exceptions=True)
    async with db.session() as session:
        await DevnetService(session).mine(["btc"], 10)
    for _ in range(3):
        await asyncio.gather(*(w.tick() for w in watchers), return_exceptions=True)

    assert await balance(client, merchant.headers, "BTC") == {
        "available": "0.00000000",
        "pending": "0.00000000",
    }
    assert await invariants.check(db, settled=True) == []
