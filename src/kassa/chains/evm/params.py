"""What Kassa needs to know about each EVM chain that the node does not say by itself.

Numbers are defaults chosen for public mainnet conditions; the chain id and whether EIP-1559 fees
apply are read from the node (``eth_chainId``, ``baseFeePerGas``) and cross-checked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

TRANSFER_TOPIC: Final = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
"""``keccak256("Transfer(address,address,uint256)")``: topic 0 of every ERC-20 transfer log."""

TRANSFER_SELECTOR: Final = "a9059cbb"
"""``transfer(address,uint256)``: the only contract call Kassa ever signs."""

BALANCE_OF_SELECTOR: Final = "70a08231"
"""``balanceOf(address)``."""

NATIVE_TRANSFER_GAS: Final = 21_000


@dataclass(frozen=True, slots=True)
class EvmParams:
    """Per-chain constants. ``chain_ids`` maps a Kassa network to the EIP-155 chain ids accepted
    there (empty: any, e.g. a local anvil on ``testnet``)."""

    gas_symbol: str
    """The coin fees are paid in (for chains whose native coin is not a Kassa asset: Arbitrum)."""
    mainnet_chain_id: int
    testnet_chain_ids: tuple[int, ...]
    token_transfer_gas: int
    """Gas limit used for an ERC-20 transfer when the node cannot estimate it."""
    min_priority_fee: int = 0
    """Floor for the EIP-1559 tip in wei (Polygon requires 30 gwei)."""


PARAMS: Final[dict[str, EvmParams]] = {
    "eth": EvmParams("ETH", 1, (11155111, 17000, 31337), 90_000),
    "bsc": EvmParams("BNB", 56, (97, 31337), 90_000),
    "polygon": EvmParams("MATIC", 137, (80002, 31337), 90_000, min_priority_fee=30 * 10**9),
    "arbitrum": EvmParams("ETH", 42161, (421614, 31337), 1_500_000),
}

# Limits of one eth_getLogs query and of one JSON-RPC batch (public providers refuse larger ones).
LOG_TOPIC_CHUNK: Final = 200
"""Recipient addresses per ``eth_getLogs`` topic list."""
RECIPIENT_FILTER_MAX: Final = 2_000
"""Up to this many watched addresses the logs are filtered by recipient on the node; above it,
Kassa asks for every Transfer log of its token contracts and matches recipients itself (fewer,
larger queries)."""
BATCH_MAX: Final = 50
"""Calls per JSON-RPC batch request."""
GAS_MARGIN: Final = (6, 5)
"""Estimated gas is multiplied by 6/5 (20 %) for token transfers: unused gas is not paid."""
