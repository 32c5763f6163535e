"""Background work of sweeps: per EVM chain with a hot wallet, the sweeper and the keeper of
in-flight transactions (rebroadcast when dropped, fee replacement when stuck)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from kassa.assets.registry import registry
from kassa.chains.evm.sender import EvmSender
from kassa.chains.evm.wiring import evm_chain
from kassa.sweeps.service import EvmSweeper
from kassa.workers.lease import acquire
from kassa.workers.loop import Loop

if TYPE_CHECKING:
    from kassa.runtime import Runtime


def loops(runtime: Runtime, owner: str) -> list[Loop]:
    """The loops the worker runner starts for this domain."""
    found: list[Loop] = []
    settings = runtime.settings
    lease = settings.worker_lease_seconds
    for chain_id in sorted(registry().chains):
        wired = evm_chain(runtime, chain_id)
        if wired is None or wired.payout is None:
            continue
        payout = wired.payout
        sweeper = EvmSweeper(
            runtime.db,
            payout,
            runtime.prices,
            settings.chain(chain_id),
            settings.sweep_fee_ratio,
        )
        replace_after = timedelta(seconds=settings.chain(chain_id).replace_after_seconds)

        async def sweep(chain: str = chain_id, job: EvmSweeper = sweeper) -> None:
            async with runtime.db.session() as session:
                if not await acquire(session, f"sweeper:{chain}", owner, lease):
                    return
            await job.run_once()

        async def keep(
            chain: str = chain_id,
            sender: EvmSender = payout.sender,
            after: timedelta = replace_after,
        ) -> None:
            async with runtime.db.session() as session:
                if not await acquire(session, f"evm-txs:{chain}", owner, lease):
                    return
            await sender.keep_in_flight(after)

        found.append(Loop(f"sweeper:{chain_id}", sweep, settings.sweep_interval_seconds))
        found.append(Loop(f"evm-txs:{chain_id}", keep, settings.watcher_poll_seconds * 5))
    return found
