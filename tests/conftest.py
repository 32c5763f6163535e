"""Shared fixtures: settings, a migrated database (SQLite, or PostgreSQL when
``KASSA_TEST_DATABASE_URL`` is set), the app client, merchants with keys, and the devnet."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from kassa.app import create_app
from kassa.assets.registry import registry
from kassa.chains.devnet.adapter import DevnetAdapter
from kassa.chains.devnet.service import DevnetService
from kassa.config import Settings
from kassa.db import Database
from kassa.kit.timeutil import utcnow
from kassa.merchants.scopes import Scope
from kassa.merchants.service import create_api_key, create_merchant
from kassa.migrate import upgrade
from kassa.models import Base
from kassa.payments.tasks import expire_due
from kassa.runtime import Runtime
from kassa.watcher.service import ChainWatcher

PRICES_FILE = Path(__file__).parent / "fixtures" / "prices.toml"


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("KASSA_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'kassa.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    db = Database(database_url)
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(db.engine)
    await db.dispose()
    return database_url


async def truncate(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in tables:
                await conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - table names
        else:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=migrated,
        network="devnet",
        price_source="static",
        prices_file=PRICES_FILE,
        devnet_block_seconds=3600,
    )


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    db = Database(settings.resolved_database_url)
    await truncate(db)
    await db.dispose()
    rt = await Runtime.start(settings, migrate=False)
    yield rt
    await rt.close()


@pytest.fixture
async def client(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as c:
        yield c


@dataclass
class MerchantKey:
    merchant_id: str
    name: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def make_merchant(
    runtime: Runtime,
    name: str = "Test Store",
    scopes: frozenset[Scope] = frozenset(Scope),
    fee_rate: Decimal = Decimal("0.005"),
) -> MerchantKey:
    async with runtime.db.session() as session:
        merchant = await create_merchant(session, name, fee_rate)
        issued = await create_api_key(session, merchant.id, scopes)
    return MerchantKey(merchant_id=str(merchant.id), name=name, key=issued.secret)


@pytest.fixture
async def merchant(runtime: Runtime) -> MerchantKey:
    return await make_merchant(runtime)


class Devnet:
    """Drive the devnet and the watcher step by step from a test."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.clock_offset = timedelta(0)

    def now(self) -> datetime:
        return utcnow() + self.clock_offset

    async def pay(self, asset: str, address: str, amount: str, tag: int | None = None) -> str:
        async with self.runtime.db.session() as session:
            return await DevnetService(session).pay(
                registry().get(asset), address, Decimal(amount), tag
            )

    async def mine(self, chain: str, blocks: int = 1) -> None:
        async with self.runtime.db.session() as session:
            await DevnetService(session).mine([chain], blocks)

    async def reorg(self, chain: str, depth: int, drop_txs: bool = True) -> None:
        async with self.runtime.db.session() as session:
            await DevnetService(session).reorg(chain, depth, drop_txs)

    def watcher(self, chain: str) -> ChainWatcher:
        return ChainWatcher(
            self.runtime.db, DevnetAdapter(self.runtime.db, chain), "test-worker", clock=self.now
        )

    async def sync(self, chain: str) -> None:
        await self.watcher(chain).tick()

    async def mine_and_sync(self, chain: str, blocks: int = 1) -> None:
        for _ in range(blocks):
            await self.mine(chain)
            await self.sync(chain)

    async def expire(self) -> None:
        await expire_due(self.runtime.db, clock=self.now)


@pytest.fixture
async def devnet(runtime: Runtime) -> Devnet:
    net = Devnet(runtime)
    for chain in registry().chains:
        await net.sync(chain)
    return net
