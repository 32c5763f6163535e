"""Browser tests: Debian's headless Chromium driven by Playwright against a real ``kassa serve``.

``scripts/browser-deps`` installs Chromium (apt) and axe-core (npm) when they are missing; this
conftest runs it once per session, so ``pytest`` alone is enough on a fresh machine (as root).
Screenshots go to ``tests/artifacts/`` (gitignored).
"""

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
from playwright.async_api import Browser, Page, async_playwright

from kassa.db import Database
from tests.conftest import truncate

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / ".cache" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOOK = "http://127.0.0.1:9/webhooks"
"""Webhook target of the test objects: a closed local port (deliveries fail fast, stay local)."""


@pytest.fixture(scope="session")
def browser_deps() -> None:
    if not CHROMIUM.exists() or not AXE.exists():
        subprocess.run([str(ROOT / "scripts" / "browser-deps")], check=True, timeout=900)
    assert CHROMIUM.exists(), "scripts/browser-deps did not install /usr/bin/chromium"
    assert AXE.exists(), "scripts/browser-deps did not install axe-core"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    api_key: str
    merchant_id: str
    env: dict[str, str]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}

    async def cli(self, *args: str, stdin: str | None = None) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kassa",
            *args,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(
            proc.communicate(stdin.encode() if stdin else None), timeout=60
        )
        assert proc.returncode == 0, err.decode()
        return out.decode()

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=15) as c:
            response = await c.request(method, path, json=body)
        assert response.status_code < 300, response.text
        return response.json()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


@pytest.fixture(scope="package")
async def server(
    browser_deps: None, tmp_path_factory: pytest.TempPathFactory, migrated: str
) -> AsyncIterator[Server]:
    """``kassa serve`` on a fresh data directory with fast devnet blocks.

    Package-scoped: it stops when the browser tests are done, so that on PostgreSQL its devnet
    miner never writes into the database while other tests use it.
    """
    env = {
        **os.environ,
        "KASSA_DATA_DIR": str(tmp_path_factory.mktemp("browser-kassa")),
        "KASSA_DEVNET_BLOCK_SECONDS": "0.3",
        "KASSA_WATCHER_POLL_SECONDS": "0.2",
    }
    env.pop("KASSA_DATABASE_URL", None)
    if os.environ.get("KASSA_TEST_DATABASE_URL"):
        db = Database(migrated)
        await truncate(db)
        await db.dispose()
        env["KASSA_DATABASE_URL"] = migrated
    port = _free_port()
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
    found: dict[str, str] = {}
    try:
        async with asyncio.timeout(90):
            while True:
                line = (await proc.stdout.readline()).decode()
                assert line, "kassa serve exited before it was ready"
                for name, pattern in (
                    ("key", r"api_key:\s+(ks_\S+)"),
                    ("mid", r"merchant_id:\s+(\S+)"),
                ):
                    if match := re.search(pattern, line):
                        found[name] = match.group(1)
                if "Uvicorn running" in line or "Application startup complete" in line:
                    break
        assert "key" in found, "no demo API key printed on first start"
        assert "mid" in found, "no demo merchant id printed on first start"
        drain = asyncio.create_task(_drain(proc.stdout))
        yield Server(f"http://127.0.0.1:{port}", found["key"], found["mid"], env)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=30)
    drain.cancel()


@pytest.fixture(scope="package")
async def browser(browser_deps: None) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        yield chromium
        await chromium.close()


async def axe_violations(page: Page, name: str) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations of the page as it is now (axe-core); the
    full report (every impact) is saved as ``tests/artifacts/axe-<name>.json``."""
    await page.evaluate(AXE.read_text("utf-8"))
    result = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    violations: list[dict[str, Any]] = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    report = {"url": page.url, "violations": result}
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(report, indent=1))
    return violations


async def wait_for_api(server: Server, path: str, field: str, wanted: str) -> dict[str, Any]:
    """Poll the API until ``field`` is ``wanted`` (the devnet mines every 0.3 s)."""
    async with asyncio.timeout(60):
        while True:
            body: dict[str, Any] = await server.api("GET", path)
            if body[field] == wanted:
                return body
            await asyncio.sleep(0.3)
