"""Build the EVM adapters of one chain from the settings, once per runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kassa.assets.registry import registry
from kassa.chains.evm.adapter import EvmAdapter
from kassa.chains.evm.client import RpcClient
from kassa.chains.evm.hotwallet import hot_wallet_address
from kassa.chains.evm.node import EvmNode
from kassa.chains.evm.params import PARAMS
from kassa.chains.evm.payout import EvmPayoutAdapter
from kassa.chains.evm.sender import EvmSender
from kassa.chains.evm.watchlist import DepositWatchlist
from kassa.payments.addresses import key_id_for
from kassa.signer.client import RemoteSigner
from kassa.signer.protocol import Signer

if TYPE_CHECKING:
    from kassa.runtime import Runtime


@dataclass
class EvmChain:
    """Everything that talks to one EVM chain: reading, sending, and the hot wallet."""

    chain: str
    node: EvmNode
    adapter: EvmAdapter
    payout: EvmPayoutAdapter | None
    """None without an xpub (no hot wallet)."""

    async def aclose(self) -> None:
        await self.node.client.aclose()
        if self.payout is not None:
            signer = self.payout.sender.signer
            if isinstance(signer, RemoteSigner):
                await signer.aclose()


def is_evm(runtime: Runtime, chain_id: str) -> bool:
    chain = registry().chains.get(chain_id)
    return (
        chain is not None
        and chain.family == "evm"
        and runtime.settings.network != "devnet"
        and bool(runtime.settings.chain(chain_id).rpc_url)
        and runtime.settings.chain(chain_id).enabled
    )


def evm_chain(runtime: Runtime, chain_id: str) -> EvmChain | None:
    """The (cached) EVM wiring of ``chain_id``, or None when it is not an EVM chain with an RPC
    URL on a real network."""
    if not is_evm(runtime, chain_id):
        return None
    cache: dict[str, EvmChain] = runtime.__dict__.setdefault("_evm_chains", {})
    if chain_id not in cache:
        cache[chain_id] = build(runtime, chain_id)
    return cache[chain_id]


def build(runtime: Runtime, chain_id: str, signer: Signer | None = None) -> EvmChain:
    settings = runtime.settings
    configured = settings.chain(chain_id)
    assert configured.rpc_url is not None
    node = EvmNode(RpcClient(configured.rpc_url), PARAMS[chain_id])
    key_id = key_id_for(configured.xpub) if configured.xpub else None
    adapter = EvmAdapter(
        chain_id,
        node,
        DepositWatchlist(runtime.db, chain_id, key_id),
        settings.network,
        configured.tokens,
        configured.chain_id,
    )
    payout = None
    if configured.xpub:
        remote = signer or RemoteSigner(settings.resolved_signer_url, settings.signer_token)
        sender = EvmSender(runtime.db, node, remote, chain_id)
        payout = EvmPayoutAdapter(
            chain_id, node, sender, hot_wallet_address(configured.xpub), configured.tokens
        )
    return EvmChain(chain_id, node, adapter, payout)


async def close_all(runtime: Runtime) -> None:
    for chain in runtime.__dict__.pop("_evm_chains", {}).values():
        await chain.aclose()
