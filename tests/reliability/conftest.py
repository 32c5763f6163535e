"""Fixtures of the reliability suite: real ``kassa`` processes on the test database, a local
webhook receiver, and the switch between the fast runs (default) and the long ones
(``KASSA_LONG=1``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kassa.config import Settings
from kassa.db import Database
from kassa.models import ChainCursor
from tests.reliability import invariants
from tests.reliability.procs import KassaProcess, kassa_env
from tests.reliability.receiver import Receiver

LONG = os.environ.get("KASSA_LONG") == "1"
"""``KASSA_LONG=1``: the long runs (minutes, many kills) instead of the fast ones."""

Spawn = Callable[..., Awaitable[KassaProcess]]


@pytest.fixture
def child_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "child-data"
    data.mkdir()
    return kassa_env(settings.resolved_database_url, data)


@pytest.fixture
async def spawn(child_env: dict[str, str]) -> AsyncIterator[Spawn]:
    """``await spawn("worker")`` / ``await spawn("serve", "--port", "8123")``: a started child
    process; whatever is still running at the end of the test is killed."""
    started: list[KassaProcess] = []

    async def start(*command: str, **env: str) -> KassaProcess:
        proc = await KassaProcess(command, {**child_env, **env}).start()
        started.append(proc)
        return proc

    yield start
    await asyncio.gather(*(p.kill() for p in started))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hooks = await Receiver().start()
    yield hooks
    await hooks.close()


async def settled(
    db: Database,
    *,
    patience: float,
    received: Mapping[str, int] | None = None,
    single_credit: bool = True,
) -> list[str]:
    """Wait until every invariant holds (workers catch up, expiry runs, webhooks arrive); give
    up when nothing has improved (fewer violations, or the watchers' cursors moved on) for
    ``patience`` seconds, and return what is still violated.

    Waiting on progress rather than on a fixed time keeps a loaded machine from failing a
    sound run, while a real violation (a double credit does not heal) still ends the wait."""
    loop = asyncio.get_running_loop()
    best: tuple[int, int] | None = None
    since = loop.time()
    while True:
        problems = await invariants.check(
            db, settled=True, received=received, single_credit=single_credit
        )
        if not problems:
            return problems
        async with db.session() as session:
            heights = await session.scalar(select(func.sum(ChainCursor.height))) or 0
        progress = (-len(problems), int(heights))
        if best is None or progress[0] > best[0] or progress[1] > best[1]:
            best, since = progress, loop.time()
        elif loop.time() - since > patience:
            return problems
        await asyncio.sleep(0.5)
