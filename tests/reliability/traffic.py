"""A stream of payment activity on the devnet, driven from the test process.

Each step does one random thing a real gateway sees: a new payment (through the API under test),
a payment in full, in part, in two parts or overpaid, a block on every chain, a shallow reorg
(its transactions dropped or returned to the mempool), or a payment window closing. Reorgs are
at most ``MAX_REORG`` deep on chains whose assets need more confirmations than that, so they
only ever orphan unconfirmed receipts: a credit is then final, and "credited exactly once" is
exact. (Deeper reorgs are ``test_reorgs.py``'s subject.)
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from kassa.assets.registry import registry
from kassa.chains.devnet.service import DevnetService
from kassa.db import Database
from kassa.kit.timeutil import utcnow
from kassa.models import Payment

AMOUNTS = {
    "BTC": Decimal("0.01"),
    "LTC": Decimal("0.5"),
    "XRP": Decimal("12"),
    "ETH": Decimal("0.2"),
    "USDT-ERC20": Decimal("25"),
}
CHAINS = ("btc", "ltc", "xrp", "eth")
REORG_CHAINS = ("btc", "ltc", "eth")
MAX_REORG = 3
SETTLE_BLOCKS = 13
"""More than any traffic asset's confirmations (ETH and USDT-ERC20 need 12)."""

Create = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]
"""Sends a payment request to the API under test: the payment, or None when the outcome is
unknown (the server was killed mid-request)."""


@dataclass
class Traffic:
    db: Database
    create_payment: Create
    webhook_url: str
    rng: random.Random
    payments: list[dict[str, Any]] = field(default_factory=list)
    """Payments the API acknowledged (200)."""
    unknown: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    async def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.30 or not self.payments:
            await self.create()
        elif roll < 0.60:
            await self.pay()
        elif roll < 0.88:
            await self.mine()
        elif roll < 0.94:
            await self.reorg()
        else:
            await self.close_window()

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    async def create(self) -> None:
        asset = self.rng.choice(list(AMOUNTS))
        body = {
            "asset": asset,
            "amount_crypto": str(AMOUNTS[asset]),
            "webhook_url": self.webhook_url,
            "external_ref": f"crash-{uuid.uuid4().hex[:8]}",
        }
        payment = await self.create_payment(body)
        if payment is None:
            self.unknown += 1
            return
        self.payments.append(payment)
        self._count("payments")

    async def pay(self) -> None:
        payment = self.rng.choice(self.payments)
        amount = AMOUNTS[payment["asset"]]
        shape = self.rng.choice(["full", "full", "half", "two_halves", "over"])
        parts = {
            "full": [amount],
            "half": [amount / 2],
            "two_halves": [amount / 2, amount / 2],
            "over": [amount * Decimal("1.5")],
        }[shape]
        asset = registry().get(payment["asset"])
        async with self.db.session() as session:
            for part in parts:
                await DevnetService(session).pay(
                    asset, payment["address"], part, payment.get("destination_tag")
                )
        self._count("transfers")

    async def mine(self) -> None:
        async with self.db.session() as session:
            await DevnetService(session).mine(list(CHAINS))
        self._count("blocks")

    async def reorg(self) -> None:
        chain = self.rng.choice(REORG_CHAINS)
        depth = self.rng.randint(1, MAX_REORG)
        drop = self.rng.random() < 0.5
        async with self.db.session() as session:
            status = {c.chain: c for c in await DevnetService(session).status()}
            if status[chain].height <= depth:
                return
            await DevnetService(session).reorg(chain, depth, drop_txs=drop)
        self._count("reorgs")

    async def close_window(self) -> None:
        """Move a payment's window into the past: the expiry worker must close it, once."""
        payment = self.rng.choice(self.payments)
        async with self.db.session() as session:
            await session.execute(
                update(Payment)
                .where(Payment.id == uuid.UUID(payment["id"]))
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        self._count("windows_closed")

    async def settle_chain(self) -> None:
        """Mine enough blocks that every transfer made so far reaches its confirmations."""
        async with self.db.session() as session:
            await DevnetService(session).mine(list(CHAINS), SETTLE_BLOCKS)
