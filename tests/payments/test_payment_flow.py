"""The payment lifecycle on the devnet: create → pay → detect → confirm → credit, and every
way it can go otherwise (partial, expiry, underpayment, overpayment, late payment, reorgs)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import update

from kassa.chains.devnet.adapter import DevnetAdapter
from kassa.ledger.service import merchant_posting, post, verify, world_posting
from kassa.models import ChainCursor, DevnetTx
from kassa.models.ledger import AccountKind
from kassa.runtime import Runtime
from tests.conftest import Devnet, MerchantKey
from tests.payments.helpers import balance, create, events, fetch


async def test_doc_example_fiat_payment_is_confirmed_and_credited_net_of_fee(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(
        client,
        merchant.headers,
        asset="BTC",
        amount_fiat=100,
        fiat_currency="USD",
        external_ref="ORDER-12345",
        description="Order #12345 — Premium Plan",
    )
    assert payment["status"] == "pending"
    assert payment["network"] == "devnet"
    assert payment["address"].startswith("bcrt1q")
    assert payment["amount_fiat"] == "100.00"
    # 100 / 84250 = 0.001186943…, rounded up so the merchant never gets less than $100
    assert payment["amount_crypto"] == "0.00118695"
    assert payment["live_price_used"] == Decimal("84250.00")
    assert payment["external_ref"] == "ORDER-12345"
    assert "6 block confirmation(s)" in payment["instructions"]

    tx = await devnet.pay("BTC", payment["address"], payment["amount_crypto"])
    await devnet.sync("btc")
    seen = await fetch(client, merchant.headers, payment["id"])
    assert seen["status"] == "detected"
    assert await balance(client, merchant.headers, "BTC") == {
        "available": "0.00000000",
        "pending": "0.00118695",
    }

    await devnet.mine_and_sync("btc", 5)
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "detected"
    await devnet.mine_and_sync("btc", 1)
    done = await fetch(client, merchant.headers, payment["id"])
    assert done["status"] == "confirmed"
    assert done["amount_received"] == "0.00118695"
    assert done["tx_hashes"] == [tx]
    # fee: 0.5 % of 118695 sat = 593.475 → 593 sat (rounded down)
    assert await balance(client, merchant.headers, "BTC") == {
        "available": "0.00118102",
        "pending": "0.00000000",
    }

    kinds = [e["event"] for e in await events(runtime, payment["id"])]
    assert kinds == ["payment.detected", "payment.confirmed"]
    confirmed = (await events(runtime, payment["id"]))[-1]
    assert confirmed["amount_received"] == Decimal("0.00118695")
    assert confirmed["platform_fee"] == Decimal("0.00000593")
    assert confirmed["amount_net"] == Decimal("0.00118102")
    assert confirmed["transaction_count"] == 1
    assert confirmed["tx_hash"] == tx
    assert confirmed["network"] == "Bitcoin"
    async with runtime.db.session() as session:
        assert await verify(session) == []


async def test_two_partial_receipts_fire_received_then_confirmed(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(client, merchant.headers, asset="USDT-TRC20", amount_crypto=50)
    first = await devnet.pay("USDT-TRC20", payment["address"], "30")
    await devnet.mine_and_sync("tron", 20)
    partial = await fetch(client, merchant.headers, payment["id"])
    assert partial["status"] == "detected"
    assert partial["amount_received"] == "30.000000"

    second = await devnet.pay("USDT-TRC20", payment["address"], "20")
    await devnet.mine_and_sync("tron", 20)
    done = await fetch(client, merchant.headers, payment["id"])
    assert done["status"] == "confirmed"
    assert done["transaction_count"] == 2
    assert done["tx_hashes"] == [first, second]

    credit = [e for e in await events(runtime, payment["id"]) if "amount_net" in e]
    assert [(e["event"], e["transaction_count"]) for e in credit] == [
        ("payment.received", 1),
        ("payment.confirmed", 2),
    ]
    assert credit[0]["amount_received"] == Decimal("30")
    assert credit[1]["tx_hashes"] == [first, second]
    assert (await balance(client, merchant.headers, "USDT-TRC20"))["available"] == "49.750000"


async def test_unpaid_payment_expires(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(
        client, merchant.headers, asset="ETH", amount_crypto="0.5", expires_minutes=15
    )
    devnet.clock_offset = timedelta(minutes=14)
    await devnet.expire()
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "pending"
    devnet.clock_offset = timedelta(minutes=16)
    await devnet.expire()
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "expired"
    assert [e["event"] for e in await events(runtime, payment["id"])] == ["payment.expired"]


async def test_partial_payment_then_expiry_is_underpaid(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(client, merchant.headers, asset="LTC", amount_crypto="2")
    await devnet.pay("LTC", payment["address"], "1.5")
    await devnet.mine_and_sync("ltc", 2)
    devnet.clock_offset = timedelta(hours=2)
    await devnet.expire()
    # an on-time receipt still awaiting confirmations keeps the payment open
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "detected"
    await devnet.mine_and_sync("ltc", 4)
    await devnet.expire()
    underpaid = await fetch(client, merchant.headers, payment["id"])
    assert underpaid["status"] == "underpaid"
    last = (await events(runtime, payment["id"]))[-1]
    assert last["event"] == "payment.underpaid"
    assert last["amount_missing"] == Decimal("0.5")
    # the money that did arrive is the merchant's
    assert (await balance(client, merchant.headers, "LTC"))["available"] == "1.49250000"


async def test_overpayment_is_recorded_and_credited_in_full(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet
) -> None:
    payment = await create(client, merchant.headers, asset="XRP", amount_crypto="10")
    assert payment["destination_tag"] is not None
    await devnet.pay("XRP", payment["address"], "15", tag=payment["destination_tag"])
    await devnet.mine_and_sync("xrp", 1)
    done = await fetch(client, merchant.headers, payment["id"])
    assert done["status"] == "confirmed"
    assert done["amount_received"] == "15.000000"
    assert done["amount_overpaid"] == "5.000000"
    assert (await balance(client, merchant.headers, "XRP"))["available"] == "14.925000"


async def test_xrp_payment_without_its_tag_is_not_attributed(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet
) -> None:
    first = await create(client, merchant.headers, asset="XRP", amount_crypto="1")
    second = await create(client, merchant.headers, asset="XRP", amount_crypto="1")
    assert first["address"] == second["address"]
    assert first["destination_tag"] != second["destination_tag"]
    await devnet.pay("XRP", second["address"], "1", tag=second["destination_tag"])
    await devnet.mine_and_sync("xrp", 1)
    assert (await fetch(client, merchant.headers, first["id"]))["status"] == "pending"
    assert (await fetch(client, merchant.headers, second["id"]))["status"] == "confirmed"


async def test_late_payment_is_credited_and_flagged_but_does_not_reopen(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(client, merchant.headers, asset="SOL", amount_crypto="1.25")
    devnet.clock_offset = timedelta(hours=2)
    await devnet.expire()
    await devnet.pay("SOL", payment["address"], "1.25")
    await devnet.mine_and_sync("solana", 32)
    late = await fetch(client, merchant.headers, payment["id"])
    assert late["status"] == "expired"
    assert late["late_payment"] is True
    assert (await balance(client, merchant.headers, "SOL"))["available"] == "1.243750000"
    received = [e for e in await events(runtime, payment["id"]) if e["event"] == "payment.received"]
    assert len(received) == 1
    assert received[0]["late"] is True


async def test_reorg_removes_unconfirmed_receipt_and_emits_reverted(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(client, merchant.headers, asset="BTC", amount_crypto="0.01")
    await devnet.pay("BTC", payment["address"], "0.01")
    await devnet.mine_and_sync("btc", 2)
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "detected"
    await devnet.reorg("btc", depth=2)
    await devnet.sync("btc")
    back = await fetch(client, merchant.headers, payment["id"])
    assert back["status"] == "pending"
    assert await balance(client, merchant.headers, "BTC") == {
        "available": "0.00000000",
        "pending": "0.00000000",
    }
    assert [e["event"] for e in await events(runtime, payment["id"])] == [
        "payment.detected",
        "payment.reverted",
    ]
    async with runtime.db.session() as session:
        assert await verify(session) == []


async def test_reorg_deeper_than_confirmations_uncredits_a_confirmed_receipt(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(client, merchant.headers, asset="XRP", amount_crypto="3")
    await devnet.pay("XRP", payment["address"], "3", tag=payment["destination_tag"])
    await devnet.mine_and_sync("xrp", 3)
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "confirmed"
    await devnet.reorg("xrp", depth=3)
    await devnet.sync("xrp")
    reverted = await fetch(client, merchant.headers, payment["id"])
    assert reverted["status"] == "pending"
    assert reverted["amount_received"] == "0.000000"
    assert (await balance(client, merchant.headers, "XRP"))["available"] == "0.000000"
    last = (await events(runtime, payment["id"]))[-1]
    assert last["event"] == "payment.reverted"
    assert last["was_confirmed"] is True
    async with runtime.db.session() as session:
        assert await verify(session) == []


async def test_reorged_tx_mined_again_is_credited_exactly_once(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(client, merchant.headers, asset="USDC-ARB", amount_crypto="25")
    await devnet.pay("USDC-ARB", payment["address"], "25")
    await devnet.mine_and_sync("arbitrum", 3)
    await devnet.reorg("arbitrum", depth=3, drop_txs=False)
    await devnet.sync("arbitrum")
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "detected"
    await devnet.mine_and_sync("arbitrum", 12)
    done = await fetch(client, merchant.headers, payment["id"])
    assert done["status"] == "confirmed"
    assert done["transaction_count"] == 1
    assert (await balance(client, merchant.headers, "USDC-ARB"))["available"] == "24.875000"


async def test_replaying_blocks_changes_nothing(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(client, merchant.headers, asset="BNB", amount_crypto="0.2")
    await devnet.pay("BNB", payment["address"], "0.2")
    await devnet.mine_and_sync("bsc", 15)
    before = await balance(client, merchant.headers, "BNB")
    # a worker that crashed before saving its cursor sees the same blocks again
    genesis = await DevnetAdapter(runtime.db, "bsc").block(0)
    assert genesis is not None
    async with runtime.db.session() as session:
        await session.execute(
            update(ChainCursor)
            .where(ChainCursor.chain == "bsc")
            .values(height=0, hash=genesis.ref.hash)
        )
    await devnet.sync("bsc")
    assert await balance(client, merchant.headers, "BNB") == before
    assert (await fetch(client, merchant.headers, payment["id"]))["transaction_count"] == 1


async def test_wei_scale_amounts_are_exact(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet
) -> None:
    amount = "123456789.123456789123456789"
    payment = await create(client, merchant.headers, asset="ETH", amount_crypto=Decimal(amount))
    assert payment["amount_crypto"] == amount
    await devnet.pay("ETH", payment["address"], amount)
    await devnet.mine_and_sync("eth", 12)
    done = await fetch(client, merchant.headers, payment["id"])
    assert done["amount_received"] == amount
    # 0.5 % fee of 123456789123456789123456789 wei, rounded down
    net = Decimal(123456789123456789123456789 - 123456789123456789123456789 * 5 // 1000)
    assert (await balance(client, merchant.headers, "ETH"))[
        "available"
    ] == f"{net.scaleb(-18):.18f}"


async def test_unknown_payment_is_404(client: httpx.AsyncClient, merchant: MerchantKey) -> None:
    for pid in (str(uuid.uuid4()), "not-a-uuid"):
        response = await client.get(f"/api/payments/{pid}", headers=merchant.headers)
        assert response.status_code == 404
        assert response.json() == {"error": "Payment not found"}


async def test_transaction_dropped_from_mempool_is_reverted_after_grace(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(client, merchant.headers, asset="LTC", amount_crypto="1")
    tx = await devnet.pay("LTC", payment["address"], "1")
    await devnet.sync("ltc")
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "detected"
    # the sender double-spends it: the transaction leaves the mempool and is never mined
    async with runtime.db.session() as session:
        await session.execute(update(DevnetTx).where(DevnetTx.tx_hash == tx).values(dropped=True))
    await devnet.sync("ltc")
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "detected"
    devnet.clock_offset = timedelta(minutes=31)
    await devnet.sync("ltc")
    gone = await fetch(client, merchant.headers, payment["id"])
    assert gone["status"] == "pending"
    assert (await balance(client, merchant.headers, "LTC"))["pending"] == "0.00000000"
    assert [e["event"] for e in await events(runtime, payment["id"])] == [
        "payment.detected",
        "payment.reverted",
    ]
    # and it can now expire like any unpaid payment
    devnet.clock_offset = timedelta(minutes=61)
    await devnet.expire()
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "expired"


async def test_mempool_receipt_that_gets_mined_is_not_dropped(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet
) -> None:
    payment = await create(client, merchant.headers, asset="LTC", amount_crypto="1")
    await devnet.pay("LTC", payment["address"], "1")
    await devnet.sync("ltc")
    devnet.clock_offset = timedelta(minutes=31)
    await devnet.mine_and_sync("ltc", 6)
    assert (await fetch(client, merchant.headers, payment["id"]))["status"] == "confirmed"


async def test_other_asset_sent_to_the_address_is_credited_but_not_counted(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(client, merchant.headers, asset="ETH", amount_crypto="1")
    await devnet.pay("USDT-ERC20", payment["address"], "50")
    await devnet.mine_and_sync("eth", 12)
    still = await fetch(client, merchant.headers, payment["id"])
    assert still["status"] == "pending"
    assert still["transaction_count"] == 0
    assert still["tx_hashes"] == []
    assert (await balance(client, merchant.headers, "USDT-ERC20"))["available"] == "49.750000"
    kinds = [e["event"] for e in await events(runtime, payment["id"])]
    assert kinds == ["payment.other_asset_received"]
    other = (await events(runtime, payment["id"]))[0]
    assert other["asset"] == "USDT-ERC20"
    assert other["amount_received"] == Decimal("50")


async def test_negative_balance_after_a_deep_reorg_is_reported(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    payment = await create(client, merchant.headers, asset="XRP", amount_crypto="3")
    await devnet.pay("XRP", payment["address"], "3", tag=payment["destination_tag"])
    await devnet.mine_and_sync("xrp", 2)
    # the merchant spends the credit (a ledger move out of available, as a withdrawal would)
    async with runtime.db.session() as session:
        await post(
            session,
            kind="test_spend",
            asset="XRP",
            postings=[
                merchant_posting(uuid.UUID(merchant.merchant_id), AccountKind.AVAILABLE, -2985000),
                world_posting(2985000),
            ],
        )
    await devnet.reorg("xrp", depth=2)
    await devnet.sync("xrp")
    assert (await balance(client, merchant.headers, "XRP"))["available"] == "-2.985000"
    async with runtime.db.session() as session:
        problems = await verify(session)
    assert len(problems) == 1
    assert "available is negative" in problems[0]
