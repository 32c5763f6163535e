"""A reorg reaching below the blocks a watcher remembers must not stall it.

Found by ``test_two_workers.py`` on SQLite (one process held the write lock for a minute and
every other got "database is locked"). When the parent of an orphaned block is not among the
blocks it keeps, ``ChainWatcher._rewind`` asks the chain adapter for that parent while its own
database transaction is still open. The devnet adapter opens a session of its own; SQLite has a
single pooled connection per process, so the tick waits for itself until the pool times out
(60 s) — holding SQLite's write lock all that time — fails, and the next tick does it again.

A watcher that starts on a chain remembers only the tip, so a reorg two blocks deep right after
it started is enough.
"""

from __future__ import annotations

import asyncio

from kassa.chains.devnet.adapter import DevnetAdapter
from kassa.chains.devnet.service import DevnetService
from kassa.runtime import Runtime
from kassa.watcher.repository import WatcherRepository
from kassa.watcher.service import ChainWatcher

TICK_LIMIT = 15.0
"""A tick on a chain of a few blocks takes well under a second."""


async def test_a_reorg_below_the_blocks_a_watcher_remembers_does_not_stall_it(
    runtime: Runtime,
) -> None:
    db = runtime.db
    async with db.session() as session:
        await DevnetService(session).mine(["btc"], 5)
    watcher = ChainWatcher(db, DevnetAdapter(db, "btc"), "w")
    await watcher.tick()  # a new watcher starts at the tip and remembers only that block
    async with db.session() as session:
        tip = await DevnetService(session).reorg("btc", 2)

    async with asyncio.timeout(TICK_LIMIT):
        await watcher.tick()

    async with db.session() as session:
        assert await WatcherRepository(session, "btc").cursor() == tip
