"""The set of addresses the EVM adapter looks for: every deposit address issued on the chain.

The ChainAdapter port stays generic (``block(height)`` returns the transfers of a block); the EVM
adapter needs the watched set only to ask the node for fewer logs (``eth_getLogs`` filtered by
recipient) and to hand the watcher only transfers that can match. It reads the set from the
database itself, so no other component changes.

Freshness: the adapter refreshes the set AFTER it has fetched a block's header and transactions
and BEFORE it asks for that block's logs. A transfer in that block was sent to an address that
existed before the block did, so that address is in the refreshed set. Refreshing is incremental
and cheap: deposit addresses of one receiving key are issued by ``UPDATE address_counters ...
RETURNING`` whose row lock makes them commit in index order, so "indexes above the highest one
seen" never skips an address. Addresses of other (older) receiving keys are loaded once.
"""

from __future__ import annotations

from kassa.chains.evm.repository import EvmRepository
from kassa.db import Database


class DepositWatchlist:
    def __init__(self, db: Database, chain: str, key_id: str | None) -> None:
        self.db = db
        self.chain = chain
        self.key_id = key_id
        self._addresses: set[str] = set()
        self._max_index = -1
        self._loaded = False

    async def addresses(self) -> frozenset[str]:
        async with self.db.session() as session:
            repo = EvmRepository(session, self.chain)
            if not self._loaded:
                rows = await repo.deposit_addresses()
            elif self.key_id is not None:
                rows = await repo.deposit_addresses(self.key_id, self._max_index)
            else:
                rows = []
        for key_id, address, index in rows:
            self._addresses.add(address)
            if key_id == self.key_id:
                self._max_index = max(self._max_index, index)
        self._loaded = True
        return frozenset(self._addresses)
