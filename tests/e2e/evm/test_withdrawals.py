"""Withdrawals on a real EVM node through the PayoutAdapter port, the way the withdrawal
executor drives it: sign (persisted with its nonce) → broadcast → tx_status until the asset's
confirmations."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kassa.assets.registry import registry
from kassa.chains.base import Payout, TxState
from kassa.chains.evm.payout import EvmPayoutAdapter
from kassa.kit.errors import BroadcastRejected
from tests.e2e.evm.conftest import Chains, Kassa

ALICE = "0x1111111111111111111111111111111111111111"
BOB = "0x2222222222222222222222222222222222222222"


def payout_of(kassa: Kassa, chain: str) -> EvmPayoutAdapter:
    payout = kassa.chain(chain).payout
    assert payout is not None
    return payout


async def test_native_and_token_withdrawals_confirm_on_chain(kassa: Kassa, chains: Chains) -> None:
    payout = payout_of(kassa, "eth")
    chains.eth.pay(payout.hot_address, "1")
    chains.eth.mint(chains.usdt, payout.hot_address, 100_000_000)
    eth, usdt = registry().get("ETH"), registry().get("USDT-ERC20")
    quote = await payout.fee_quote(usdt)
    assert quote.native_asset == "ETH"
    assert quote.amount > 0

    native = Payout(id=uuid.uuid4(), asset=eth, to_address=ALICE, amount=10**17)
    token = Payout(id=uuid.uuid4(), asset=usdt, to_address=BOB.lower(), amount=7_250_000)
    chains.eth.automine(False)  # both wait in the mempool: nonces must not collide
    signed_native, signed_token = await asyncio.gather(payout.sign(native), payout.sign(token))
    assert await payout.sign(native) == signed_native  # a retry gets the same transaction
    for tx in (signed_native, signed_token):
        await payout.broadcast(tx)
        await payout.broadcast(tx)  # re-broadcasting is not an error
        assert (await payout.tx_status(tx.tx_hash)).state == TxState.PENDING
    chains.eth.mine(1)
    chains.eth.automine(True)

    for tx in (signed_native, signed_token):
        status = await payout.tx_status(tx.tx_hash)
        assert status.state == TxState.MINED
        assert status.confirmations == 1
        assert status.fee is not None
        assert 0 < status.fee <= tx.fee
    chains.eth.mine(11)
    status = await payout.tx_status(signed_token.tx_hash)
    assert status.confirmations >= usdt.confirmations
    assert chains.eth.balance(ALICE) == 10**17
    assert chains.eth.token_balance(chains.usdt, BOB) == 7_250_000


async def test_legacy_fee_chain_withdrawal(kassa: Kassa, chains: Chains) -> None:
    payout = payout_of(kassa, "bsc")
    chains.bsc.pay(payout.hot_address, "1")
    chains.bsc.mint(chains.usdt18, payout.hot_address, 5 * 10**18)
    usdt = registry().get("USDT-BEP20")
    tx = await payout.sign(Payout(id=uuid.uuid4(), asset=usdt, to_address=BOB, amount=10**18))
    await payout.broadcast(tx)
    chains.bsc.settle()
    chains.bsc.mine(14)
    status = await payout.tx_status(tx.tx_hash)
    assert status.state == TxState.MINED
    assert status.confirmations >= usdt.confirmations
    assert chains.bsc.token_balance(chains.usdt18, BOB) == 10**18
    raw = chains.bsc.call("eth_getTransactionByHash", tx.tx_hash)
    assert raw["type"] == "0x0"  # legacy gasPrice: the chain has no base fee


async def test_stuck_withdrawal_is_replaced_with_a_higher_fee(kassa: Kassa, chains: Chains) -> None:
    payout = payout_of(kassa, "eth")
    chains.eth.pay(payout.hot_address, "1")
    eth = registry().get("ETH")
    chains.eth.automine(False)
    first = await payout.sign(Payout(id=uuid.uuid4(), asset=eth, to_address=ALICE, amount=1))
    await payout.broadcast(first)

    replacement = await payout.replace(first.tx_hash)
    assert replacement is not None
    assert replacement.tx_hash != first.tx_hash
    assert replacement.fee > first.fee
    chains.eth.mine(1)
    chains.eth.automine(True)

    status = await payout.tx_status(first.tx_hash)  # asked about the original
    assert status.state == TxState.MINED
    assert status.tx_hash == replacement.tx_hash
    assert chains.eth.receipt(first.tx_hash) is None
    assert chains.eth.balance(ALICE) == 1


async def test_withdrawal_the_hot_wallet_cannot_cover_is_rejected(
    kassa: Kassa, chains: Chains
) -> None:
    payout = payout_of(kassa, "eth")
    usdt = registry().get("USDT-ERC20")
    with pytest.raises(BroadcastRejected, match="Insufficient"):
        await payout.sign(Payout(id=uuid.uuid4(), asset=usdt, to_address=BOB, amount=1))
