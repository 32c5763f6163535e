from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.models import DepositAddress, Receipt
from kassa.models.evm import EvmSweep, SweepState
from kassa.models.payment import ReceiptStatus

OPEN = (SweepState.TOPPING_UP, SweepState.SENDING)


@dataclass(frozen=True, slots=True)
class Candidate:
    address: str
    asset: str
    derivation_index: int


class SweepRepository:
    def __init__(self, session: AsyncSession, chain: str) -> None:
        self.session = session
        self.chain = chain

    async def candidates(self, limit: int) -> list[Candidate]:
        """(address, asset) pairs with a confirmed receipt newer than their last sweep (or dust
        check), on addresses without a sweep in progress."""
        swept_since = exists().where(
            EvmSweep.chain == Receipt.chain,
            EvmSweep.address == DepositAddress.address,
            EvmSweep.asset == Receipt.asset,
            EvmSweep.created_at >= Receipt.confirmed_at,
        )
        busy = exists().where(
            EvmSweep.chain == Receipt.chain,
            EvmSweep.address == DepositAddress.address,
            EvmSweep.state.in_(OPEN),
        )
        rows = (
            await self.session.execute(
                select(DepositAddress.address, Receipt.asset, DepositAddress.derivation_index)
                .join(
                    DepositAddress,
                    and_(
                        DepositAddress.payment_id == Receipt.payment_id,
                        DepositAddress.chain == Receipt.chain,
                    ),
                )
                .where(
                    Receipt.chain == self.chain,
                    Receipt.status == ReceiptStatus.CONFIRMED,
                    ~swept_since,
                    ~busy,
                )
                .distinct()
                .limit(limit)
            )
        ).all()
        return [Candidate(a, s, int(i)) for a, s, i in rows]

    async def open_sweeps(self) -> Sequence[EvmSweep]:
        return (
            await self.session.scalars(
                select(EvmSweep)
                .where(EvmSweep.chain == self.chain, EvmSweep.state.in_(OPEN))
                .order_by(EvmSweep.created_at)
            )
        ).all()

    async def get(self, sweep_id: uuid.UUID) -> EvmSweep | None:
        return await self.session.get(EvmSweep, sweep_id, populate_existing=True)

    async def receiving_addresses(self) -> list[str]:
        """Deposit addresses of the chain that ever received a transfer."""
        rows = await self.session.scalars(
            select(DepositAddress.address)
            .join(Receipt, Receipt.payment_id == DepositAddress.payment_id)
            .where(DepositAddress.chain == self.chain, Receipt.chain == self.chain)
            .distinct()
        )
        return list(rows)

    def add(self, sweep: EvmSweep) -> None:
        self.session.add(sweep)
