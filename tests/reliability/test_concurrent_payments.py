"""Concurrent payment creation never gives a deposit address out twice.

Two processes create payments at the same time on one database: a ``kassa serve`` child over
HTTP and this test's own app, each with many requests in flight, on chains that derive from a
counter (BTC, TRON), that hand out XRP destination tags, and that draw from the Solana address
pool. Every request succeeds, every payment has its own address (or address + tag), and no
derivation index was used twice.
"""

from __future__ import annotations

import asyncio
from itertools import cycle
from typing import Any

import httpx
import pytest

from kassa.runtime import Runtime
from tests.conftest import MerchantKey
from tests.payments.helpers import HOOK
from tests.reliability import invariants
from tests.reliability.conftest import LONG, Spawn
from tests.reliability.procs import free_port

PER_PROCESS = 200 if LONG else 30
ASSETS = {"BTC": "0.01", "XRP": "12", "SOL": "0.5", "USDT-TRC20": "25"}


@pytest.mark.timeout(300)
async def test_concurrent_creation_never_gives_an_address_twice(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey, spawn: Spawn
) -> None:
    port = free_port()
    serve = await spawn("serve", "--port", str(port))
    await serve.wait_ready()
    assets = cycle(ASSETS.items())
    bodies = [
        {"asset": asset, "amount_crypto": amount, "webhook_url": HOOK}
        for asset, amount in (next(assets) for _ in range(2 * PER_PROCESS))
    ]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        responses = await asyncio.gather(
            *(
                (http if i % 2 else client).post(
                    "/api/payments", json=body, headers=merchant.headers
                )
                for i, body in enumerate(bodies)
            )
        )

    failures = [r.text for r in responses if r.status_code != 200]
    assert failures == []
    payments: list[dict[str, Any]] = [r.json() for r in responses]
    targets = {(p["asset"], p["address"], p.get("destination_tag")) for p in payments}
    assert len(targets) == len(payments)
    assert len({(p["address"], p.get("destination_tag")) for p in payments}) == len(payments)
    async with runtime.db.session() as session:
        assert await invariants.issue_problems(session) == []
