"""Posting to the journal, reading balances, and checking the books.

Invariants, enforced here and checked by :func:`verify`:

* a journal transaction's entries sum to zero per asset;
* an account's ``balance`` equals the sum of its entries (both are written together);
* a merchant's ``available`` balance never goes below zero through a guarded posting. Accounts are
  locked in a fixed order for the rest of the database transaction, so concurrent postings queue.
  (Only a chain reorg deeper than an asset's confirmations can take a balance below zero.)
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.kit.errors import BadRequest
from kassa.kit.timeutil import utcnow
from kassa.ledger.repository import LedgerRepository
from kassa.models import LedgerEntry, LedgerTransaction
from kassa.models.ledger import AccountKind

PLATFORM = "platform"
WORLD = "world"


def merchant_owner(merchant_id: uuid.UUID) -> str:
    return f"merchant:{merchant_id}"


@dataclass(frozen=True, slots=True)
class Posting:
    owner: str
    merchant_id: uuid.UUID | None
    kind: AccountKind
    amount: int


def merchant_posting(merchant_id: uuid.UUID, kind: AccountKind, amount: int) -> Posting:
    return Posting(merchant_owner(merchant_id), merchant_id, kind, amount)


def platform_posting(amount: int) -> Posting:
    return Posting(PLATFORM, None, AccountKind.REVENUE, amount)


def world_posting(amount: int) -> Posting:
    return Posting(WORLD, None, AccountKind.EXTERNAL, amount)


class InsufficientFunds(BadRequest):
    """A guarded posting would take an available balance below zero."""

    def __init__(self, message: str, available: int, required: int) -> None:
        super().__init__(message)
        self.available = available
        self.required = required


async def post(
    session: AsyncSession,
    *,
    kind: str,
    asset: str,
    postings: list[Posting],
    merchant_id: uuid.UUID | None = None,
    payment_id: uuid.UUID | None = None,
    receipt_id: uuid.UUID | None = None,
    description: str | None = None,
    guard_available: bool = True,
) -> LedgerTransaction:
    """Write one balanced transaction. Raises :class:`InsufficientFunds` (nothing written)."""
    if sum(p.amount for p in postings) != 0:
        raise ValueError(f"unbalanced {kind}: {postings}")
    repo = LedgerRepository(session)
    ordered = sorted(postings, key=lambda p: (p.owner, p.kind.value))
    accounts = [await repo.lock_account(p.owner, p.merchant_id, asset, p.kind) for p in ordered]
    if guard_available:
        for posting, account in zip(ordered, accounts, strict=True):
            after = account.balance + posting.amount
            if posting.kind == AccountKind.AVAILABLE and posting.amount < 0 and after < 0:
                raise InsufficientFunds(
                    "Insufficient balance", available=account.balance, required=-posting.amount
                )
    transaction = LedgerTransaction(
        id=uuid.uuid4(),
        kind=kind,
        merchant_id=merchant_id,
        payment_id=payment_id,
        receipt_id=receipt_id,
        description=description,
    )
    repo.add(transaction)
    await session.flush()
    now = utcnow()
    for posting, account in zip(ordered, accounts, strict=True):
        account.balance = account.balance + posting.amount
        account.updated_at = now
        repo.add(
            LedgerEntry(
                transaction_id=transaction.id,
                account_id=account.id,
                merchant_id=posting.merchant_id,
                asset=asset,
                kind=posting.kind,
                amount=posting.amount,
                created_at=now,
            )
        )
    await session.flush()
    return transaction


@dataclass(frozen=True, slots=True)
class Balance:
    available: int = 0
    pending: int = 0


async def merchant_balances(session: AsyncSession, merchant_id: uuid.UUID) -> dict[str, Balance]:
    balances: dict[str, Balance] = {}
    for account in await LedgerRepository(session).merchant_accounts(merchant_id):
        current = balances.get(account.asset, Balance())
        if account.kind == AccountKind.AVAILABLE:
            current = Balance(account.balance, current.pending)
        elif account.kind == AccountKind.PENDING:
            current = Balance(current.available, account.balance)
        balances[account.asset] = current
    return balances


async def verify(session: AsyncSession) -> list[str]:
    """Every problem with the books, as sentences; empty when they are sound."""
    repo = LedgerRepository(session)
    problems: list[str] = []
    per_transaction: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    per_account: dict[uuid.UUID, int] = defaultdict(int)
    for entry in await repo.all_entries():
        per_transaction[(entry.transaction_id, entry.asset)] += entry.amount
        per_account[entry.account_id] += entry.amount
    for (tx_id, asset), total in per_transaction.items():
        if total != 0:
            problems.append(f"transaction {tx_id} does not balance in {asset}: {total}")
    for account in await repo.all_accounts():
        if account.kind == AccountKind.AVAILABLE and account.balance < 0:
            problems.append(
                f"account {account.owner}/{account.asset}/available is negative: {account.balance}"
                " (a reorg reversed a credit that had already been spent)"
            )
        if account.balance != per_account.get(account.id, 0):
            problems.append(
                f"account {account.owner}/{account.asset}/{account.kind} balance {account.balance}"
                f" != sum of entries {per_account.get(account.id, 0)}"
            )
    return problems
