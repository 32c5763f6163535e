"""Kill -9 at any point, restart: nothing is lost and nothing happens twice.

While payments are created, paid (in full, in part, overpaid), mined, reorganised and expired,
first ``kassa worker`` and then ``kassa serve`` (the API with its workers) are SIGKILLed at
random moments — during start-up too — and started again. When the storm is over a last
process runs until the watcher has caught up, and then every invariant of
``tests/reliability/invariants.py`` must hold: every confirmed receipt credited exactly once,
journal balanced, balances equal to their entries, one event per state change, every event
delivered to its ``webhook_url``, every acknowledged payment still there.

Fast by default; ``KASSA_LONG=1`` runs the long storm (see docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kassa.models import ChainCursor
from kassa.runtime import Runtime
from tests.conftest import MerchantKey
from tests.reliability.conftest import LONG, Spawn, settled
from tests.reliability.procs import KassaProcess, free_port
from tests.reliability.receiver import Receiver
from tests.reliability.traffic import CHAINS, Traffic


@dataclass(frozen=True)
class Storm:
    worker_kills: int
    serve_kills: int
    max_life: float
    """A process lives up to this many seconds after it is ready."""
    settle_patience: float
    timeout: float
    """The whole test's limit (a machine under load starts processes slowly)."""


STORM = (
    Storm(worker_kills=40, serve_kills=20, max_life=3.0, settle_patience=30, timeout=1800)
    if LONG
    else Storm(worker_kills=2, serve_kills=1, max_life=1.5, settle_patience=20, timeout=300)
)
SEED = int(os.environ.get("KASSA_CRASH_SEED", random.randrange(1 << 30)))
log = logging.getLogger(__name__)


async def kill_at_random(proc: KassaProcess, rng: random.Random, max_life: float) -> str:
    """Let ``proc`` run, then SIGKILL it: one time in four before it is even ready."""
    if rng.random() < 0.25:
        await asyncio.sleep(rng.uniform(0.0, 1.5))
        moment = "during start-up" if not proc.ready.is_set() else "just after start-up"
    else:
        await proc.wait_ready()
        await asyncio.sleep(rng.uniform(0.05, max_life))
        moment = "while running"
    await proc.kill()
    log.info("killed %s %s", proc.command[0], moment)
    return moment


@contextlib.asynccontextmanager
async def streaming(traffic: Traffic) -> Any:
    stop = asyncio.Event()

    async def run() -> None:
        while not stop.is_set():
            await traffic.step()
            await asyncio.sleep(0.05)

    task = asyncio.create_task(run())
    try:
        yield
    finally:
        stop.set()
        await task


async def watching(runtime: Runtime, chains: tuple[str, ...]) -> None:
    """Wait until the watchers have a cursor on every chain of the traffic."""
    while True:
        async with runtime.db.session() as session:
            cursors = set((await session.scalars(select(ChainCursor.chain))).all())
        if cursors >= set(chains):
            return
        await asyncio.sleep(0.2)


def in_process(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]:
    async def create(body: dict[str, Any]) -> dict[str, Any] | None:
        response = await client.post("/api/payments", json=body, headers=headers)
        assert response.status_code == 200, response.text
        payment: dict[str, Any] = response.json()
        return payment

    return create


def over_http(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]:
    async def create(body: dict[str, Any]) -> dict[str, Any] | None:
        try:
            response = await http.post("/api/payments", json=body, headers=headers)
        except httpx.TransportError:
            return None  # refused (down) or cut (killed mid-request): outcome unknown
        assert response.status_code == 200, response.text
        payment: dict[str, Any] = response.json()
        return payment

    return create


@pytest.mark.timeout(STORM.timeout)
async def test_kill_9_at_random_moments_loses_nothing(
    runtime: Runtime,
    client: httpx.AsyncClient,
    merchant: MerchantKey,
    spawn: Spawn,
    receiver: Receiver,
) -> None:
    rng = random.Random(SEED)
    traffic = Traffic(runtime.db, in_process(client, merchant.headers), receiver.url, rng)
    kills: list[str] = []
    first = await spawn("worker")
    await watching(runtime, CHAINS)  # a fresh watcher starts at the tip: let it start first

    async with streaming(traffic):
        for i in range(STORM.worker_kills):
            worker = first if i == 0 else await spawn("worker")
            kills.append("worker " + await kill_at_random(worker, rng, 1.5))

    port = str(free_port())
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        traffic.create_payment = over_http(http, merchant.headers)
        async with streaming(traffic):
            for _ in range(STORM.serve_kills):
                proc = await spawn("serve", "--port", port)
                kills.append("serve " + await kill_at_random(proc, rng, STORM.max_life))

        log.info("storm over: %s", traffic.counts)
        last = await spawn("serve", "--port", port)
        await last.wait_ready()
        await traffic.settle_chain()
        log.info("settling")
        problems = await settled(
            runtime.db, patience=STORM.settle_patience, received=receiver.received
        )
        log.info("settled: %d problems", len(problems))
        for payment in traffic.payments:
            got = await http.get(f"/api/payments/{payment['id']}", headers=merchant.headers)
            if got.status_code != 200 or got.json()["address"] != payment["address"]:
                problems.append(f"acknowledged payment {payment['id']}: {got.text}")
    await last.terminate()

    story = (
        f"seed {SEED}: {len(kills)} kills ({', '.join(sorted(set(kills)))}), "
        f"traffic {traffic.counts}, {traffic.unknown} creations cut off"
    )
    assert problems == [], f"{story}\n" + "\n".join(problems[:40]) + "\n" + last.tail(60)
    assert last.errors() == [], f"{story}\n{last.tail()}"
    assert traffic.counts.get("payments", 0) > 0, story
    assert traffic.counts.get("blocks", 0) > 0, story
