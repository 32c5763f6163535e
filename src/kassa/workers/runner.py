"""Run every background worker as asyncio tasks: in ``kassa serve`` next to the API, or alone
in ``kassa worker``. Each loop survives its own errors and stops when told."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

from kassa.chains.devnet.tasks import run_miner
from kassa.chains.registry import adapter_for
from kassa.invoices import tasks as invoice_tasks
from kassa.kit.errors import RetriableError
from kassa.payments.tasks import expire_due
from kassa.runtime import Runtime
from kassa.sweeps import tasks as sweep_tasks
from kassa.watcher.service import ChainWatcher
from kassa.webhooks import tasks as webhook_tasks
from kassa.withdrawals import tasks as withdrawal_tasks

log = logging.getLogger(__name__)

EXPIRY_SECONDS = 5.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def _loop(
    name: str, step: Callable[[], Awaitable[object]], interval: float, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        delay = interval
        try:
            await step()
        except RetriableError as exc:
            log.warning("%s: %s (retrying in %.0fs)", name, exc.message, exc.retry_after)
            delay = max(interval, exc.retry_after)
        except Exception:
            log.exception("%s failed; retrying", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)


async def start_workers(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """Start every worker; returns the coroutine function that stops them."""
    stop = asyncio.Event()
    owner = worker_id()
    settings = runtime.settings
    tasks: list[asyncio.Task[None]] = []
    for chain_id in sorted(runtime.keys.chains):
        adapter = adapter_for(runtime, chain_id)
        if adapter is None:
            log.warning(
                "no chain adapter for %s on %s: not watching it", chain_id, settings.network
            )
            continue
        watcher = ChainWatcher(
            runtime.db,
            adapter,
            owner,
            settings.worker_lease_seconds,
            mempool_drop_seconds=settings.mempool_drop_seconds,
        )
        tasks.append(
            asyncio.create_task(
                _loop(f"watcher:{chain_id}", watcher.tick, settings.watcher_poll_seconds, stop)
            )
        )
    tasks.append(
        asyncio.create_task(_loop("expiry", lambda: expire_due(runtime.db), EXPIRY_SECONDS, stop))
    )
    for loop in [
        *webhook_tasks.loops(runtime, owner),
        *withdrawal_tasks.loops(runtime, owner),
        *invoice_tasks.loops(runtime, owner),
        *sweep_tasks.loops(runtime, owner),
    ]:
        tasks.append(asyncio.create_task(_loop(loop.name, loop.step, loop.interval, stop)))
    if settings.network == "devnet":
        tasks.append(asyncio.create_task(run_miner(runtime, stop)))

    async def stop_all() -> None:
        stop.set()
        await asyncio.wait(tasks, timeout=10)
        for task in tasks:
            task.cancel()

    return stop_all
