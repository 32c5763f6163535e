"""Reorg at depth 1..6: no credit survives for a transaction that is no longer in the main chain.

For every depth, an XRP payment (1 confirmation: credited in its first block) and a BTC payment
(6 confirmations: credited only when the reorg is as deep as that) are paid and mined ``depth``
blocks deep, then the top ``depth`` blocks are replaced. Dropped transactions leave nothing —
no available, no pending balance, the payment open again; transactions returned to the mempool
are mined again and credited exactly once. The books stay sound throughout.
"""

from __future__ import annotations

from decimal import Decimal

import httpx

from kassa.runtime import Runtime
from tests.conftest import Devnet, MerchantKey
from tests.payments.helpers import balance, create, events, fetch
from tests.reliability import invariants

DEPTHS = range(1, 7)
PAYMENTS = {"XRP": ("xrp", "12", 1), "BTC": ("btc", "0.01", 6)}
FEE = Decimal("0.995")


async def pay_and_bury(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, depth: int
) -> dict[str, dict[str, object]]:
    paid = {}
    for asset, (chain, amount, _) in PAYMENTS.items():
        payment = await create(client, merchant.headers, asset=asset, amount_crypto=amount)
        await devnet.pay(asset, payment["address"], amount, payment.get("destination_tag"))
        await devnet.sync(chain)
        await devnet.mine(chain, depth)
        await devnet.sync(chain)
        paid[asset] = payment
    return paid


async def test_dropped_by_a_reorg_of_any_depth_up_to_6_leaves_no_credit(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet
) -> None:
    for depth in DEPTHS:
        paid = await pay_and_bury(client, merchant, devnet, depth)
        for asset, (chain, _, confirmations) in PAYMENTS.items():
            credited = depth >= confirmations
            status = (await fetch(client, merchant.headers, str(paid[asset]["id"])))["status"]
            assert status == ("confirmed" if credited else "detected"), (asset, depth)
            await devnet.reorg(chain, depth, drop_txs=True)
            await devnet.sync(chain)
            after = await fetch(client, merchant.headers, str(paid[asset]["id"]))
            assert after["status"] == "pending", (asset, depth, after)
            assert Decimal(after["amount_received"]) == 0, (asset, depth, after)
            kinds = [e["event"] for e in await events(runtime, str(paid[asset]["id"]))]
            assert kinds[-1] == "payment.reverted", (asset, depth, kinds)
        for asset in PAYMENTS:
            got = await balance(client, merchant.headers, asset)
            assert Decimal(got["available"]) == 0, (asset, depth)
            assert Decimal(got["pending"]) == 0, (asset, depth)
        assert await invariants.check(runtime.db, settled=False, single_credit=False) == []


async def test_returned_to_the_mempool_by_a_reorg_it_is_credited_exactly_once(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet
) -> None:
    for depth in DEPTHS:
        paid = await pay_and_bury(client, merchant, devnet, depth)
        for asset, (chain, amount, confirmations) in PAYMENTS.items():
            await devnet.reorg(chain, depth, drop_txs=False)
            await devnet.mine(chain, confirmations)
            await devnet.sync(chain)
            after = await fetch(client, merchant.headers, str(paid[asset]["id"]))
            assert after["status"] == "confirmed", (asset, depth, after)
            assert Decimal(after["amount_received"]) == Decimal(amount), (asset, depth)
        for asset, (_, amount, _) in PAYMENTS.items():
            got = await balance(client, merchant.headers, asset)
            expected = Decimal(amount) * FEE * depth
            assert Decimal(got["available"]) == expected, (asset, depth, got)
            assert Decimal(got["pending"]) == 0, (asset, depth, got)
        assert await invariants.check(runtime.db, settled=False, single_credit=False) == []
