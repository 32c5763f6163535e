"""Background work of this domain: the withdrawal executor, and purging expired idempotency keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kassa.chains.registry import payout_adapter_for
from kassa.idempotency.service import purge_expired
from kassa.kit.timeutil import utcnow
from kassa.withdrawals.executor import WithdrawalExecutor
from kassa.workers.loop import Loop

if TYPE_CHECKING:
    from kassa.runtime import Runtime

PURGE_SECONDS = 600.0


def executor(runtime: Runtime, owner: str) -> WithdrawalExecutor:
    return WithdrawalExecutor(
        runtime.db,
        owner,
        lambda chain_id: payout_adapter_for(runtime, chain_id),
        lease_seconds=runtime.settings.worker_lease_seconds,
    )


async def purge_idempotency_keys(runtime: Runtime) -> int:
    async with runtime.db.session() as session:
        return await purge_expired(session, utcnow())


def loops(runtime: Runtime, owner: str) -> list[Loop]:
    """The loops the worker runner starts for this domain."""
    return [
        Loop(
            "withdrawals:executor",
            executor(runtime, owner).tick,
            runtime.settings.withdrawal_poll_seconds,
        ),
        Loop("idempotency:purge", lambda: purge_idempotency_keys(runtime), PURGE_SECONDS),
    ]
