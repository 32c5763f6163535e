"""The executor on the devnet: pending → broadcasting → completed at the required confirmations,
the journal at each step, the unused network fee refunded, failed broadcasts restoring the hold
before ``withdrawal.failed``, the signed transaction re-broadcast (never re-signed) after a crash,
and two executors never executing the same withdrawal."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from kassa.chains.base import Payout, PayoutAdapter, SignedTx, TxStatus
from kassa.chains.devnet.payout import DevnetPayoutAdapter
from kassa.chains.devnet.service import DevnetService
from kassa.kit.timeutil import utcnow
from kassa.ledger.service import verify
from kassa.models import DevnetTx
from kassa.models.ledger import LedgerAccount
from kassa.runtime import Runtime
from kassa.withdrawals import transitions
from tests.conftest import Devnet, MerchantKey
from tests.payments.helpers import create as create_payment
from tests.withdrawals.helpers import (
    available,
    credit_available_for_test,
    destination,
    events,
    execute,
    executor,
    fetch,
    withdraw,
)


async def account_balance(runtime: Runtime, owner: str, asset: str, kind: str) -> int:
    async with runtime.db.session() as session:
        value = await session.scalar(
            select(LedgerAccount.balance).where(
                LedgerAccount.owner == owner,
                LedgerAccount.asset == asset,
                LedgerAccount.kind == kind,
            )
        )
    return int(value or 0)


async def test_usdt_trc20_withdrawal_completes_after_20_confirmations(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "600")
    created = await withdraw(
        client,
        payer.headers,
        asset="USDT-TRC20",
        amount=500,
        destination_address=destination("tron"),
        external_ref="payout-2026-001",
    )
    wid = created["id"]

    assert (await execute(runtime)).broadcast == 1
    sent = await fetch(client, payer.headers, wid)
    assert sent["status"] == "broadcasting"
    assert len(sent["tx_hash"]) == 64
    assert sent["message"] == "500 USDT-TRC20 sent. Awaiting 20 confirmation(s)."
    (transfer,) = await mempool(runtime, "tron")
    assert (transfer.to_address, transfer.amount) == (destination("tron"), 500_000_000)
    assert transfer.contract == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"

    await devnet.mine("tron", 19)
    await execute(runtime)
    almost = await fetch(client, payer.headers, wid)
    assert (almost["status"], almost["confirmations"]) == ("broadcasting", 19)

    await devnet.mine("tron", 1)
    assert (await execute(runtime)).completed == 1
    done = await fetch(client, payer.headers, wid)
    assert (done["status"], done["confirmations"]) == ("completed", 20)
    assert done["total_deducted"] == "501.245 USDT-TRC20"
    assert done["network_fee_refunded"] == "0.00 USDT-TRC20"
    assert done["message"] == "500 USDT-TRC20 delivered with 20 confirmation(s)."

    kinds = [e["event"] for e in await events(runtime, wid)]
    assert kinds == ["withdrawal.pending", "withdrawal.broadcasting", "withdrawal.completed"]
    completed = (await events(runtime, wid))[-1]
    assert completed["amount"] == "500.000000"
    assert completed["tx_hash"] == sent["tx_hash"]
    assert completed["explorer_url"] is None  # the devnet has no explorer

    assert await available(client, payer.headers, "USDT-TRC20") == "98.755000"
    merchant = uuid.UUID(payer.merchant_id)
    assert await account_balance(runtime, f"payouts:{merchant}", "USDT-TRC20", "pending") == 0
    assert await account_balance(runtime, "platform", "USDT-TRC20", "revenue") == 1_000_000
    assert await account_balance(runtime, "network_fees", "USDT-TRC20", "revenue") == 245_000
    # the hot wallet paid 1 TRX of chain fee for it
    assert await account_balance(runtime, "network_fees", "TRX", "revenue") == -1_000_000
    async with runtime.db.session() as session:
        assert await verify(session) == []


async def mempool(runtime: Runtime, chain: str) -> list[DevnetTx]:
    async with runtime.db.session() as session:
        return list(
            (
                await session.scalars(
                    select(DevnetTx).where(DevnetTx.chain == chain, DevnetTx.block_hash.is_(None))
                )
            ).all()
        )


async def test_erc20_refunds_the_gas_the_transfer_did_not_use(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDC-ERC20", "100")
    created = await withdraw(
        client, payer.headers, asset="USDC-ERC20", amount=75, destination_address=destination("eth")
    )
    # quoted at the 65,000 gas limit: 0.00013 ETH × $1598.40 = 0.207792 USDC
    assert created["estimated_network_fee"] == "0.207792 USDC-ERC20"
    assert created["total_deducted"] == "76.207792 USDC-ERC20"
    await execute(runtime)
    await devnet.mine("eth", 12)
    await execute(runtime)
    done = await fetch(client, payer.headers, created["id"])
    assert done["status"] == "completed"
    # 52,000 gas used: 0.8 of the quote → 0.1662336 → 0.166234 charged, 0.041558 back
    assert done["network_fee_refunded"] == "0.041558 USDC-ERC20"
    assert done["total_deducted"] == "76.166234 USDC-ERC20"
    assert await available(client, payer.headers, "USDC-ERC20") == "23.833766"
    assert await account_balance(runtime, "network_fees", "USDC-ERC20", "revenue") == 166_234
    assert await account_balance(runtime, "network_fees", "ETH", "revenue") == -104 * 10**12
    completed = (await events(runtime, created["id"]))[-1]
    assert completed["network_fee_refunded"] == "0.041558 USDC-ERC20"
    async with runtime.db.session() as session:
        assert await verify(session) == []


async def test_failed_broadcast_restores_the_balance_and_emits_failed(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "600")
    created = await withdraw(
        client,
        payer.headers,
        asset="USDT-TRC20",
        amount=500,
        destination_address=destination("tron"),
        label="Weekly supplier payment",
    )
    assert await available(client, payer.headers, "USDT-TRC20") == "98.755000"
    async with runtime.db.session() as session:
        await DevnetService(session).fail_next_broadcast("tron")

    assert (await execute(runtime)).failed == 1
    failed = await fetch(client, payer.headers, created["id"])
    assert failed["status"] == "failed"
    assert failed["error"].startswith("Insufficient funds for network fee")
    assert failed["total_deducted"] == "0.00 USDT-TRC20"
    assert failed["message"].endswith("Your balance was restored in full.")
    assert await available(client, payer.headers, "USDT-TRC20") == "600.000000"
    assert await mempool(runtime, "tron") == []

    kinds = [e["event"] for e in await events(runtime, created["id"])]
    assert kinds == ["withdrawal.pending", "withdrawal.failed"]
    event = (await events(runtime, created["id"]))[-1]
    assert event["error"] == failed["error"]
    assert event["amount"] == 500
    assert event["label"] == "Weekly supplier payment"
    async with runtime.db.session() as session:
        assert await verify(session) == []
    assert (await execute(runtime)).claimed == 0  # terminal: never executed again


async def test_restore_and_failed_event_commit_together(
    client: httpx.AsyncClient,
    payer: MerchantKey,
    runtime: Runtime,
    devnet: Devnet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If writing the failed event breaks, the restore is rolled back with it: the balance is
    never restored without the event, nor the event sent before the balance is whole."""
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    created = await withdraw(
        client, payer.headers, asset="TRX", amount=50, destination_address=destination("tron")
    )
    async with runtime.db.session() as session:
        await DevnetService(session).fail_next_broadcast("tron")
    real_emit = transitions.emit

    async def broken_emit(session: object, w: object, payload: dict[str, object]) -> None:
        if payload["event"] == "withdrawal.failed":
            raise RuntimeError("outbox unavailable")
        await real_emit(session, w, payload)  # type: ignore[arg-type]

    monkeypatch.setattr(transitions, "emit", broken_emit)
    await execute(runtime)
    assert (await fetch(client, payer.headers, created["id"]))["status"] == "pending"
    # 100 - (50 + $1 at $0.245 = 4.081633 TRX + 0.268 TRX network fee): still held
    assert await available(client, payer.headers, "TRX") == "45.650367"
    assert [e["event"] for e in await events(runtime)] == ["withdrawal.pending"]


async def test_signed_transaction_is_rebroadcast_not_resigned_after_a_crash(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    """The executor dies after storing the signed transaction and before broadcasting it: the next
    run broadcasts the stored transaction (same hash) and the chain sees exactly one transfer."""
    await credit_available_for_test(runtime, payer.merchant_id, "BTC", "1")
    created = await withdraw(
        client, payer.headers, asset="BTC", amount="0.2", destination_address=destination("btc")
    )
    counting = Counting(DevnetPayoutAdapter(runtime.db, "btc"), crash_on_broadcast=True)
    crashed = executor(runtime, adapters=lambda _c: counting, clock=utcnow)
    await crashed.tick()  # signs and stores, then "crashes" in broadcast
    assert counting.signed == Counter({uuid.UUID(created["id"]): 1})
    stored = await fetch(client, payer.headers, created["id"])
    assert stored["status"] == "pending"
    assert stored["tx_hash"] is not None

    later = utcnow() + timedelta(minutes=5)  # the crashed worker's claim has run out
    resumed = Counting(DevnetPayoutAdapter(runtime.db, "btc"))
    await executor(runtime, "other-worker", adapters=lambda _c: resumed, clock=lambda: later).tick()
    assert resumed.signed == Counter()  # never signed again
    assert resumed.broadcasts == [stored["tx_hash"]]
    sent = await fetch(client, payer.headers, created["id"])
    assert (sent["status"], sent["tx_hash"]) == ("broadcasting", stored["tx_hash"])
    async with runtime.db.session() as session:
        count = await session.scalar(select(func.count()).select_from(DevnetTx))
    assert count == 1


class Counting:
    """Wraps a payout adapter and records what it was asked to do."""

    def __init__(self, inner: PayoutAdapter, *, crash_on_broadcast: bool = False) -> None:
        self.inner = inner
        self.chain_id = inner.chain_id
        self.crash = crash_on_broadcast
        self.signed: Counter[uuid.UUID] = Counter()
        self.broadcasts: list[str] = []

    async def fee_quote(self, asset: object) -> object:
        return await self.inner.fee_quote(asset)  # type: ignore[arg-type]

    async def sign(self, payout: Payout) -> SignedTx:
        self.signed[payout.id] += 1
        await asyncio.sleep(0)
        return await self.inner.sign(payout)

    async def broadcast(self, tx: SignedTx) -> None:
        if self.crash:
            raise SystemError("worker killed")
        self.broadcasts.append(tx.tx_hash)
        await asyncio.sleep(0)
        await self.inner.broadcast(tx)

    async def tx_status(self, tx_hash: str) -> TxStatus:
        return await self.inner.tx_status(tx_hash)


async def test_two_executors_never_execute_the_same_withdrawal(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "1000")
    ids = [
        (
            await withdraw(
                client,
                payer.headers,
                asset="TRX",
                amount=20,
                destination_address=destination("tron", i),
            )
        )["id"]
        for i in range(8)
    ]
    shared = Counting(DevnetPayoutAdapter(runtime.db, "tron"))
    workers = [
        executor(runtime, f"worker-{n}", adapters=lambda _c: shared, batch_size=3) for n in range(2)
    ]
    for _ in range(4):
        await asyncio.gather(*(w.tick() for w in workers))
    assert set(shared.signed) == {uuid.UUID(i) for i in ids}
    assert max(shared.signed.values()) == 1
    assert sorted(Counter(shared.broadcasts).values()) == [1] * 8
    broadcasting = [e for e in await events(runtime) if e["event"] == "withdrawal.broadcasting"]
    assert sorted(e["withdrawal_id"] for e in broadcasting) == sorted(ids)


async def test_transaction_dropped_by_a_reorg_fails_and_restores(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "LTC", "2")
    created = await withdraw(
        client, payer.headers, asset="LTC", amount="1", destination_address=destination("ltc")
    )
    await execute(runtime)
    await devnet.mine("ltc", 2)
    await execute(runtime)
    assert (await fetch(client, payer.headers, created["id"]))["confirmations"] == 2
    await devnet.reorg("ltc", 2, drop_txs=True)  # a double spend: the tx is gone for good
    await execute(runtime)
    failed = await fetch(client, payer.headers, created["id"])
    assert failed["status"] == "failed"
    assert failed["error"] == "Transaction failed on-chain; nothing was delivered"
    assert await available(client, payer.headers, "LTC") == "2.00000000"


async def test_end_to_end_from_a_devnet_payment_to_a_completed_withdrawal(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    payment = await create_payment(client, payer.headers, asset="XRP", amount_crypto=100)
    await devnet.pay("XRP", payment["address"], "100", payment["destination_tag"])
    await devnet.mine_and_sync("xrp", 1)
    assert await available(client, payer.headers, "XRP") == "99.500000"  # 0.5 % inbound fee

    created = await withdraw(
        client,
        payer.headers,
        asset="XRP",
        amount=50,
        destination_address=destination("xrp"),
        destination_tag=4242,
    )
    assert created["destination_tag"] == 4242
    # $1 / $2.085 = 0.479616… → 0.479617 XRP; 12 drops network fee
    assert created["total_deducted"] == "50.479629 XRP"
    await execute(runtime)
    (transfer,) = await mempool(runtime, "xrp")
    assert (transfer.destination_tag, transfer.amount) == (4242, 50_000_000)
    await devnet.mine("xrp", 1)
    await execute(runtime)
    assert (await fetch(client, payer.headers, created["id"]))["status"] == "completed"
    assert await available(client, payer.headers, "XRP") == "49.020371"
    async with runtime.db.session() as session:
        assert await verify(session) == []


async def test_arbitrum_gas_is_not_booked_as_ethereum_eth(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDC-ARB", "20")
    created = await withdraw(
        client, payer.headers, asset="USDC-ARB", amount=10, destination_address=destination("eth")
    )
    # 0.000002 Arbitrum ETH at the ETH price: 0.0031968 → 0.003197 USDC-ARB
    assert created["estimated_network_fee"] == "0.003197 USDC-ARB"
    assert created["network_fee_native"] == "0.000002 ETH"
    await execute(runtime)
    await devnet.mine("arbitrum", 12)
    await execute(runtime)
    done = await fetch(client, payer.headers, created["id"])
    assert done["status"] == "completed"
    assert done["network_fee_refunded"] == "0.000639 USDC-ARB"
    assert await account_balance(runtime, "network_fees", "USDC-ARB", "revenue") == 2_558
    assert await account_balance(runtime, "network_fees", "ETH", "revenue") == 0
