"""78-digit amounts survive the database on every backend."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kassa.models import LedgerAccount
from kassa.models.ledger import AccountKind
from kassa.runtime import Runtime

UINT256_MAX = 2**256 - 1


async def test_atomic_amount_holds_78_digits(runtime: Runtime) -> None:
    for value in (UINT256_MAX, -UINT256_MAX, 2**63, 0):
        account_id = uuid.uuid4()
        async with runtime.db.session() as session:
            session.add(
                LedgerAccount(
                    id=account_id,
                    owner=f"test:{account_id}",
                    asset="ETH",
                    kind=AccountKind.EXTERNAL,
                    balance=value,
                )
            )
        async with runtime.db.session() as session:
            stored = await session.scalar(
                select(LedgerAccount.balance).where(LedgerAccount.id == account_id)
            )
        assert stored == value
