"""The journal postings of withdrawals (inside the caller's transaction).

Accounts, besides the merchant's ``available``:

* ``payouts:<merchant>`` / ``pending`` — the clearing account of the merchant's payouts in
  flight (not a merchant account: it is not reported as the merchant's pending balance);
* ``platform`` / ``revenue`` — the platform fee;
* ``network_fees`` / ``revenue`` — network fees charged to merchants (in the withdrawn asset),
  and the chain fees the hot wallet actually paid (in the native coin, as a debit);
* ``world`` / ``external`` — the outside world.

Flow of one withdrawal of amount A, platform fee P, network fee N (withdrawn asset)::

    request / draft   merchant.available -(A+P+N)   payouts +(A+P+N)      guarded: never < 0
    failed / rejected payouts -(A+P+N)              merchant.available +(A+P+N)
    completed         payouts -(A+P+N)   world +A   platform +P   network_fees +N'
                      merchant.available +(N-N')    (N' = the part of N the chain really took)
                      and, in the native coin: network_fees -F   world +F   (F = the chain fee,
                      when the gas coin is a Kassa asset of the same chain)
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import registry
from kassa.ledger.service import (
    Posting,
    merchant_posting,
    platform_posting,
    post,
    world_posting,
)
from kassa.models.ledger import AccountKind
from kassa.models.withdrawal import Withdrawal

NETWORK_FEES = "network_fees"


def clearing_posting(merchant_id: uuid.UUID, amount: int) -> Posting:
    return Posting(f"payouts:{merchant_id}", None, AccountKind.PENDING, amount)


def network_fee_posting(amount: int) -> Posting:
    return Posting(NETWORK_FEES, None, AccountKind.REVENUE, amount)


async def hold(
    session: AsyncSession, merchant_id: uuid.UUID, asset: str, amount: int, description: str
) -> None:
    """Move ``amount`` from available to the clearing account; raises ``InsufficientFunds``."""
    await post(
        session,
        kind="withdrawal_hold",
        asset=asset,
        merchant_id=merchant_id,
        description=description,
        postings=[
            merchant_posting(merchant_id, AccountKind.AVAILABLE, -amount),
            clearing_posting(merchant_id, amount),
        ],
    )


async def release(session: AsyncSession, withdrawal: Withdrawal, why: str) -> None:
    """Give the whole hold of ``withdrawal`` back to the merchant's available balance."""
    await post(
        session,
        kind="withdrawal_release",
        asset=withdrawal.asset,
        merchant_id=withdrawal.merchant_id,
        description=f"withdrawal {withdrawal.id} {why}: hold restored",
        postings=[
            clearing_posting(withdrawal.merchant_id, -withdrawal.held),
            merchant_posting(withdrawal.merchant_id, AccountKind.AVAILABLE, withdrawal.held),
        ],
        guard_available=False,
    )


async def settle(
    session: AsyncSession, withdrawal: Withdrawal, fee_used: int, chain_fee: int
) -> None:
    """Book a completed withdrawal: the destination got the amount, fees were earned, the unused
    network fee is refunded, and the hot wallet's chain fee left to the world."""
    w = withdrawal
    refund = w.network_fee - fee_used
    postings = [
        clearing_posting(w.merchant_id, -w.held),
        world_posting(w.amount),
        platform_posting(w.platform_fee),
        network_fee_posting(fee_used),
    ]
    if refund:
        postings.append(merchant_posting(w.merchant_id, AccountKind.AVAILABLE, refund))
    await post(
        session,
        kind="withdrawal_completed",
        asset=w.asset,
        merchant_id=w.merchant_id,
        description=f"withdrawal {w.id} completed: tx {w.tx_hash}",
        postings=postings,
        guard_available=False,
    )
    await book_chain_fee(session, w, chain_fee)


async def book_chain_fee(session: AsyncSession, withdrawal: Withdrawal, chain_fee: int) -> None:
    """The native coin the hot wallet paid the chain for ``withdrawal``'s transaction.

    Skipped when the chain's gas coin is not a Kassa asset of that chain (Arbitrum pays in
    Arbitrum ETH, quoted as ``ETH``): booking it as Ethereum ETH would mix two chains' coins.
    """
    native = registry().assets.get(withdrawal.native_asset)
    if chain_fee <= 0 or native is None or native.chain.id != withdrawal.chain:
        return
    await post(
        session,
        kind="withdrawal_chain_fee",
        asset=withdrawal.native_asset,
        merchant_id=withdrawal.merchant_id,
        description=f"withdrawal {withdrawal.id}: chain fee of tx {withdrawal.tx_hash}",
        postings=[network_fee_posting(-chain_fee), world_posting(chain_fee)],
        guard_available=False,
    )
