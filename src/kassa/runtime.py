"""Everything a process needs, built once: settings, database, prices, receiving keys."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kassa.chains.devnet.service import DevnetService
from kassa.chains.devnet.wallet import ensure_mnemonic
from kassa.config import Settings
from kassa.db import Database
from kassa.migrate import upgrade
from kassa.payments.addresses import ReceivingKeys
from kassa.prices.service import PriceService, build_price_service

log = logging.getLogger(__name__)


async def prepare_devnet(db: Database) -> None:
    """Genesis blocks and a stocked Solana address pool, before the first payment."""
    async with db.session() as session:
        service = DevnetService(session)
        await service.ensure_genesis()
        await service.refill_pool(mnemonic=await ensure_mnemonic(session))


@dataclass
class Runtime:
    settings: Settings
    db: Database
    prices: PriceService
    keys: ReceivingKeys

    @classmethod
    async def start(cls, settings: Settings, *, migrate: bool = True) -> Runtime:
        db = Database(settings.resolved_database_url)
        if migrate:
            await upgrade(db.engine)
        async with db.session() as session:
            keys = await ReceivingKeys.load(session, settings)
        if settings.network == "devnet":
            await prepare_devnet(db)
        return cls(settings=settings, db=db, prices=build_price_service(settings), keys=keys)

    async def close(self) -> None:
        await self.prices.aclose()
        await self.db.dispose()
