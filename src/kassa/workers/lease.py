"""Leases: at most one holder of a named job at a time, across processes and machines.

A lease is a row (``worker_leases``) with an owner and an expiry. A holder renews it on every tick;
a crashed holder's lease expires and another process takes over. Claiming is one atomic upsert, so
two processes can never both believe they hold it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db import upsert
from kassa.kit.timeutil import utcnow
from kassa.models import WorkerLease


async def acquire(session: AsyncSession, name: str, owner: str, ttl_seconds: float) -> bool:
    """Take or renew lease ``name`` for ``owner``; False while someone else holds it."""
    now = utcnow()
    stmt = upsert(session, WorkerLease).values(
        name=name, owner=owner, expires_at=now + timedelta(seconds=ttl_seconds)
    )
    claim = stmt.on_conflict_do_update(
        index_elements=[WorkerLease.name],
        set_={"owner": stmt.excluded.owner, "expires_at": stmt.excluded.expires_at},
        where=(WorkerLease.expires_at < now) | (WorkerLease.owner == owner),
    ).returning(WorkerLease.owner)
    holder: str | None = await session.scalar(claim)
    return holder == owner


async def release(session: AsyncSession, name: str, owner: str) -> None:
    await session.execute(
        delete(WorkerLease).where(WorkerLease.name == name, WorkerLease.owner == owner)
    )
