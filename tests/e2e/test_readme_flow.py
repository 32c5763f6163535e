"""The README's promise, for real: ``kassa serve`` as its own process on a fresh data directory,
the demo key it prints, the doc's example payment, ``kassa devnet pay`` from another process,
and the payment turning ``confirmed`` with the balance net of the fee."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.db import Database
from tests.conftest import truncate

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    api_key: str
    env: dict[str, str]

    async def cli(self, *args: str) -> dict[str, Any]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kassa",
            *args,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, err.decode()
        result: dict[str, Any] = json.loads(out)
        return result


@pytest.fixture
async def server(tmp_path: Path, migrated: str) -> AsyncIterator[Server]:
    env = {
        **os.environ,
        "KASSA_DATA_DIR": str(tmp_path / "data"),
        "KASSA_DEVNET_BLOCK_SECONDS": "0.5",
        "KASSA_WATCHER_POLL_SECONDS": "0.2",
    }
    env.pop("KASSA_DATABASE_URL", None)
    if os.environ.get("KASSA_TEST_DATABASE_URL"):
        db = Database(migrated)
        await truncate(db)
        await db.dispose()
        env["KASSA_DATABASE_URL"] = migrated
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kassa",
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    api_key = ""
    try:
        async with asyncio.timeout(60):
            while True:
                line = (await proc.stdout.readline()).decode()
                assert line, "kassa serve exited before it was ready"
                if match := re.search(r"api_key:\s+(ks_\S+)", line):
                    api_key = match.group(1)
                if "Uvicorn running" in line or "Application startup complete" in line:
                    break
        assert api_key, "no demo API key printed on first start"
        drain = asyncio.create_task(_drain(proc.stdout))
        yield Server(url=f"http://127.0.0.1:{port}", api_key=api_key, env=env)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=20)
    drain.cancel()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


async def test_readme_flow_from_a_fresh_data_dir(server: Server) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as client:
        docs = await client.get("/docs")
        assert docs.status_code == 200
        created = await client.post(
            "/api/payments",
            json={
                "asset": "BTC",
                "amount_fiat": 100,
                "fiat_currency": "USD",
                "external_ref": "ORDER-12345",
                "webhook_url": "https://yourstore.com/webhooks/coinwerx",
                "description": "Order #12345 — Premium Plan",
            },
        )
        assert created.status_code == 200, created.text
        payment = created.json()
        paid = await server.cli(
            "devnet",
            "pay",
            "--asset",
            "BTC",
            "--address",
            payment["address"],
            "--amount",
            payment["amount_crypto"],
            "--json",
        )
        assert re.fullmatch(r"[0-9a-f]{64}", paid["tx_hash"])

        status = ""
        async with asyncio.timeout(60):
            while status != "confirmed":
                await asyncio.sleep(0.3)
                status = (await client.get(f"/api/payments/{payment['id']}")).json()["status"]
        balance = (await client.get("/api/ledger/balance")).json()
        assert balance["balances"]["BTC"] == {"available": "0.00118102", "pending": "0.00000000"}
        final = (await client.get(f"/api/payments/{payment['id']}")).json()
        assert final["tx_hashes"] == [paid["tx_hash"]]
