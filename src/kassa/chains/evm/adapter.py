"""An EVM chain (Ethereum, BSC, Polygon, Arbitrum, or a local anvil) as a ChainAdapter.

A block's native transfers come from the block itself (fetched with full transactions); its
token transfers from ``eth_getLogs`` on the ERC-20 ``Transfer`` topic of the chain's token
contracts, by block hash, filtered by watched recipient (see :mod:`.watchlist`). The watcher
does the rest: confirmations from the head, reorgs, catch-up from its cursor after downtime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kassa.assets.registry import registry
from kassa.chains.base import Block, BlockRef, Transfer
from kassa.chains.evm import transformers as tf
from kassa.chains.evm.node import EvmNode
from kassa.chains.evm.params import RECIPIENT_FILTER_MAX
from kassa.chains.evm.watchlist import DepositWatchlist
from kassa.chains.network import Network
from kassa.kit.errors import ChainUnavailable


def token_contracts(chain_id: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """Deployed contract (lowercase) -> the registry's contract, for every token of the chain.

    ``overrides`` (``ChainSettings.tokens``: asset symbol -> contract) replace the registry's
    mainnet addresses, e.g. with contracts deployed on a test network.
    """
    found: dict[str, str] = {}
    for asset in registry().assets_on(chain_id):
        if asset.contract is not None:
            deployed = overrides.get(asset.symbol) or asset.contract
            found[deployed.lower()] = asset.contract
    return found


class EvmAdapter:
    """Read access to one EVM chain over JSON-RPC."""

    def __init__(
        self,
        chain_id: str,
        node: EvmNode,
        watchlist: DepositWatchlist,
        network: Network,
        overrides: Mapping[str, str] | None = None,
        expected_chain_id: int | None = None,
    ) -> None:
        self.chain_id = chain_id
        self.node = node
        self.watchlist = watchlist
        self.network = network
        self.contracts = token_contracts(chain_id, overrides or {})
        self.has_native = any(not a.is_token for a in registry().assets_on(chain_id))
        self.expected_chain_id = expected_chain_id
        self._checked = False

    async def check_chain_id(self) -> None:
        """Refuse to watch a node of another chain (a BSC URL configured for ETH ...)."""
        if self._checked:
            return
        found = await self.node.chain_id()
        params = self.node.params
        if self.expected_chain_id is not None:
            allowed: tuple[int, ...] = (self.expected_chain_id,)
        elif self.network == "mainnet":
            allowed = (params.mainnet_chain_id,)
        else:
            allowed = params.testnet_chain_ids
        if found not in allowed:
            raise ChainUnavailable(
                f"the {self.chain_id} node at {self.node.client.where} is on chain id {found}, "
                f"expected {' or '.join(map(str, allowed))} for {self.network}",
                retry_after=60.0,
            )
        self._checked = True

    async def tip(self) -> BlockRef:
        await self.check_chain_id()
        return tf.block_ref(await self.node.head())

    async def block(self, height: int) -> Block | None:
        if height < 0:
            return None
        raw = await self.node.block(height, full=True)
        if raw is None:
            return None
        watched = await self.watchlist.addresses()  # after the block: see watchlist.py
        transfers: list[Transfer] = []
        if self.has_native:
            transfers.extend(tf.native_transfers(raw, watched))
        if self.contracts and watched:
            block_hash = str(raw["hash"])
            recipients = list(watched) if len(watched) <= RECIPIENT_FILTER_MAX else None
            logs = await self.node.transfer_logs(block_hash, list(self.contracts), recipients)
            transfers.extend(tf.token_transfers(logs, self.contracts, block_hash, watched))
        return tf.to_block(raw, transfers)

    async def pending_transfers(self) -> Sequence[Transfer]:
        """Not read: the mempool is not a standard JSON-RPC API. Transfers count from their first
        block (1 confirmation)."""
        return ()
