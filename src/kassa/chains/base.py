"""The chain port: what Kassa needs from any blockchain, as canonical dataclasses.

An adapter maps a node's own API (JSON-RPC, REST, or the devnet's tables) onto these objects.
Mapping lives in pure functions (``transformers.py``) and I/O in ``client.py`` so the mapping
can be tested against recorded node responses.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from kassa.assets.registry import Asset


@dataclass(frozen=True, slots=True)
class BlockRef:
    height: int
    hash: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """Value arriving at one address, idempotent per ``(chain, tx_hash, index)``.

    ``index`` is the output index (UTXO), log index (EVM tokens), or 0 for an account-model native
    transfer. ``contract`` is None for the chain's native coin, else the token's contract / mint.
    ``amount`` is in atomic units. ``destination_tag`` is set on XRP when the sender gave one.
    """

    tx_hash: str
    index: int
    to_address: str
    amount: int
    contract: str | None = None
    destination_tag: int | None = None


@dataclass(frozen=True, slots=True)
class Block:
    ref: BlockRef
    parent_hash: str
    transfers: Sequence[Transfer] = field(default_factory=tuple)
    timestamp: datetime | None = None
    """When the block was produced, if the chain says: decides whether a receipt was on time."""


@runtime_checkable
class ChainAdapter(Protocol):
    """Read access to one chain. Every method may raise ``ChainUnavailable`` (retriable)."""

    chain_id: str

    async def tip(self) -> BlockRef:
        """The current head of the node's main chain."""
        ...

    async def block(self, height: int) -> Block | None:
        """The main-chain block at ``height`` with its transfers, or None above the tip."""
        ...

    async def pending_transfers(self) -> Sequence[Transfer]:
        """Transfers in the mempool (0 confirmations); empty for chains without one."""
        ...


def match_key(address: str, destination_tag: int | None = None) -> str:
    """What deposit targets are looked up by: the canonical address, plus ``?dt=`` on XRP."""
    return address if destination_tag is None else f"{address}?dt={destination_tag}"


def confirmations(tip_height: int, block_height: int | None) -> int:
    """A transaction in the tip block has 1 confirmation; one in the mempool has 0."""
    if block_height is None or block_height > tip_height:
        return 0
    return tip_height - block_height + 1


# --- sending: withdrawals and sweeps ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeeQuote:
    """The estimated network fee of one transfer of an asset, in the chain's native asset."""

    native_asset: str
    amount: int


@dataclass(frozen=True, slots=True)
class Payout:
    """One outgoing transfer. ``id`` (the withdrawal or sweep id) makes sending idempotent."""

    id: uuid.UUID
    asset: Asset
    to_address: str
    amount: int
    destination_tag: int | None = None


@dataclass(frozen=True, slots=True)
class SignedTx:
    """A signed transaction, persisted by the caller BEFORE it is broadcast, so that a retry after
    a crash re-broadcasts the very same transaction instead of signing a second one."""

    tx_hash: str
    raw: str
    fee: int
    """The most it can cost, in atomic units of the chain's native asset."""


class TxState(StrEnum):
    PENDING = "pending"
    """Known to the node, not in a block yet."""
    MINED = "mined"
    """In a main-chain block and successful."""
    FAILED = "failed"
    """In a block but reverted (EVM), or rejected for good."""
    UNKNOWN = "unknown"
    """The node does not know it (dropped, or never arrived)."""


@dataclass(frozen=True, slots=True)
class TxStatus:
    state: TxState
    block_height: int | None = None
    confirmations: int = 0
    fee: int | None = None
    """What it actually cost, once mined, in atomic units of the native asset."""
    tx_hash: str | None = None
    """The transaction that was mined, when the adapter replaced a stuck one with a higher fee
    (same nonce, new hash); None when it is the one asked about."""


@runtime_checkable
class PayoutAdapter(Protocol):
    """Write access to one chain. Every method may raise ``ChainUnavailable`` (retriable);
    ``broadcast`` raises ``BroadcastRejected`` when the node refuses the transaction for good."""

    chain_id: str

    async def fee_quote(self, asset: Asset) -> FeeQuote:
        """The network fee one transfer of ``asset`` is expected to cost."""
        ...

    async def sign(self, payout: Payout) -> SignedTx:
        """Build and sign (through the Signer) the transaction for ``payout``."""
        ...

    async def broadcast(self, tx: SignedTx) -> None:
        """Submit ``tx``; submitting a transaction the node already has is not an error."""
        ...

    async def tx_status(self, tx_hash: str) -> TxStatus:
        """Where a broadcast transaction is."""
        ...
