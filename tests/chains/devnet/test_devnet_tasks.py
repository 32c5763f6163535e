import asyncio
import dataclasses
import logging

import pytest
from sqlalchemy import func, select

from kassa.assets.registry import registry
from kassa.chains.devnet import tasks
from kassa.chains.devnet.adapter import DevnetAdapter
from kassa.chains.devnet.tasks import LEASE_NAME, mine_once, run_miner
from kassa.models import AddressCounter, AddressPool, WorkerLease
from kassa.runtime import Runtime
from kassa.workers import lease


async def _pool_size(runtime: Runtime) -> int:
    async with runtime.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(AddressPool)) or 0)


def _fast(runtime: Runtime) -> Runtime:
    settings = runtime.settings.model_copy(update={"devnet_block_seconds": 0.02})
    return dataclasses.replace(runtime, settings=settings)


async def _wait_for_height(runtime: Runtime, chain: str, height: int) -> None:
    adapter = DevnetAdapter(runtime.db, chain)
    for _ in range(1000):  # the database is polled: no event to wait on across processes
        if (await adapter.tip()).height >= height:
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"{chain} never reached height {height}")


async def test_mine_once_mines_every_chain_and_refills_the_pool(runtime: Runtime) -> None:
    async with runtime.db.session() as session:
        counter = await session.get(AddressCounter, "solana:pool")
        assert counter is not None
        counter.next_index = 150  # 150 of the 200 pooled addresses were issued
    tips = await mine_once(runtime)
    assert set(tips) == set(registry().chains)
    assert all(tip.height == 1 for tip in tips.values())
    assert await _pool_size(runtime) == 350
    assert all(tip.height == 2 for tip in (await mine_once(runtime)).values())
    assert await _pool_size(runtime) == 350


async def test_run_miner_produces_blocks_and_releases_its_lease(runtime: Runtime) -> None:
    fast = _fast(runtime)
    stop = asyncio.Event()
    miner = asyncio.create_task(run_miner(fast, stop))
    await _wait_for_height(fast, "xrp", 3)
    stop.set()
    await asyncio.wait_for(miner, timeout=5)
    async with runtime.db.session() as session:
        assert await session.get(WorkerLease, LEASE_NAME) is None


async def test_only_the_lease_holder_mines(runtime: Runtime) -> None:
    async with runtime.db.session() as session:
        assert await lease.acquire(session, LEASE_NAME, "another-process", 60)
    stop = asyncio.Event()
    miner = asyncio.create_task(run_miner(_fast(runtime), stop))
    await asyncio.sleep(0.2)
    assert (await DevnetAdapter(runtime.db, "btc").tip()).height == 0
    async with runtime.db.session() as session:
        await lease.release(session, LEASE_NAME, "another-process")
    await _wait_for_height(runtime, "btc", 1)
    stop.set()
    await asyncio.wait_for(miner, timeout=5)


async def test_a_failing_tick_does_not_stop_the_miner(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = tasks.mine_once
    calls = 0

    async def flaky(rt: Runtime) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        return await real(rt)

    monkeypatch.setattr(tasks, "mine_once", flaky)
    stop = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger=tasks.__name__):
        miner = asyncio.create_task(run_miner(_fast(runtime), stop))
        await _wait_for_height(runtime, "eth", 1)
        stop.set()
        await asyncio.wait_for(miner, timeout=5)
    assert "devnet miner tick failed" in caplog.text
