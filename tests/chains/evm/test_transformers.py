"""The pure mapping from node JSON to transfers, fees and statuses, against responses recorded
from a real node (anvil 1.7.1: an EIP-1559 chain and a pre-London, legacy-fee one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kassa.chains.base import TxState
from kassa.chains.evm import transformers as tf
from kassa.chains.evm.adapter import token_contracts
from kassa.kit.errors import ChainUnavailable

FIXTURES = Path(__file__).parent / "fixtures"
DEPOSIT = "0x8ba1f109551bD432803012645Ac136ddd64DBA72"
DEPLOYED_USDT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
MAINNET_USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"


def result(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())["result"]


def test_native_transfers_of_a_full_block() -> None:
    block = result("eth_getBlockByNumber_full")
    transfers = tf.native_transfers(block)
    assert len(transfers) == 1  # the token transfer call carries no value
    [native] = transfers
    assert native.to_address == DEPOSIT  # EIP-55, whatever case the node used
    assert native.amount == 5 * 10**16
    assert native.index == 0
    assert native.contract is None
    assert tf.native_transfers(block, watched=frozenset({"0x" + "11" * 20})) == []


def test_block_maps_to_its_ref_parent_and_time() -> None:
    raw = result("eth_getBlockByNumber_full")
    block = tf.to_block(raw, [])
    assert block.ref.height == 3
    assert block.ref.hash == raw["hash"]
    assert block.parent_hash == raw["parentHash"]
    assert block.timestamp is not None
    assert int(block.timestamp.timestamp()) == int(raw["timestamp"], 16)


def test_token_transfer_carries_the_registry_contract_of_an_overridden_token() -> None:
    contracts = token_contracts("eth", {"USDT-ERC20": DEPLOYED_USDT})
    logs = result("eth_getLogs_transfer")
    block_hash = logs[0]["blockHash"]
    [transfer] = tf.token_transfers(logs, contracts, block_hash)
    assert transfer.contract == MAINNET_USDT
    assert transfer.to_address == DEPOSIT
    assert transfer.amount == 25_000_000
    assert transfer.index == 0
    assert transfer.tx_hash == logs[0]["transactionHash"]


def test_logs_of_other_contracts_removed_logs_and_unwatched_recipients_are_dropped() -> None:
    contracts = token_contracts("eth", {"USDT-ERC20": DEPLOYED_USDT})
    [log] = result("eth_getLogs_transfer")
    other = {**log, "address": "0x" + "22" * 20}
    removed = {**log, "removed": True}
    approval = {**log, "topics": ["0x" + "ab" * 32, *log["topics"][1:]]}
    assert tf.token_transfers([other, removed, approval], contracts) == []
    assert tf.token_transfers([log], contracts, watched=frozenset({"0x" + "11" * 20})) == []
    with pytest.raises(ChainUnavailable, match="reorganised"):
        tf.token_transfers([log], contracts, block_hash="0x" + "00" * 32)


def test_fee_market_eip1559_and_legacy() -> None:
    market = tf.fee_market(result("eth_feeHistory_eip1559"), gas_price=2_000_000_000)
    assert market.eip1559
    assert market.base_fee is not None
    assert market.max_fee_per_gas == 2 * market.base_fee + market.priority_fee
    assert market.bid().priority_fee == market.priority_fee

    legacy = tf.fee_market(result("eth_feeHistory_legacy"), gas_price=1_875_000_000)
    assert not legacy.eip1559
    assert legacy.bid() == tf.Bid(1_875_000_000, None)
    polygon = tf.fee_market(result("eth_feeHistory_eip1559"), 1, min_priority_fee=30 * 10**9)
    assert polygon.priority_fee == 30 * 10**9


def test_tx_status_from_receipts() -> None:
    token = tf.tx_status(result("eth_getTransactionReceipt_token"), True, tip_height=14)
    assert token.state == TxState.MINED
    assert token.block_height == 3
    assert token.confirmations == 12
    receipt = result("eth_getTransactionReceipt_token")
    assert token.fee == int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    legacy = tf.tx_status(result("eth_getTransactionReceipt_legacy"), True, tip_height=1)
    assert legacy.state == TxState.MINED
    reverted = tf.tx_status({**receipt, "status": "0x0"}, True, tip_height=3)
    assert reverted.state == TxState.FAILED
    assert tf.tx_status(None, True, 3).state == TxState.PENDING
    assert tf.tx_status(None, False, 3).state == TxState.UNKNOWN


def test_transfer_calldata_round_trip() -> None:
    data = tf.transfer_calldata(DEPOSIT, 10**30)
    assert tf.decode_transfer_calldata(data) == (DEPOSIT, 10**30)
    assert tf.decode_transfer_calldata(data + "00") is None
    assert tf.decode_transfer_calldata("0x095ea7b3" + data[10:]) is None  # approve()


@pytest.mark.parametrize("garbage", [None, 12, "12", "0xzz"])
def test_malformed_quantities_are_a_node_failure(garbage: object) -> None:
    with pytest.raises(ChainUnavailable):
        tf.quantity(garbage)
