"""The devnet as a :class:`~kassa.chains.base.ChainAdapter`: the watcher reads it like any node.

Each call is one short read-only transaction on the devnet tables. A chain that nobody has mined
yet is at its (deterministic) genesis block, so the adapter works on a fresh database.
"""

from __future__ import annotations

from collections.abc import Sequence

from kassa.chains.base import Block, BlockRef, Transfer
from kassa.chains.devnet.repository import DevnetRepository, TxRow
from kassa.chains.devnet.service import chain_by_id, genesis_block
from kassa.db import Database


def to_transfer(tx: TxRow) -> Transfer:
    return Transfer(
        tx_hash=tx.tx_hash,
        index=tx.output_index,
        to_address=tx.to_address,
        amount=tx.amount,
        contract=tx.contract,
        destination_tag=tx.destination_tag,
    )


class DevnetAdapter:
    """Read access to one devnet chain (``chain_id`` is a registry chain id such as ``btc``)."""

    def __init__(self, db: Database, chain_id: str) -> None:
        self.db = db
        self.chain_id = chain_id
        self._genesis = genesis_block(chain_by_id(chain_id))

    async def tip(self) -> BlockRef:
        """The highest block of the devnet chain's main chain."""
        async with self.db.session() as session:
            tip = await DevnetRepository(session).main_tip(self.chain_id)
        tip = tip or self._genesis
        return BlockRef(height=tip.height, hash=tip.hash)

    async def block(self, height: int) -> Block | None:
        """The main-chain block at ``height`` with its transfers in order; None above the tip."""
        if height < 0:
            return None
        async with self.db.session() as session:
            repo = DevnetRepository(session)
            row = await repo.main_block(self.chain_id, height)
            if row is None:
                if height != 0:
                    return None
                row = self._genesis
            txs = await repo.txs_in_block(self.chain_id, row.hash)
        return Block(
            ref=BlockRef(height=row.height, hash=row.hash),
            parent_hash=row.parent_hash,
            transfers=tuple(to_transfer(tx) for tx in txs),
        )

    async def pending_transfers(self) -> Sequence[Transfer]:
        """Transfers waiting in the mempool (dropped transactions are not there)."""
        async with self.db.session() as session:
            txs = await DevnetRepository(session).mempool(self.chain_id)
        return tuple(to_transfer(tx) for tx in txs)
