"""The devnet's behaviour: paying, mining, injected reorgs, and the Solana address pool.

Every chain of the asset registry has its own devnet chain: a genesis block at height 0, then
blocks that each include the whole mempool. State lives only in the database, so a CLI process and
a running server (or several) share one devnet. Writers of one chain are serialised by a lock on
its genesis block; :class:`DevnetService` never commits — its caller owns the transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import Asset, Chain, registry
from kassa.chains.addresses import validate_address
from kassa.chains.base import BlockRef
from kassa.chains.devnet import hashes
from kassa.chains.devnet.repository import BlockRow, DevnetRepository, NewTx
from kassa.chains.network import Network
from kassa.keys.seed import solana_addresses
from kassa.kit.dbtypes import ATOMIC_DIGITS
from kassa.kit.errors import BadRequest, InvalidAddress
from kassa.kit.money import to_atomic
from kassa.kit.timeutil import utcnow

NETWORK: Final[Network] = "devnet"
POOL_KEY_SUFFIX = ":pool"
MAX_DESTINATION_TAG = 2**32 - 1
_MAX_ATOMIC = 2**256 - 1  # uint256: the largest amount any supported chain can carry
_POOL_BATCH = 500
MAX_INJECTED_FAILURES = 100


@dataclass(frozen=True, slots=True)
class ChainStatus:
    """One devnet chain at a glance."""

    chain: str
    height: int
    hash: str
    mempool: int


def genesis_block(chain: Chain) -> BlockRow:
    """``chain``'s deterministic genesis block."""
    return BlockRow(
        chain=chain.id,
        height=0,
        hash=hashes.genesis_hash(chain.family, chain.id),
        parent_hash=hashes.zero_hash(chain.family),
        timestamp=utcnow(),
    )


def chain_by_id(chain_id: str) -> Chain:
    """The registry chain ``chain_id`` or a 400 listing the valid ids."""
    chains = registry().chains
    chain = chains.get(chain_id)
    if chain is None:
        raise BadRequest(f'Unknown chain: "{chain_id}". Chains: {", ".join(chains)}')
    return chain


def parse_amount(asset: Asset, amount: Decimal) -> int:
    """A positive amount of ``asset`` as atomic units, or a 400 that says what is wrong."""
    if not amount.is_finite():
        raise BadRequest("Invalid amount: must be a finite number")
    if amount <= 0:
        raise BadRequest("Invalid amount: must be greater than 0")
    if amount.adjusted() >= ATOMIC_DIGITS:
        raise BadRequest("Invalid amount: too large")
    try:
        atomic = to_atomic(amount, asset.decimals)
    except ValueError:
        raise BadRequest(
            f"Invalid amount: {asset.symbol} has at most {asset.decimals} decimal places"
        ) from None
    if atomic > _MAX_ATOMIC:
        raise BadRequest("Invalid amount: too large")
    return atomic


class DevnetService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = DevnetRepository(session)

    async def ensure_genesis(self, chain_ids: Iterable[str] | None = None) -> None:
        """Create the height-0 block of each chain (default: every chain) that has none yet.

        The genesis hash is deterministic, so concurrent callers cannot create two of them.
        """
        chains = self._chains(chain_ids)
        await self.repo.insert_genesis([genesis_block(c) for c in chains])

    async def pay(
        self, asset: Asset, address: str, amount: Decimal, destination_tag: int | None = None
    ) -> str:
        """Send ``amount`` of ``asset`` to ``address`` from nowhere: a mempool transaction.

        The address must be valid for the asset's chain on the devnet (regtest formats for BTC
        and LTC); an XRP X-address carries its own destination tag. Tokens are sent from the
        asset's contract. The transaction is confirmed by the next mined block. Returns its hash.
        """
        chain = asset.chain
        if destination_tag is not None:
            if chain.family != "xrp":
                raise BadRequest(
                    f"Invalid destination_tag: destination tags exist only on XRP, "
                    f"not on {chain.id.upper()}"
                )
            if isinstance(destination_tag, bool) or not 0 <= destination_tag <= MAX_DESTINATION_TAG:
                raise BadRequest(
                    f"Invalid destination_tag: must be between 0 and {MAX_DESTINATION_TAG}"
                )
        atomic = parse_amount(asset, amount)
        try:
            target = validate_address(chain, NETWORK, address, destination_tag)
        except InvalidAddress as exc:
            detail = f": {exc.reason}" if exc.reason else ""
            raise InvalidAddress(
                f"Invalid address for {asset.symbol} on the devnet{detail}", reason=exc.reason
            ) from None
        tx_hash = hashes.tx_hash(chain.family)
        await self.repo.add_tx(
            NewTx(
                chain=chain.id,
                tx_hash=tx_hash,
                output_index=0,
                to_address=target.address,
                amount=atomic,
                contract=asset.contract,
                destination_tag=target.destination_tag,
            )
        )
        return tx_hash

    async def mine(
        self, chain_ids: Sequence[str] | None = None, blocks: int = 1
    ) -> dict[str, BlockRef]:
        """Mine ``blocks`` blocks on each chain (default: every chain); returns the new tips.

        Each block includes every pending transaction of its chain, so after the first block the
        mempool is empty and the rest are empty blocks.
        """
        if blocks < 1:
            raise BadRequest("Invalid blocks: must be at least 1")
        chains = self._chains(chain_ids)
        await self.ensure_genesis(c.id for c in chains)
        tips: dict[str, BlockRef] = {}
        for chain in chains:
            tip = await self._locked_tip(chain)
            tips[chain.id] = await self._extend(chain, tip, blocks, include_mempool=True)
        return tips

    async def reorg(self, chain_id: str, depth: int, drop_txs: bool = True) -> BlockRef:
        """Replace the top ``depth`` blocks of ``chain_id`` with a longer competing branch.

        The orphaned blocks' transactions are either dropped (a double spend: they are never
        mined again) or, with ``drop_txs=False``, returned to the mempool, where the next mined
        block picks them up. The competing branch is ``depth + 1`` empty blocks on top of the
        fork point, so the new main chain is one block longer than the old one. Returns its tip.
        """
        chain = chain_by_id(chain_id)
        await self.ensure_genesis([chain.id])
        tip = await self._locked_tip(chain)
        if tip.height == 0:
            raise BadRequest(
                f"Invalid depth: {chain.id} has no blocks after genesis to reorganise; mine first"
            )
        if isinstance(depth, bool) or not 1 <= depth <= tip.height:
            raise BadRequest(
                f"Invalid depth: must be between 1 and {tip.height} (the height of {chain.id})"
            )
        fork_height = tip.height - depth
        orphans = [b.hash for b in await self.repo.main_blocks_above(chain.id, fork_height)]
        fork = await self.repo.main_block(chain.id, fork_height)
        assert fork is not None  # heights below the tip are contiguous on the main chain
        await self.repo.orphan(chain.id, orphans)
        if drop_txs:
            await self.repo.drop_txs_in(chain.id, orphans)
        else:
            await self.repo.unmine_txs_in(chain.id, orphans)
        return await self._extend(chain, fork, depth + 1, include_mempool=False)

    async def fail_next_broadcast(self, chain_id: str, count: int = 1) -> int:
        """Make the next ``count`` payout broadcasts on ``chain_id`` fail as if the node refused
        them for good (a withdrawal then fails and its hold is restored). Returns how many
        failures are queued on the chain now."""
        chain = chain_by_id(chain_id)
        if isinstance(count, bool) or not 1 <= count <= MAX_INJECTED_FAILURES:
            raise BadRequest(f"Invalid count: must be between 1 and {MAX_INJECTED_FAILURES}")
        return await self.repo.add_broadcast_faults(chain.id, count)

    async def refill_pool(
        self, *, mnemonic: str, chain_id: str = "solana", minimum_free: int = 200
    ) -> int:
        """Keep at least ``minimum_free`` unissued pre-derived addresses in ``chain_id``'s pool.

        The issued count is the ``address_counters`` row ``"<chain>:pool"`` (none yet: 0). New
        addresses continue the derivation indexes; running it again adds nothing. Returns how
        many addresses were added.
        """
        if chain_id != "solana":
            raise BadRequest(f"Invalid chain: {chain_id} has no address pool")
        issued = await self.repo.issued(chain_id + POOL_KEY_SUFFIX)
        size = await self.repo.pool_size(chain_id)
        missing = issued + minimum_free - size
        added = 0
        while missing > 0:
            count = min(missing, _POOL_BATCH)
            start = size + added
            addresses = await asyncio.to_thread(solana_addresses, mnemonic, start, count)
            await self.repo.add_to_pool(chain_id, start, addresses)
            added += count
            missing -= count
        return added

    async def status(self) -> list[ChainStatus]:
        """Every chain's tip and mempool size (a chain not started yet is at its genesis)."""
        tips = await self.repo.main_tips()
        mempool = await self.repo.mempool_sizes()
        result: list[ChainStatus] = []
        for chain in registry().chains.values():
            tip = tips.get(chain.id) or genesis_block(chain)
            result.append(ChainStatus(chain.id, tip.height, tip.hash, mempool.get(chain.id, 0)))
        return result

    # --- internals ----------------------------------------------------------------------------

    def _chains(self, chain_ids: Iterable[str] | None) -> list[Chain]:
        if chain_ids is None:
            return list(registry().chains.values())
        wanted = {chain_by_id(cid).id for cid in chain_ids}
        # registry order, so that every writer locks chains in the same order
        return [c for c in registry().chains.values() if c.id in wanted]

    async def _locked_tip(self, chain: Chain) -> BlockRow:
        await self.repo.lock_chain(chain.id, hashes.genesis_hash(chain.family, chain.id))
        tip = await self.repo.main_tip(chain.id)
        assert tip is not None  # ensure_genesis ran in this transaction
        return tip

    async def _extend(
        self, chain: Chain, parent: BlockRow, count: int, *, include_mempool: bool
    ) -> BlockRef:
        new: list[BlockRow] = []
        for _ in range(count):
            parent = BlockRow(
                chain=chain.id,
                height=parent.height + 1,
                hash=hashes.block_hash(chain.family),
                parent_hash=parent.hash,
                timestamp=utcnow(),
            )
            new.append(parent)
        await self.repo.insert_blocks(new)
        if include_mempool:
            await self.repo.include_mempool(chain.id, new[0].hash)
        return BlockRef(height=parent.height, hash=parent.hash)
