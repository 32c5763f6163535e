"""Fixtures of the EVM end-to-end suite: two real anvil nodes (an EIP-1559 "eth" and a
legacy-fee "bsc"), test tokens of 6 and 18 decimals compiled with solc-js, a real signer process
(in-process uvicorn on a unix socket), and a Kassa runtime on ``testnet`` pointed at them.

Each test starts from a chain snapshot and a truncated database, so deposit addresses (derived
from index 0 again) start empty.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from kassa.app import create_app
from kassa.chains.evm.wiring import EvmChain, close_all, evm_chain
from kassa.config import ChainSettings, Settings
from kassa.db import Database
from kassa.runtime import Runtime
from kassa.signer.keys import EvmKeys
from kassa.signer.local import LocalSigner
from kassa.signer.server import create_signer_app, server_config
from kassa.watcher.service import ChainWatcher, TickResult
from tests.conftest import PRICES_FILE, MerchantKey, make_merchant, truncate
from tests.e2e.evm.anvil import Anvil, compile_token, install

KASSA_MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"
"""Kassa's own seed in these tests (a BIP39 test vector; anvil's accounts use another)."""
SIGNER_TOKEN = "e2e-signer-token"


@dataclass
class Chains:
    eth: Anvil
    bsc: Anvil
    usdt: str
    """USDT-ERC20 (6 decimals) on eth."""
    usdt18: str
    """USDT-BEP20 (18 decimals) on bsc."""

    def settings(self, xpub: str) -> dict[str, ChainSettings]:
        return {
            "eth": ChainSettings(rpc_url=self.eth.url, xpub=xpub, tokens={"USDT-ERC20": self.usdt}),
            "bsc": ChainSettings(
                rpc_url=self.bsc.url, xpub=xpub, tokens={"USDT-BEP20": self.usdt18}
            ),
        }


@pytest.fixture(scope="session")
def chains() -> Iterator[Chains]:
    binary = install()
    artifact = compile_token()
    eth = Anvil(binary, chain_id=31337)
    bsc = Anvil(binary, chain_id=97, hardfork="berlin")
    eth.start()
    bsc.start()
    try:
        usdt = eth.deploy_token(artifact, "USDT", 6)
        usdt18 = bsc.deploy_token(artifact, "USDT", 18)
        yield Chains(eth, bsc, usdt, usdt18)
    finally:
        eth.stop()
        bsc.stop()


@pytest.fixture(scope="session")
def kassa_keys() -> EvmKeys:
    return EvmKeys(KASSA_MNEMONIC)


@pytest.fixture(scope="session")
async def signer_url(
    chains: Chains, kassa_keys: EvmKeys, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A real signer server (the same app ``kassa signer serve`` runs) on a unix socket."""
    socket = tmp_path_factory.mktemp("signer") / "signer.sock"
    url = f"unix:{socket}"
    policy_settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        network="testnet",
        chains=chains.settings(kassa_keys.xpub),
    )
    signer = LocalSigner.for_settings(KASSA_MNEMONIC, policy_settings)
    server = uvicorn.Server(server_config(create_signer_app(signer, SIGNER_TOKEN), url))
    task = asyncio.create_task(server.serve())
    for _ in range(1000):  # bounded: the server binds its socket within milliseconds
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield url
    server.should_exit = True
    await task


@pytest.fixture
def evm_settings(
    migrated: str, tmp_path: Path, chains: Chains, kassa_keys: EvmKeys, signer_url: str
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=migrated,
        network="testnet",
        price_source="static",
        prices_file=PRICES_FILE,
        chains=chains.settings(kassa_keys.xpub),
        signer_url=signer_url,
        signer_token=SIGNER_TOKEN,
    )


@pytest.fixture
async def evm_runtime(evm_settings: Settings, chains: Chains) -> AsyncIterator[Runtime]:
    db = Database(evm_settings.resolved_database_url)
    await truncate(db)
    await db.dispose()
    snapshots = (chains.eth.snapshot(), chains.bsc.snapshot())
    rt = await Runtime.start(evm_settings, migrate=False)
    yield rt
    await close_all(rt)
    await rt.close()
    chains.eth.automine(True)
    chains.eth.revert(snapshots[0])
    chains.bsc.revert(snapshots[1])


@pytest.fixture
async def evm_client(
    evm_settings: Settings, evm_runtime: Runtime
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(evm_settings, evm_runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as client:
        yield client


@pytest.fixture
async def shop(evm_runtime: Runtime) -> MerchantKey:
    return await make_merchant(evm_runtime)


class Kassa:
    """Drive Kassa's EVM workers one step at a time from a test."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def chain(self, chain_id: str) -> EvmChain:
        wired = evm_chain(self.runtime, chain_id)
        assert wired is not None
        return wired

    async def sync(self, chain_id: str) -> TickResult:
        watcher = ChainWatcher(self.runtime.db, self.chain(chain_id).adapter, "e2e-worker")
        return await watcher.tick()


@pytest.fixture
async def kassa(evm_runtime: Runtime) -> Kassa:
    driver = Kassa(evm_runtime)
    for chain_id in ("eth", "bsc"):
        await driver.sync(chain_id)  # the watchers start at the current tip
    return driver
