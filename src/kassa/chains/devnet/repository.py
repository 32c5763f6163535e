"""All SQL on the devnet's tables (``devnet_blocks``, ``devnet_txs``) and the Solana address pool.

Reads return plain frozen rows, never ORM objects, so that bulk updates can never leave a stale
object behind in a session's identity map.

The main chain of a devnet chain is its non-orphaned blocks; heights are unique among them
because every writer first takes :meth:`DevnetRepository.lock_chain`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db import upsert
from kassa.kit.timeutil import as_utc
from kassa.models import AddressCounter, AddressPool, DevnetBlock, DevnetTx
from kassa.models.devnet import DevnetBroadcastFault


@dataclass(frozen=True, slots=True)
class BlockRow:
    chain: str
    height: int
    hash: str
    parent_hash: str
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class TxRow:
    chain: str
    tx_hash: str
    output_index: int
    to_address: str
    amount: int
    contract: str | None
    destination_tag: int | None
    block_hash: str | None


@dataclass(frozen=True, slots=True)
class TxLocation:
    """Where a transaction is: ``height`` of its main-chain block, None in the mempool."""

    tx: TxRow
    dropped: bool
    height: int | None


@dataclass(frozen=True, slots=True)
class NewTx:
    chain: str
    tx_hash: str
    output_index: int
    to_address: str
    amount: int
    contract: str | None = None
    destination_tag: int | None = None


_BLOCK_COLUMNS = (
    DevnetBlock.chain,
    DevnetBlock.height,
    DevnetBlock.hash,
    DevnetBlock.parent_hash,
    DevnetBlock.timestamp,
)
_TX_COLUMNS = (
    DevnetTx.chain,
    DevnetTx.tx_hash,
    DevnetTx.output_index,
    DevnetTx.to_address,
    DevnetTx.amount,
    DevnetTx.contract,
    DevnetTx.destination_tag,
    DevnetTx.block_hash,
)


def _block(row: Row[str, int, str, str, datetime]) -> BlockRow:
    return BlockRow(row.chain, row.height, row.hash, row.parent_hash, as_utc(row.timestamp))


def _tx(row: Row[str, str, int, str, int, str | None, int | None, str | None]) -> TxRow:
    return TxRow(
        chain=row.chain,
        tx_hash=row.tx_hash,
        output_index=row.output_index,
        to_address=row.to_address,
        amount=row.amount,
        contract=row.contract,
        destination_tag=row.destination_tag,
        block_hash=row.block_hash,
    )


class DevnetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _insert_ignoring_conflicts(
        self, model: type[DevnetBlock] | type[AddressPool], rows: list[dict[str, Any]]
    ) -> None:
        insert_ = (
            pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        await self.session.execute(insert_(model).values(rows).on_conflict_do_nothing())

    # --- blocks -------------------------------------------------------------------------------

    async def insert_genesis(self, blocks: Sequence[BlockRow]) -> None:
        """Insert genesis blocks; ones already there (same deterministic hash) are kept."""
        if not blocks:
            return
        rows = [
            {
                "chain": b.chain,
                "hash": b.hash,
                "height": b.height,
                "parent_hash": b.parent_hash,
                "timestamp": b.timestamp,
                "orphaned": False,
            }
            for b in blocks
        ]
        await self._insert_ignoring_conflicts(DevnetBlock, rows)

    async def lock_chain(self, chain: str, genesis_hash: str) -> None:
        """Serialise writers of one chain until the transaction ends (PostgreSQL row lock on the
        genesis block; SQLite's ``BEGIN IMMEDIATE`` already serialises every writer)."""
        await self.session.execute(
            select(DevnetBlock.hash)
            .where(DevnetBlock.chain == chain, DevnetBlock.hash == genesis_hash)
            .with_for_update()
        )

    async def main_tip(self, chain: str) -> BlockRow | None:
        row = (
            await self.session.execute(
                select(*_BLOCK_COLUMNS)
                .where(DevnetBlock.chain == chain, DevnetBlock.orphaned.is_(False))
                .order_by(DevnetBlock.height.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else _block(row)

    async def main_tips(self) -> dict[str, BlockRow]:
        """The tip of every chain that has blocks."""
        heights = (
            select(DevnetBlock.chain, func.max(DevnetBlock.height).label("height"))
            .where(DevnetBlock.orphaned.is_(False))
            .group_by(DevnetBlock.chain)
            .subquery()
        )
        rows = await self.session.execute(
            select(*_BLOCK_COLUMNS).join(
                heights,
                (DevnetBlock.chain == heights.c.chain)
                & (DevnetBlock.height == heights.c.height)
                & DevnetBlock.orphaned.is_(False),
            )
        )
        return {block.chain: block for block in map(_block, rows)}

    async def main_block(self, chain: str, height: int) -> BlockRow | None:
        row = (
            await self.session.execute(
                select(*_BLOCK_COLUMNS).where(
                    DevnetBlock.chain == chain,
                    DevnetBlock.orphaned.is_(False),
                    DevnetBlock.height == height,
                )
            )
        ).first()
        return None if row is None else _block(row)

    async def main_blocks_above(self, chain: str, height: int) -> list[BlockRow]:
        rows = await self.session.execute(
            select(*_BLOCK_COLUMNS)
            .where(
                DevnetBlock.chain == chain,
                DevnetBlock.orphaned.is_(False),
                DevnetBlock.height > height,
            )
            .order_by(DevnetBlock.height)
        )
        return [_block(r) for r in rows]

    async def insert_blocks(self, blocks: Sequence[BlockRow]) -> None:
        if not blocks:
            return
        await self.session.execute(
            insert(DevnetBlock),
            [
                {
                    "chain": b.chain,
                    "hash": b.hash,
                    "height": b.height,
                    "parent_hash": b.parent_hash,
                    "timestamp": b.timestamp,
                    "orphaned": False,
                }
                for b in blocks
            ],
        )

    async def orphan(self, chain: str, hashes: Sequence[str]) -> None:
        await self.session.execute(
            update(DevnetBlock)
            .where(DevnetBlock.chain == chain, DevnetBlock.hash.in_(hashes))
            .values(orphaned=True)
            .execution_options(synchronize_session=False)
        )

    # --- transactions -------------------------------------------------------------------------

    async def add_tx(self, tx: NewTx) -> None:
        await self.session.execute(
            insert(DevnetTx).values(
                chain=tx.chain,
                tx_hash=tx.tx_hash,
                output_index=tx.output_index,
                to_address=tx.to_address,
                amount=tx.amount,
                contract=tx.contract,
                destination_tag=tx.destination_tag,
                block_hash=None,
                dropped=False,
            )
        )

    async def add_tx_once(self, tx: NewTx) -> None:
        """Insert ``tx`` unless the same ``(chain, tx_hash, output_index)`` is already there."""
        insert_ = (
            pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        await self.session.execute(
            insert_(DevnetTx)
            .values(
                chain=tx.chain,
                tx_hash=tx.tx_hash,
                output_index=tx.output_index,
                to_address=tx.to_address,
                amount=tx.amount,
                contract=tx.contract,
                destination_tag=tx.destination_tag,
                block_hash=None,
                dropped=False,
            )
            .on_conflict_do_nothing()
        )

    async def locate_tx(self, chain: str, tx_hash: str) -> TxLocation | None:
        """Output 0 of ``tx_hash`` and the height of its block if that is on the main chain."""
        row = (
            await self.session.execute(
                select(*_TX_COLUMNS, DevnetTx.dropped, DevnetBlock.height)
                .outerjoin(
                    DevnetBlock,
                    (DevnetBlock.chain == DevnetTx.chain)
                    & (DevnetBlock.hash == DevnetTx.block_hash)
                    & DevnetBlock.orphaned.is_(False),
                )
                .where(
                    DevnetTx.chain == chain,
                    DevnetTx.tx_hash == tx_hash,
                    DevnetTx.output_index == 0,
                )
            )
        ).first()
        if row is None:
            return None
        tx = TxRow(
            chain=row.chain,
            tx_hash=row.tx_hash,
            output_index=row.output_index,
            to_address=row.to_address,
            amount=row.amount,
            contract=row.contract,
            destination_tag=row.destination_tag,
            block_hash=row.block_hash,
        )
        return TxLocation(tx=tx, dropped=bool(row.dropped), height=row.height)

    async def add_broadcast_faults(self, chain: str, count: int) -> int:
        """Make the next ``count`` more payout broadcasts on ``chain`` fail; returns the total."""
        stmt = upsert(self.session, DevnetBroadcastFault).values(chain=chain, remaining=count)
        stmt = stmt.on_conflict_do_update(
            index_elements=[DevnetBroadcastFault.chain],
            set_={"remaining": DevnetBroadcastFault.remaining + count},
        ).returning(DevnetBroadcastFault.remaining)
        return int(await self.session.scalar(stmt) or 0)

    async def take_broadcast_fault(self, chain: str) -> bool:
        """Use up one injected failure of ``chain``; False when none is left."""
        result = await self.session.execute(
            update(DevnetBroadcastFault)
            .where(DevnetBroadcastFault.chain == chain, DevnetBroadcastFault.remaining > 0)
            .values(remaining=DevnetBroadcastFault.remaining - 1)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def include_mempool(self, chain: str, block_hash: str) -> int:
        """Put every pending (non-dropped) tx of ``chain`` into ``block_hash``; returns how many."""
        result = await self.session.execute(
            update(DevnetTx)
            .where(
                DevnetTx.chain == chain,
                DevnetTx.block_hash.is_(None),
                DevnetTx.dropped.is_(False),
            )
            .values(block_hash=block_hash)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def drop_txs_in(self, chain: str, block_hashes: Sequence[str]) -> int:
        """Mark the txs of these blocks as never to be mined again (they keep their old block)."""
        result = await self.session.execute(
            update(DevnetTx)
            .where(DevnetTx.chain == chain, DevnetTx.block_hash.in_(block_hashes))
            .values(dropped=True)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def unmine_txs_in(self, chain: str, block_hashes: Sequence[str]) -> int:
        """Return the txs of these blocks to the mempool."""
        result = await self.session.execute(
            update(DevnetTx)
            .where(DevnetTx.chain == chain, DevnetTx.block_hash.in_(block_hashes))
            .values(block_hash=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def txs_in_block(self, chain: str, block_hash: str) -> list[TxRow]:
        rows = await self.session.execute(
            select(*_TX_COLUMNS)
            .where(DevnetTx.chain == chain, DevnetTx.block_hash == block_hash)
            .order_by(DevnetTx.id)
        )
        return [_tx(r) for r in rows]

    async def mempool(self, chain: str) -> list[TxRow]:
        rows = await self.session.execute(
            select(*_TX_COLUMNS)
            .where(
                DevnetTx.chain == chain,
                DevnetTx.block_hash.is_(None),
                DevnetTx.dropped.is_(False),
            )
            .order_by(DevnetTx.id)
        )
        return [_tx(r) for r in rows]

    async def mempool_sizes(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(DevnetTx.chain, func.count())
            .where(DevnetTx.block_hash.is_(None), DevnetTx.dropped.is_(False))
            .group_by(DevnetTx.chain)
        )
        return {str(chain): int(count) for chain, count in rows}

    # --- address pool -------------------------------------------------------------------------

    async def pool_size(self, chain: str) -> int:
        """How many addresses the pool holds (indexes are contiguous from 0)."""
        top = await self.session.scalar(
            select(func.max(AddressPool.index)).where(AddressPool.chain == chain)
        )
        return 0 if top is None else int(top) + 1

    async def issued(self, key_id: str) -> int:
        value = await self.session.scalar(
            select(AddressCounter.next_index).where(AddressCounter.key_id == key_id)
        )
        return 0 if value is None else int(value)

    async def add_to_pool(self, chain: str, start: int, addresses: Sequence[str]) -> None:
        if not addresses:
            return
        rows = [
            {"chain": chain, "index": start + offset, "address": address}
            for offset, address in enumerate(addresses)
        ]
        await self._insert_ignoring_conflicts(AddressPool, rows)
