"""The chain watcher: one per chain, holding the lease ``watcher:<chain>``.

Each tick:

1. verifies the block under the cursor is still on the node's main chain; if not, rewinds one
   block at a time, reverting the receipts of every orphaned block, down to the common ancestor;
2. applies new blocks one database transaction each (receipts, ledger, events, cursor together),
   so a crash between blocks resumes exactly where it stopped;
3. records mempool transfers (0 confirmations), and reverts those that vanished from the
   mempool without being mined for longer than the grace period;
4. credits receipts that reached their asset's confirmations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import registry
from kassa.chains.base import Block, BlockRef, ChainAdapter, Transfer, confirmations, match_key
from kassa.db import Database
from kassa.kit.timeutil import utcnow
from kassa.models import DepositAddress
from kassa.payments.repository import PaymentRepository
from kassa.payments.settlement import confirm_receipt, on_transfer, revert_receipt
from kassa.watcher.repository import WatcherRepository
from kassa.workers.lease import acquire

log = logging.getLogger(__name__)

KEEP_BLOCKS = 1000
MAX_BLOCKS_PER_TICK = 500
MATCH_CHUNK = 1000


@dataclass
class TickResult:
    held_lease: bool = False
    blocks: int = 0
    reverted_blocks: int = 0
    tip: BlockRef | None = None


class ChainWatcher:
    def __init__(
        self,
        db: Database,
        adapter: ChainAdapter,
        owner: str,
        lease_seconds: float = 30.0,
        clock: Callable[[], datetime] = utcnow,
        mempool_drop_seconds: float = 1800.0,
    ) -> None:
        self.mempool_drop_seconds = mempool_drop_seconds
        self.db = db
        self.adapter = adapter
        self.chain = adapter.chain_id
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.clock = clock

    async def tick(self) -> TickResult:
        result = TickResult()
        async with self.db.session() as session:
            result.held_lease = await acquire(
                session, f"watcher:{self.chain}", self.owner, self.lease_seconds
            )
        if not result.held_lease:
            return result
        tip = await self.adapter.tip()
        result.tip = tip
        for _ in range(2 * MAX_BLOCKS_PER_TICK):
            if result.blocks >= MAX_BLOCKS_PER_TICK:
                break
            async with self.db.session() as session:
                cursor = await WatcherRepository(session, self.chain).cursor()
            if cursor is not None and not await self._on_main_chain(cursor, tip):
                await self._rewind(cursor)
                result.reverted_blocks += 1
                continue
            if cursor is not None and cursor.height >= tip.height:
                break
            block = await self.adapter.block(tip.height if cursor is None else cursor.height + 1)
            if block is None:
                break
            if cursor is not None and block.parent_hash != cursor.hash:
                continue  # the node reorganised since we looked: the next pass rewinds
            await self._apply(block, tip.height)
            result.blocks += 1
        await self._apply_mempool(tip.height)
        await self._confirm_due(tip.height)
        return result

    async def _on_main_chain(self, cursor: BlockRef, tip: BlockRef) -> bool:
        if cursor.height > tip.height:
            return False
        block = await self.adapter.block(cursor.height)
        return block is not None and block.ref.hash == cursor.hash

    async def _rewind(self, cursor: BlockRef) -> None:
        """Orphan the block under the cursor and step back to its parent.

        The node is asked for the parent before the transaction opens: an adapter call inside
        it would wait for a second connection, and SQLite has one per process."""
        now = self.clock()
        node_parent = await self.adapter.block(cursor.height - 1) if cursor.height > 0 else None
        async with self.db.session() as session:
            repo = WatcherRepository(session, self.chain)
            payments = PaymentRepository(session)
            for receipt in await payments.receipts_in_block(self.chain, cursor.hash):
                await revert_receipt(session, receipt, now, in_block=cursor.hash)
            stored = await repo.stored_block(cursor.height)
            await repo.forget(cursor.height)
            parent = await repo.stored_block(cursor.height - 1)
            if parent is not None:
                await repo.set_cursor(BlockRef(parent.height, parent.hash))
                return
            log.error("%s: reorg deeper than the %d blocks kept", self.chain, KEEP_BLOCKS)
            if cursor.height <= 0:
                await repo.clear_cursor()
                return
            parent_hash = stored.parent_hash if stored else ""
            if node_parent is not None:
                parent_hash = node_parent.ref.hash
            await repo.set_cursor(BlockRef(cursor.height - 1, parent_hash))

    async def _deposits(self, transfers: Sequence[Transfer]) -> dict[str, DepositAddress]:
        keys = list({match_key(t.to_address, t.destination_tag) for t in transfers})
        found: dict[str, DepositAddress] = {}
        async with self.db.session() as session:
            repo = PaymentRepository(session)
            for start in range(0, len(keys), MATCH_CHUNK):
                found.update(
                    await repo.deposits_by_key(self.chain, keys[start : start + MATCH_CHUNK])
                )
        return found

    async def _apply(self, block: Block, tip_height: int) -> None:
        deposits = await self._deposits(block.transfers)
        now = self.clock()
        async with self.db.session() as session:
            for transfer in block.transfers:
                deposit = deposits.get(match_key(transfer.to_address, transfer.destination_tag))
                if deposit is not None:
                    await on_transfer(session, deposit, transfer, block, tip_height, now)
            repo = WatcherRepository(session, self.chain)
            await repo.remember(block.ref, block.parent_hash, KEEP_BLOCKS)
            await repo.set_cursor(block.ref)

    async def _apply_mempool(self, tip_height: int) -> None:
        pending = await self.adapter.pending_transfers()
        deposits = await self._deposits(pending) if pending else {}
        now = self.clock()
        async with self.db.session() as session:
            for transfer in pending:
                deposit = deposits.get(match_key(transfer.to_address, transfer.destination_tag))
                if deposit is not None:
                    await on_transfer(session, deposit, transfer, None, tip_height, now)
            await self._drop_vanished(session, {(t.tx_hash, t.index) for t in pending}, now)

    async def _drop_vanished(
        self, session: AsyncSession, in_mempool: set[tuple[str, int]], now: datetime
    ) -> None:
        """Revert 0-confirmation receipts that left the mempool without reaching a block (a
        replaced or double-spent transaction) once they have been gone for the grace period."""
        for receipt in await PaymentRepository(session).in_mempool(self.chain):
            if (receipt.tx_hash, receipt.output_index) in in_mempool:
                receipt.missing_since = None
            elif receipt.missing_since is None:
                receipt.missing_since = now
            elif (now - receipt.missing_since).total_seconds() >= self.mempool_drop_seconds:
                await revert_receipt(session, receipt, now, in_block=None)

    async def _confirm_due(self, tip_height: int) -> None:
        assets = registry().assets
        now = self.clock()
        async with self.db.session() as session:
            for receipt in await PaymentRepository(session).unconfirmed_in_blocks(self.chain):
                receipt.confirmations = confirmations(tip_height, receipt.block_height)
                if receipt.confirmations >= assets[receipt.asset].confirmations:
                    await confirm_receipt(session, receipt, now)
