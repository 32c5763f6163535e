"""The devnet's seed: made on first start, kept in the database, used only on the devnet."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.keys.seed import new_mnemonic
from kassa.models import DevnetWallet


async def ensure_mnemonic(session: AsyncSession) -> str:
    wallet = await session.scalar(select(DevnetWallet).where(DevnetWallet.id == 1))
    if wallet is None:
        wallet = DevnetWallet(id=1, mnemonic=new_mnemonic())
        session.add(wallet)
        await session.flush()
    return wallet.mnemonic
