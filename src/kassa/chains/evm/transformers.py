"""Pure mapping from standard Ethereum JSON-RPC results to Kassa's canonical objects.

Every function here takes the decoded JSON of a node's answer (hex quantities as strings) and
returns plain values; nothing does I/O, so each is tested against recorded node responses.
Addresses come out EIP-55 checksummed, the form deposit addresses are stored in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import to_checksum_address

from kassa.chains.base import Block, BlockRef, Transfer, TxState, TxStatus, confirmations
from kassa.chains.evm.params import BALANCE_OF_SELECTOR, TRANSFER_SELECTOR, TRANSFER_TOPIC
from kassa.kit.errors import ChainUnavailable

JSON = Mapping[str, Any]


def quantity(value: Any) -> int:
    """A JSON-RPC QUANTITY (``"0x1a"``) as an int; garbage is a node failure, not a bug."""
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ChainUnavailable(f"node answered a malformed quantity: {value!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise ChainUnavailable(f"node answered a malformed quantity: {value!r}") from None


def to_quantity(value: int) -> str:
    return hex(value)


def checksum(address: str) -> str:
    """EIP-55 form of a 20-byte hex address (any case in, canonical out)."""
    return str(to_checksum_address(address))


def topic_address(topic: str) -> str:
    """The address in an indexed ``address`` topic (the low 20 bytes of 32)."""
    return checksum("0x" + topic[-40:])


def address_topic(address: str) -> str:
    return "0x" + "0" * 24 + address[2:].lower()


def block_ref(raw: JSON) -> BlockRef:
    return BlockRef(height=quantity(raw["number"]), hash=str(raw["hash"]))


def block_time(raw: JSON) -> datetime:
    return datetime.fromtimestamp(quantity(raw["timestamp"]), tz=UTC)


def base_fee(raw: JSON) -> int | None:
    """The block's EIP-1559 base fee, None on a chain without it (or with it fixed at zero)."""
    fee = raw.get("baseFeePerGas")
    return quantity(fee) if fee is not None and quantity(fee) > 0 else None


def native_transfers(raw: JSON, watched: frozenset[str] | None = None) -> list[Transfer]:
    """Value-carrying top-level transactions of a block fetched with full transactions.

    ``index`` is 0 (one native transfer per transaction). Contract creations have no recipient
    and are skipped; so are recipients outside ``watched`` when it is given. Transfers made by
    contracts (internal transactions) are not visible here: see docs/evm.md.
    """
    found: list[Transfer] = []
    for tx in raw.get("transactions") or ():
        if not isinstance(tx, Mapping):
            raise ChainUnavailable("block was fetched without full transactions")
        to = tx.get("to")
        value = quantity(tx.get("value", "0x0"))
        if not to or value == 0:
            continue
        recipient = checksum(to)
        if watched is not None and recipient not in watched:
            continue
        found.append(Transfer(tx_hash=str(tx["hash"]), index=0, to_address=recipient, amount=value))
    return found


def token_transfers(
    logs: Iterable[JSON],
    contracts: Mapping[str, str],
    block_hash: str | None = None,
    watched: frozenset[str] | None = None,
) -> list[Transfer]:
    """ERC-20 ``Transfer`` logs as transfers, ``index`` being the log's index in its block.

    ``contracts`` maps a lowercase contract address as deployed on this node to the contract the
    asset registry knows (they differ when the operator overrides a token address, e.g. on a test
    network): the transfer carries the registry's, so settlement finds the right asset. Logs of
    other contracts, removed logs, and logs of another block than ``block_hash`` are dropped;
    a log in another block means the node reorganised mid-scan, which the caller must retry.
    """
    found: list[Transfer] = []
    for log in logs:
        topics = log.get("topics") or []
        if len(topics) != 3 or str(topics[0]).lower() != TRANSFER_TOPIC or log.get("removed"):
            continue
        contract = contracts.get(str(log.get("address", "")).lower())
        if contract is None:
            continue
        if block_hash is not None and log.get("blockHash") != block_hash:
            raise ChainUnavailable("the node reorganised while the block was being read")
        data = str(log.get("data", "0x"))
        if len(data) != 66:  # one uint256; anything else is not a standard ERC-20 Transfer
            continue
        recipient = topic_address(str(topics[2]))
        if watched is not None and recipient not in watched:
            continue
        found.append(
            Transfer(
                tx_hash=str(log["transactionHash"]),
                index=quantity(log["logIndex"]),
                to_address=recipient,
                amount=int(data, 16),
                contract=contract,
            )
        )
    return found


def to_block(raw: JSON, transfers: Sequence[Transfer]) -> Block:
    return Block(
        ref=block_ref(raw),
        parent_hash=str(raw["parentHash"]),
        transfers=tuple(transfers),
        timestamp=block_time(raw),
    )


def tx_status(receipt: JSON | None, known: bool, tip_height: int) -> TxStatus:
    """A transaction's state from its receipt (None while unmined) and whether the node has it."""
    if receipt is None:
        return TxStatus(TxState.PENDING if known else TxState.UNKNOWN)
    height = quantity(receipt["blockNumber"])
    price = receipt.get("effectiveGasPrice") or receipt.get("gasPrice") or "0x0"
    fee = quantity(receipt["gasUsed"]) * quantity(price)
    state = TxState.MINED if quantity(receipt.get("status", "0x1")) == 1 else TxState.FAILED
    return TxStatus(state, height, confirmations(tip_height, height), fee)


@dataclass(frozen=True, slots=True)
class Bid:
    """The fee fields of one transaction: EIP-1559 when ``priority_fee`` is set, else legacy
    with ``max_fee_per_gas`` as the ``gasPrice``."""

    max_fee_per_gas: int
    priority_fee: int | None


@dataclass(frozen=True, slots=True)
class FeeMarket:
    """What to bid for gas. ``base_fee`` None: the chain takes legacy ``gas_price`` bids."""

    base_fee: int | None
    priority_fee: int
    gas_price: int

    @property
    def eip1559(self) -> bool:
        return self.base_fee is not None

    @property
    def max_fee_per_gas(self) -> int:
        """Twice the next base fee plus the tip: stays valid through six full blocks."""
        if self.base_fee is None:
            return self.gas_price
        return 2 * self.base_fee + self.priority_fee

    def bid(self) -> Bid:
        return Bid(self.max_fee_per_gas, self.priority_fee if self.eip1559 else None)

    def legacy_bid(self) -> Bid:
        """A legacy ``gasPrice`` bid: its cost is exactly ``gas used x price`` (sweeps use it to
        empty an address to the last wei)."""
        price = (
            self.gas_price
            if self.base_fee is None
            else max(self.gas_price, self.base_fee + self.priority_fee)
        )
        return Bid(price, None)


def fee_market(history: JSON, gas_price: int, min_priority_fee: int = 0) -> FeeMarket:
    """From ``eth_feeHistory(n, "latest", [50])`` and ``eth_gasPrice``.

    The last ``baseFeePerGas`` entry is the next block's base fee; the tip is the median of the
    blocks' median rewards, raised to the chain's floor.
    """
    fees = history.get("baseFeePerGas") or []
    next_base = quantity(fees[-1]) if fees else 0
    rewards = sorted(quantity(r[0]) for r in history.get("reward") or [] if r)
    tip = rewards[len(rewards) // 2] if rewards else 0
    tip = max(tip, min_priority_fee)
    if next_base == 0:
        return FeeMarket(base_fee=None, priority_fee=0, gas_price=max(gas_price, min_priority_fee))
    return FeeMarket(base_fee=next_base, priority_fee=tip, gas_price=gas_price)


def transfer_calldata(to: str, amount: int) -> str:
    """ABI-encoded ``transfer(to, amount)``."""
    return "0x" + TRANSFER_SELECTOR + address_topic(to)[2:] + f"{amount:064x}"


def decode_transfer_calldata(data: str) -> tuple[str, int] | None:
    """``(recipient, amount)`` if ``data`` is exactly an ERC-20 ``transfer`` call, else None."""
    body = data[2:] if data.startswith("0x") else data
    if len(body) != 8 + 128 or body[:8].lower() != TRANSFER_SELECTOR:
        return None
    if int(body[8:32], 16) != 0:
        return None
    return checksum("0x" + body[32:72]), int(body[72:], 16)


def balance_of_calldata(owner: str) -> str:
    return "0x" + BALANCE_OF_SELECTOR + address_topic(owner)[2:]
