"""Issuing deposit targets: one fresh address (or XRP destination tag) per payment.

Addresses come from account-level extended public keys, so the API holds no private key. Each
receiving key has a counter row; issuing is one ``UPDATE ... RETURNING`` on it, never a scan,
so the cost does not grow with the number of addresses ever issued. The counter belongs to the
key, not the chain: EVM chains usually share one key, and an address given to a payment on one
of them must never be given to another payment on another. Solana has no public
derivation: it draws from a pool of pre-derived addresses (``address_pool``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import registry
from kassa.chains.devnet.wallet import ensure_mnemonic
from kassa.config import Settings
from kassa.db import upsert
from kassa.keys.derivation import AddressDeriver, make_deriver
from kassa.keys.seed import account_xpubs
from kassa.kit.errors import ServiceUnavailable
from kassa.models import AddressCounter, AddressPool

log = logging.getLogger(__name__)

POOL_CHAINS = frozenset({"solana"})


@dataclass(frozen=True, slots=True)
class IssuedTarget:
    address: str
    destination_tag: int | None
    key_id: str
    index: int


def key_id_for(xpub: str) -> str:
    return f"xpub:{hashlib.sha256(xpub.encode()).hexdigest()[:16]}"


class ReceivingKeys:
    """The receiving side of every enabled chain."""

    def __init__(self, derivers: dict[str, tuple[str, AddressDeriver]], pools: set[str]) -> None:
        self._derivers = derivers
        self._pools = pools

    @property
    def chains(self) -> frozenset[str]:
        return frozenset(self._derivers) | frozenset(self._pools)

    @classmethod
    async def load(cls, session: AsyncSession, settings: Settings) -> ReceivingKeys:
        chains = registry().chains
        xpubs: dict[str, str] = {}
        if settings.network == "devnet":
            xpubs = account_xpubs(await ensure_mnemonic(session), "devnet")
        for chain_id in chains:
            configured = settings.chain(chain_id)
            if configured.xpub:
                xpubs[chain_id] = configured.xpub
            if not configured.enabled:
                xpubs.pop(chain_id, None)
        derivers: dict[str, tuple[str, AddressDeriver]] = {}
        for chain_id, xpub in xpubs.items():
            if chain_id in POOL_CHAINS:
                continue
            key_id = key_id_for(xpub)
            derivers[chain_id] = (key_id, make_deriver(chains[chain_id], settings.network, xpub))
            await _ensure_counter(session, key_id)
        pools: set[str] = set()
        for chain_id in POOL_CHAINS:
            enabled = settings.chain(chain_id).enabled
            if enabled and (settings.network == "devnet" or await _pool_size(session, chain_id)):
                pools.add(chain_id)
                await _ensure_counter(session, f"{chain_id}:pool")
        return cls(derivers, pools)

    async def issue(self, session: AsyncSession, chain_id: str) -> IssuedTarget:
        if chain_id in self._pools:
            key_id = f"{chain_id}:pool"
            index = await _next_index(session, key_id)
            address = await session.scalar(
                select(AddressPool.address).where(
                    AddressPool.chain == chain_id, AddressPool.index == index
                )
            )
            if address is None:
                raise ServiceUnavailable(
                    f"The {chain_id} address pool is exhausted; the operator must import more"
                )
            return IssuedTarget(address=address, destination_tag=None, key_id=key_id, index=index)
        key_id, deriver = self._derivers[chain_id]
        index = await _next_index(session, key_id)
        target = deriver.derive(index)
        return IssuedTarget(target.address, target.destination_tag, key_id, index)


async def _ensure_counter(session: AsyncSession, key_id: str) -> None:
    await session.execute(
        upsert(session, AddressCounter).values(key_id=key_id, next_index=0).on_conflict_do_nothing()
    )


async def _next_index(session: AsyncSession, key_id: str) -> int:
    issued = await session.scalar(
        update(AddressCounter)
        .where(AddressCounter.key_id == key_id)
        .values(next_index=AddressCounter.next_index + 1)
        .returning(AddressCounter.next_index)
    )
    if issued is None:
        raise ServiceUnavailable(f"no address counter for {key_id}")
    return int(issued) - 1


async def _pool_size(session: AsyncSession, chain_id: str) -> int:
    count = await session.scalar(
        select(func.count()).select_from(AddressPool).where(AddressPool.chain == chain_id)
    )
    return int(count or 0)
