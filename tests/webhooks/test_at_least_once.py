"""Nothing is lost: a worker killed with SIGKILL in the middle of a delivery, restarted, still
delivers; several dispatchers never send the same attempt twice."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from kassa.config import Settings
from kassa.runtime import Runtime
from tests.conftest import PRICES_FILE, MerchantKey
from tests.webhooks.conftest import DispatcherFactory, Receiver, Reply, emit
from tests.webhooks.test_delivery import deliveries


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env.update(
        {
            "KASSA_DATABASE_URL": str(settings.database_url),
            "KASSA_DATA_DIR": str(settings.data_dir),
            "KASSA_NETWORK": "devnet",
            "KASSA_PRICE_SOURCE": "static",
            "KASSA_PRICES_FILE": str(PRICES_FILE),
            "KASSA_DEVNET_BLOCK_SECONDS": "3600",
            "KASSA_WATCHER_POLL_SECONDS": "60",
            "KASSA_WEBHOOK_TIMEOUT_SECONDS": "4",
            "KASSA_WEBHOOK_LEASE_SECONDS": "6",
            "KASSA_WEBHOOK_POLL_SECONDS": "0.2",
        }
    )
    return env


async def start_worker(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kassa", "worker", env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def stop(process: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        await asyncio.wait_for(process.wait(), timeout=30)


async def test_a_worker_killed_mid_delivery_loses_nothing(
    runtime: Runtime,
    settings: Settings,
    merchant: MerchantKey,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    hold = asyncio.Event()
    receiver.script("/hook", Reply(hold=hold))  # the first attempt hangs; later ones answer 200
    event = await emit(runtime, merchant.merchant_id, receiver.url())
    env, log = worker_env(settings), tmp_path / "worker.log"

    first = await start_worker(env, log)
    try:
        await receiver.wait_for(1, within=90)
        await stop(first, signal.SIGKILL)  # in the middle of the delivery
    finally:
        await stop(first, signal.SIGKILL)
    [delivery] = await deliveries(runtime, event.id)
    assert delivery.status == "pending"
    assert delivery.attempt_count == 0  # the killed attempt never finished

    second = await start_worker(env, log)
    try:
        await receiver.wait_for(2, within=90)
        async with asyncio.timeout(60):
            while (await deliveries(runtime, event.id))[0].status != "succeeded":  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        hold.set()
        await stop(second)
    assert second.returncode == 0, log.read_text()
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {f"msg_{event.id.hex}"}


async def test_concurrent_dispatchers_send_each_delivery_once(
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
) -> None:
    events = [await emit(runtime, merchant.merchant_id, receiver.url()) for _ in range(40)]
    first, second = make_dispatcher(), make_dispatcher()
    await asyncio.gather(first.run_until_idle(), second.run_until_idle())

    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert sorted(ids) == sorted(f"msg_{e.id.hex}" for e in events)
