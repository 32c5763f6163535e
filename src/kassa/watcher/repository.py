from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.chains.base import BlockRef
from kassa.models import ChainBlock, ChainCursor


class WatcherRepository:
    def __init__(self, session: AsyncSession, chain: str) -> None:
        self.session = session
        self.chain = chain

    async def cursor(self) -> BlockRef | None:
        row = await self.session.get(ChainCursor, self.chain, populate_existing=True)
        return None if row is None else BlockRef(row.height, row.hash)

    async def set_cursor(self, ref: BlockRef) -> None:
        row = await self.session.get(ChainCursor, self.chain)
        if row is None:
            self.session.add(ChainCursor(chain=self.chain, height=ref.height, hash=ref.hash))
        else:
            row.height, row.hash = ref.height, ref.hash

    async def clear_cursor(self) -> None:
        await self.session.execute(delete(ChainCursor).where(ChainCursor.chain == self.chain))

    async def stored_block(self, height: int) -> ChainBlock | None:
        return await self.session.get(ChainBlock, (self.chain, height))

    async def remember(self, ref: BlockRef, parent_hash: str, keep: int) -> None:
        await self.session.execute(
            delete(ChainBlock).where(
                ChainBlock.chain == self.chain,
                (ChainBlock.height >= ref.height) | (ChainBlock.height < ref.height - keep),
            )
        )
        self.session.add(
            ChainBlock(chain=self.chain, height=ref.height, hash=ref.hash, parent_hash=parent_hash)
        )

    async def forget(self, height: int) -> None:
        await self.session.execute(
            delete(ChainBlock).where(ChainBlock.chain == self.chain, ChainBlock.height == height)
        )

    async def latest_stored(self) -> ChainBlock | None:
        return await self.session.scalar(
            select(ChainBlock)
            .where(ChainBlock.chain == self.chain)
            .order_by(ChainBlock.height.desc())
            .limit(1)
        )
