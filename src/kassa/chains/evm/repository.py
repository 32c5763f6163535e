"""SQL of the EVM family: watched deposit addresses, hot-wallet nonces, signed transactions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db import upsert
from kassa.models import DepositAddress
from kassa.models.evm import EvmNonce, EvmTx, EvmTxState


class EvmRepository:
    def __init__(self, session: AsyncSession, chain: str) -> None:
        self.session = session
        self.chain = chain

    # --- watched deposit addresses --------------------------------------------------------

    async def deposit_addresses(
        self, key_id: str | None = None, after_index: int = -1
    ) -> Sequence[tuple[str, str, int]]:
        """``(key_id, address, derivation_index)`` of the chain's deposit addresses; with
        ``key_id``, only those of that key issued after ``after_index``."""
        query = select(
            DepositAddress.key_id, DepositAddress.address, DepositAddress.derivation_index
        ).where(DepositAddress.chain == self.chain)
        if key_id is not None:
            query = query.where(
                DepositAddress.key_id == key_id, DepositAddress.derivation_index > after_index
            )
        return [(k, a, int(i)) for k, a, i in (await self.session.execute(query)).all()]

    async def deposit_index(self, address: str) -> int | None:
        return await self.session.scalar(
            select(DepositAddress.derivation_index)
            .where(DepositAddress.chain == self.chain, DepositAddress.match_key == address)
            .limit(1)
        )

    # --- nonces and signed transactions ---------------------------------------------------

    async def lock_nonce(self, address: str) -> EvmNonce:
        """The nonce row of ``address``, locked for the rest of the transaction."""
        await self.session.execute(
            upsert(self.session, EvmNonce)
            .values(chain=self.chain, address=address, next_nonce=0)
            .on_conflict_do_nothing()
        )
        row = await self.session.scalar(
            select(EvmNonce)
            .where(EvmNonce.chain == self.chain, EvmNonce.address == address)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return row

    async def released_nonces(self, address: str, mined_count: int) -> list[int]:
        """Nonces of transactions the node refused for good that nothing else took since: they
        must be reused, or every later transaction of the address waits behind the gap."""
        rows = (
            await self.session.execute(
                select(EvmTx.nonce, EvmTx.state).where(
                    EvmTx.chain == self.chain,
                    EvmTx.from_address == address,
                    EvmTx.nonce >= mined_count,
                )
            )
        ).all()
        taken = {n for n, s in rows if s != EvmTxState.REJECTED}
        return sorted({n for n, s in rows if s == EvmTxState.REJECTED} - taken)

    async def latest_for(self, ref_id: uuid.UUID) -> EvmTx | None:
        """The newest transaction signed for a payout or sweep (a replacement if there is one)."""
        return await self.session.scalar(
            select(EvmTx)
            .where(EvmTx.chain == self.chain, EvmTx.ref_id == ref_id)
            .order_by(EvmTx.created_at.desc(), EvmTx.nonce.desc())
            .limit(1)
        )

    async def by_hash(self, tx_hash: str) -> EvmTx | None:
        return await self.session.scalar(
            select(EvmTx).where(EvmTx.chain == self.chain, EvmTx.tx_hash == tx_hash)
        )

    async def get(self, tx_id: uuid.UUID) -> EvmTx | None:
        return await self.session.get(EvmTx, tx_id, populate_existing=True)

    async def same_nonce(self, tx: EvmTx) -> Sequence[EvmTx]:
        """Every transaction with ``tx``'s sender and nonce: the original and its replacements."""
        return (
            await self.session.scalars(
                select(EvmTx)
                .where(
                    EvmTx.chain == self.chain,
                    EvmTx.from_address == tx.from_address,
                    EvmTx.nonce == tx.nonce,
                    EvmTx.ref_id == tx.ref_id,
                )
                .order_by(EvmTx.created_at.desc())
            )
        ).all()

    async def in_flight(self) -> Sequence[EvmTx]:
        """Signed or broadcast transactions not known to be mined, oldest first."""
        return (
            await self.session.scalars(
                select(EvmTx)
                .where(
                    EvmTx.chain == self.chain,
                    EvmTx.state.in_([EvmTxState.SIGNED, EvmTxState.BROADCAST]),
                )
                .order_by(EvmTx.nonce, EvmTx.created_at)
            )
        ).all()

    def add(self, tx: EvmTx) -> None:
        self.session.add(tx)
