"""Payments on a real EVM node: native and token receipts, confirmations, webhook events,
payments in several transfers, and reorgs that take a credited transfer away."""

from __future__ import annotations

from decimal import Decimal

import httpx

from kassa.runtime import Runtime
from tests.conftest import MerchantKey
from tests.e2e.evm.conftest import Chains, Kassa
from tests.payments.helpers import balance, create, events, fetch


async def test_eth_payment_is_detected_confirmed_and_announced(
    evm_client: httpx.AsyncClient,
    shop: MerchantKey,
    chains: Chains,
    kassa: Kassa,
    evm_runtime: Runtime,
) -> None:
    payment = await create(evm_client, shop.headers, asset="ETH", amount_crypto="0.05")
    assert payment["network"] == "testnet"

    tx = chains.eth.pay(payment["address"], "0.05")
    await kassa.sync("eth")
    seen = await fetch(evm_client, shop.headers, payment["id"])
    assert seen["status"] == "detected"
    assert seen["amount_pending"] == "0.050000000000000000"

    chains.eth.mine(10)  # 11 confirmations: one short of ETH's 12
    await kassa.sync("eth")
    assert (await fetch(evm_client, shop.headers, payment["id"]))["status"] == "detected"

    chains.eth.mine(1)
    await kassa.sync("eth")
    done = await fetch(evm_client, shop.headers, payment["id"])
    assert done["status"] == "confirmed"
    assert done["tx_hashes"] == [tx]
    kinds = [e["event"] for e in await events(evm_runtime, payment["id"])]
    assert kinds == ["payment.detected", "payment.confirmed"]
    available = (await balance(evm_client, shop.headers, "ETH"))["available"]
    assert Decimal(available) == Decimal("0.04975")  # net of the 0.5 % fee


async def test_usdt_erc20_payment_in_two_transfers(
    evm_client: httpx.AsyncClient,
    shop: MerchantKey,
    chains: Chains,
    kassa: Kassa,
    evm_runtime: Runtime,
) -> None:
    payment = await create(evm_client, shop.headers, asset="USDT-ERC20", amount_crypto="25")

    first = chains.eth.transfer_token(chains.usdt, payment["address"], 10_000_000)
    await kassa.sync("eth")
    assert (await fetch(evm_client, shop.headers, payment["id"]))["status"] == "detected"
    chains.eth.mine(12)
    await kassa.sync("eth")
    partial = await fetch(evm_client, shop.headers, payment["id"])
    assert partial["status"] == "detected"
    assert Decimal(partial["amount_received"]) == Decimal(10)

    second = chains.eth.transfer_token(chains.usdt, payment["address"], 15_000_000)
    chains.eth.mine(11)
    await kassa.sync("eth")
    done = await fetch(evm_client, shop.headers, payment["id"])
    assert done["status"] == "confirmed"
    assert done["tx_hashes"] == [first, second]
    assert done["transaction_count"] == 2
    kinds = [e["event"] for e in await events(evm_runtime, payment["id"])]
    assert kinds == [
        "payment.detected",
        "payment.received",
        "payment.detected",
        "payment.confirmed",
    ]
    available = (await balance(evm_client, shop.headers, "USDT-ERC20"))["available"]
    assert Decimal(available) == Decimal("24.875")


async def test_18_decimal_token_on_a_legacy_fee_chain(
    evm_client: httpx.AsyncClient, shop: MerchantKey, chains: Chains, kassa: Kassa
) -> None:
    payment = await create(evm_client, shop.headers, asset="USDT-BEP20", amount_crypto="1.5")
    chains.bsc.transfer_token(chains.usdt18, payment["address"], 15 * 10**17)
    chains.bsc.mine(14)  # USDT-BEP20 needs 15 confirmations
    await kassa.sync("bsc")
    done = await fetch(evm_client, shop.headers, payment["id"])
    assert done["status"] == "confirmed"
    assert Decimal(done["amount_received"]) == Decimal("1.5")


async def test_reorg_removes_a_credited_transfer(
    evm_client: httpx.AsyncClient,
    shop: MerchantKey,
    chains: Chains,
    kassa: Kassa,
    evm_runtime: Runtime,
) -> None:
    payment = await create(evm_client, shop.headers, asset="USDT-ERC20", amount_crypto="5")
    before = chains.eth.snapshot()
    chains.eth.transfer_token(chains.usdt, payment["address"], 5_000_000)
    chains.eth.mine(11)
    await kassa.sync("eth")
    assert (await fetch(evm_client, shop.headers, payment["id"]))["status"] == "confirmed"

    # a deeper, competing chain without the transfer: back to before it, then more blocks
    chains.eth.revert(before)
    chains.eth.mine(20)
    result = await kassa.sync("eth")
    assert result.reverted_blocks > 0

    reverted = await fetch(evm_client, shop.headers, payment["id"])
    assert reverted["status"] == "pending"
    assert reverted["amount_received"] in ("0", "0.000000")
    kinds = [e["event"] for e in await events(evm_runtime, payment["id"])]
    assert kinds[-1] == "payment.reverted"
    available = (await balance(evm_client, shop.headers, "USDT-ERC20"))["available"]
    assert Decimal(available) == 0


async def test_anvil_reorg_of_an_unconfirmed_native_transfer(
    evm_client: httpx.AsyncClient,
    shop: MerchantKey,
    chains: Chains,
    kassa: Kassa,
    evm_runtime: Runtime,
) -> None:
    payment = await create(evm_client, shop.headers, asset="ETH", amount_crypto="0.01")
    chains.eth.pay(payment["address"], "0.01")
    chains.eth.mine(2)
    await kassa.sync("eth")
    assert (await fetch(evm_client, shop.headers, payment["id"]))["status"] == "detected"

    chains.eth.reorg(3)  # same height, three new blocks without the payment
    await kassa.sync("eth")
    assert (await fetch(evm_client, shop.headers, payment["id"]))["status"] == "pending"
    kinds = [e["event"] for e in await events(evm_runtime, payment["id"])]
    assert kinds == ["payment.detected", "payment.reverted"]
