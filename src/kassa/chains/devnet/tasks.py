"""The devnet's block producer: one block on every chain every ``devnet_block_seconds``.

Only the holder of the ``devnet:miner`` lease mines, so N server or worker processes on one
database still produce one block per interval. The miner also keeps the Solana address pool
topped up, since devnet Solana deposit addresses come from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from typing import TYPE_CHECKING

from kassa.chains.base import BlockRef
from kassa.chains.devnet.service import DevnetService
from kassa.chains.devnet.wallet import ensure_mnemonic
from kassa.workers import lease

if TYPE_CHECKING:
    from kassa.runtime import Runtime

log = logging.getLogger(__name__)

LEASE_NAME = "devnet:miner"
POOL_MINIMUM_FREE = 200


def _owner_id() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex}"[:64]


async def refill_pool(runtime: Runtime, minimum_free: int = POOL_MINIMUM_FREE) -> int:
    """Top up the devnet Solana address pool; returns how many addresses were added."""
    async with runtime.db.session() as session:
        mnemonic = await ensure_mnemonic(session)
        return await DevnetService(session).refill_pool(
            mnemonic=mnemonic, minimum_free=minimum_free
        )


async def mine_once(runtime: Runtime) -> dict[str, BlockRef]:
    """Mine one block on every devnet chain and refill the Solana pool; returns the new tips."""
    async with runtime.db.session() as session:
        tips = await DevnetService(session).mine()
    await refill_pool(runtime)
    return tips


async def run_miner(runtime: Runtime, stop: asyncio.Event) -> None:
    """Mine a block every ``devnet_block_seconds`` until ``stop`` is set, while this process
    holds the ``devnet:miner`` lease. An error is logged and the next tick tries again.

    Genesis blocks and the first pool stock are made at start-up (:mod:`kassa.runtime`).
    """
    owner = _owner_id()
    interval = runtime.settings.devnet_block_seconds
    ttl = interval + runtime.settings.worker_lease_seconds
    try:
        while not await _stopped(stop, interval):
            try:
                async with runtime.db.session() as session:
                    held = await lease.acquire(session, LEASE_NAME, owner, ttl)
                if held:
                    tips = await mine_once(runtime)
                    log.debug("devnet mined: %s", tips)
            except Exception:
                log.exception("devnet miner tick failed")
    finally:
        with contextlib.suppress(Exception):
            async with runtime.db.session() as session:
                await lease.release(session, LEASE_NAME, owner)


async def _stopped(stop: asyncio.Event, interval: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=interval)
    return stop.is_set()
